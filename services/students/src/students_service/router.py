"""HTTP endpoints of the students service: they declare what the request carries and
call one service function, whose answer is the response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile, status

from entraide_kit.answercache import cacheable
from entraide_kit.auth import CurrentUser, Principal, Role, require_roles
from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageDep

from . import importer, service
from .models import Student
from .schemas import (
    ImportReport,
    StudentCreate,
    StudentCreated,
    StudentPage,
    StudentPut,
    StudentRead,
    StudentUpdate,
)

router = APIRouter(prefix="/api/students", tags=["students"])
# Roles are checked before the body and the id are looked at (a 403 is a 403).
Managers = Annotated[Principal, Depends(require_roles(Role.admin, Role.center_supervisor))]
StudentQuery = Annotated[ListQuery, Depends(service.STUDENT_LIST.dependency())]


async def student_for_write(actor: Managers, student_id: int, session: SessionDep) -> Student:
    """The student an update changes, locked; a 404 (no such student, or not the
    supervisor's) before the body is read."""
    return await service.student_for_write(session, actor, student_id)


#: declared after the role and before the body: 403, then 404, then the body's 400
StudentForWrite = Annotated[Student, Depends(student_for_write)]


@router.get("/", response_model=StudentPage)
@cacheable
async def list_students(
    actor: CurrentUser, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: StudentQuery
) -> StudentPage:
    """List students: admins all, supervisors their centres', trainers the groups they teach
    (and their own record), anybody else their own record."""
    return await service.student_page(session, ctx, actor, page, query)


@router.post("/", response_model=StudentCreated, status_code=status.HTTP_201_CREATED)
async def create_student(
    actor: Managers, ctx: CtxDep, body: StudentCreate, session: SessionDep
) -> StudentCreated:
    """Create a student and its account (a generated email, a one-time password shown once)."""
    return await service.create_student(session, ctx, actor, body)


@router.get("/bulk_import/template/", response_class=Response)
async def import_template(actor: Managers) -> Response:
    """The .xlsx sheet to fill for a bulk import, with the expected columns."""
    headers = {"Content-Disposition": 'attachment; filename="students-import-template.xlsx"'}
    return Response(importer.template(), media_type=importer.XLSX, headers=headers)


@router.post("/bulk_import/", response_model=ImportReport)
async def bulk_import(
    actor: Managers,
    ctx: CtxDep,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="the .xlsx sheet")],
    program: Annotated[int, Form()],
    center: Annotated[int | None, Form()] = None,
    group: Annotated[int | None, Form()] = None,
    training_course: Annotated[int | None, Form()] = None,
    dry_run: Annotated[bool, Form()] = False,
) -> ImportReport:
    """Import students from an .xlsx sheet (dry_run=true checks every row and saves nothing)."""
    return await importer.import_file(
        session,
        ctx,
        actor,
        file,
        program=program,
        center=center,
        group=group,
        training_course=training_course,
        dry_run=dry_run,
    )


@router.get("/{student_id}/", response_model=StudentRead)
@cacheable
async def retrieve_student(
    actor: CurrentUser, student_id: int, session: ReadSessionDep
) -> StudentRead:
    """Retrieve a student (anybody but managers: their own only)."""
    return await service.student(session, actor, student_id)


@router.put("/{student_id}/", response_model=StudentRead)
async def update_student(
    actor: Managers,
    student_id: int,
    student: StudentForWrite,
    ctx: CtxDep,
    body: StudentPut,
    session: SessionDep,
) -> StudentRead:
    """Update a student (full update)."""
    return await service.update_student(session, ctx, actor, student, body)


@router.patch("/{student_id}/", response_model=StudentRead)
async def partial_update_student(
    actor: Managers,
    student_id: int,
    student: StudentForWrite,
    ctx: CtxDep,
    body: StudentUpdate,
    session: SessionDep,
) -> StudentRead:
    """Update a student (partial update)."""
    return await service.update_student(session, ctx, actor, student, body)


@router.delete("/{student_id}/", status_code=status.HTTP_204_NO_CONTENT)
async def delete_student(
    actor: Managers, student_id: int, ctx: CtxDep, session: SessionDep
) -> Response:
    """Delete a student and its account."""
    await service.delete_student(session, ctx, actor, student_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
