"""HTTP endpoints of the students service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile, status

from entraide_kit.auth import CurrentUser, Principal, Role, require_roles
from entraide_kit.copies.centers import centers
from entraide_kit.db import SessionDep
from entraide_kit.errors import NotFound
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageDep, paginate

from . import importer, policies, repository, service, views
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
StudentQuery = Annotated[ListQuery, Depends(repository.STUDENT_LIST.dependency())]


async def student_by_id(actor: CurrentUser, student_id: int, session: SessionDep) -> Student:
    student = await repository.get(session, student_id, for_update=True)
    if student is None:
        raise NotFound()
    center = (await centers.by_ids(session, [student.center_id])).get(student.center_id)
    teaches = actor.role is Role.trainer and await repository.teaches(
        session, actor.id, student.group_id
    )
    policies.can_read(actor, student, center, teaches_group=teaches)
    return student


StudentDep = Annotated[Student, Depends(student_by_id)]


async def _answer(session: SessionDep, student: Student) -> StudentRead:
    return views.student(await repository.get_row(session, student.id or 0))


@router.get("/", response_model=StudentPage)
async def list_students(
    actor: CurrentUser, request: Request, session: SessionDep, page: PageDep, query: StudentQuery
) -> dict[str, Any]:
    """List students: admins all, supervisors their centres', trainers the groups they teach
    (and their own record), anybody else their own record."""
    stmt = repository.STUDENT_LIST.apply(policies.scope(repository.students_query(), actor), query)
    return await paginate(
        session, stmt, request=request, params=page, scalars=False, transform=views.student
    )


@router.post("/", response_model=StudentCreated, status_code=status.HTTP_201_CREATED)
async def create_student(
    actor: Managers, request: Request, body: StudentCreate, session: SessionDep
) -> dict[str, Any]:
    """Create a student and its account (a generated email, a one-time password shown once)."""
    student, account = await service.create_student(session, request, actor, body)
    read = await _answer(session, student)
    return {**read.model_dump(), "initial_password": account["initial_password"]}


@router.get("/bulk_import/template/", response_class=Response)
async def import_template(actor: Managers) -> Response:
    """The .xlsx sheet to fill for a bulk import, with the expected columns."""
    headers = {"Content-Disposition": 'attachment; filename="students-import-template.xlsx"'}
    return Response(importer.template(), media_type=importer.XLSX, headers=headers)


@router.post("/bulk_import/", response_model=ImportReport)
async def bulk_import(
    actor: Managers,
    request: Request,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="the .xlsx sheet")],
    program: Annotated[int, Form()],
    center: Annotated[int | None, Form()] = None,
    group: Annotated[int | None, Form()] = None,
    training_course: Annotated[int | None, Form()] = None,
    dry_run: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """Import students from an .xlsx sheet (dry_run=true checks every row and saves nothing)."""
    data = await file.read(request.app.state.settings.import_max_bytes + 1)
    return await importer.import_students(
        session,
        request,
        actor,
        data=data,
        program=program,
        center=center,
        group=group,
        training_course=training_course,
        dry_run=dry_run,
    )


@router.get("/{student_id}/", response_model=StudentRead)
async def retrieve_student(student: StudentDep, session: SessionDep) -> StudentRead:
    """Retrieve a student (anybody but managers: their own only)."""
    return await _answer(session, student)


@router.put("/{student_id}/", response_model=StudentRead)
async def update_student(
    actor: Managers, request: Request, student: StudentDep, body: StudentPut, session: SessionDep
) -> StudentRead:
    """Update a student (full update)."""
    changes = body.model_dump(exclude_unset=True)
    return await _answer(
        session, await service.update_student(session, request, actor, student, changes)
    )


@router.patch("/{student_id}/", response_model=StudentRead)
async def partial_update_student(
    actor: Managers, request: Request, student: StudentDep, body: StudentUpdate, session: SessionDep
) -> StudentRead:
    """Update a student (partial update)."""
    changes = body.model_dump(exclude_unset=True)
    return await _answer(
        session, await service.update_student(session, request, actor, student, changes)
    )


@router.delete("/{student_id}/", status_code=status.HTTP_204_NO_CONTENT)
async def delete_student(
    actor: Managers, request: Request, student: StudentDep, session: SessionDep
) -> Response:
    """Delete a student and its account."""
    await service.delete_student(session, request, student)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
