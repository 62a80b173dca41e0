"""The existing web client's own student paths (``/api/students/students/...``, A1-A3 of
the client file): the original backend's representation (``legacy``), through the
same scopes, queries and service functions as the documented ``/api/students/`` paths.

Included before ``router``, whose ``/api/students/{student_id}/`` would read
"students" as an id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from starlette.datastructures import UploadFile

from entraide_kit.auth import CurrentUser
from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.errors import APIError, ValidationFailed
from entraide_kit.forms import BodyOf, body_openapi, json_or_form
from entraide_kit.pagination import PageParams, page_dependency

from . import importer, service
from .legacy import (
    LegacyStudentCreate,
    LegacyStudentCreated,
    LegacyStudentPage,
    LegacyStudentPatch,
    LegacyStudentPut,
    LegacyStudentRead,
)
from .router import Managers, StudentForWrite, StudentQuery
from .schemas import ImportReport

router = APIRouter(prefix="/api/students/students", tags=["students (web client)"])

#: the client asks for 1000 students at once and never pages (M4)
CLIENT_MAX_PAGE_SIZE = 1000
FILES = ("profile_picture",)

CreateBody = Annotated[
    BodyOf[LegacyStudentCreate], Depends(json_or_form(LegacyStudentCreate, files=FILES))
]
PutBody = Annotated[BodyOf[LegacyStudentPut], Depends(json_or_form(LegacyStudentPut, files=FILES))]
PatchBody = Annotated[
    BodyOf[LegacyStudentPatch], Depends(json_or_form(LegacyStudentPatch, files=FILES))
]


ClientPage = Annotated[PageParams, Depends(page_dependency(CLIENT_MAX_PAGE_SIZE))]


@router.get("/", response_model=LegacyStudentPage)
async def list_students(
    actor: CurrentUser,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: ClientPage,
    query: StudentQuery,
) -> LegacyStudentPage:
    """Students as the web client reads them (same scope and filters as ``/api/students/``;
    ``page_size`` up to 1000)."""
    return await service.legacy_student_page(session, ctx, actor, page, query)


@router.post(
    "/",
    response_model=LegacyStudentCreated,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=body_openapi(LegacyStudentCreate, files=FILES),
)
async def create_student(
    actor: Managers, ctx: CtxDep, body: CreateBody, session: SessionDep
) -> LegacyStudentCreated:
    """Create a student and its account; exam_id and center_code are generated."""
    return await service.legacy_create_student(session, ctx, actor, body.data)


@router.get("/{student_id}/", response_model=LegacyStudentRead)
async def retrieve_student(
    actor: CurrentUser, student_id: int, ctx: CtxDep, session: ReadSessionDep
) -> LegacyStudentRead:
    """One student as the web client reads it."""
    return await service.legacy_student(session, ctx, actor, student_id)


@router.put(
    "/{student_id}/",
    response_model=LegacyStudentRead,
    openapi_extra=body_openapi(LegacyStudentPut, files=FILES),
)
async def update_student(
    actor: Managers,
    student_id: int,
    student: StudentForWrite,
    ctx: CtxDep,
    body: PutBody,
    session: SessionDep,
) -> LegacyStudentRead:
    """Update a student and the user fields of its account (JSON or multipart; the text
    ``null`` is no value; exam_id and center_code are kept)."""
    return await service.legacy_update_student(session, ctx, actor, student, body.data)


@router.patch(
    "/{student_id}/",
    response_model=LegacyStudentRead,
    openapi_extra=body_openapi(LegacyStudentPatch, files=FILES),
)
async def partial_update_student(
    actor: Managers,
    student_id: int,
    student: StudentForWrite,
    ctx: CtxDep,
    body: PatchBody,
    session: SessionDep,
) -> LegacyStudentRead:
    """Partially update a student; ``{"user": {"is_active": false}}`` deactivates its account."""
    return await service.legacy_update_student(session, ctx, actor, student, body.data)


class ImportFailed(APIError):
    """A refused import in its own shape, plus the message under ``error`` (the client's)."""

    def __init__(self, cause: APIError) -> None:
        super().__init__(cause.detail, headers=cause.headers)
        self.status_code = cause.status_code
        self.cause = cause

    def body(self) -> dict[str, Any]:
        body = self.cause.body()
        if isinstance(self.cause, ValidationFailed):
            message = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.cause.errors.items())
        else:
            message = str(self.cause.detail)
        return {**body, "error": message}


IMPORT_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "program_id"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "program_id": {"type": "integer"},
                        "group_id": {"type": "integer"},
                        "training_course_id": {"type": "integer"},
                    },
                }
            }
        },
    }
}


def _form_id(form: Any, name: str, *, required: bool = False) -> int | None:
    raw = form.get(name)
    raw = None if raw in (None, "", "null", "undefined") else raw
    if raw is None:
        if required:
            raise ValidationFailed({name: ["This field is required."]})
        return None
    try:
        return int(str(raw))
    except ValueError:
        raise ValidationFailed({name: ["A valid integer is required."]}) from None


@router.post(
    "/bulk_import/",
    response_model=ImportReport,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=IMPORT_FORM,
)
async def bulk_import(
    actor: Managers, request: Request, ctx: CtxDep, session: SessionDep
) -> ImportReport:
    """Import students from an .xlsx sheet, with the web client's form fields: program_id,
    group_id, training_course_id. The centre is the group's, else the training course's,
    else the caller's only centre. A refusal carries its message under ``error``."""
    try:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "multipart/form-data":
            raise ValidationFailed({"file": ["No file was submitted."]})
        form = await request.form(max_files=1, max_fields=50)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed({"file": ["No file was submitted."]})
        program = _form_id(form, "program_id", required=True)
        group = _form_id(form, "group_id")
        training_course = _form_id(form, "training_course_id")
        assert program is not None
        return await importer.import_for_client(
            session,
            ctx,
            actor,
            upload,
            program=program,
            group=group,
            training_course=training_course,
        )
    except APIError as exc:
        raise ImportFailed(exc) from exc
