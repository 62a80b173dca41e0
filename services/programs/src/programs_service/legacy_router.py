"""The existing web client's own teacher paths (``/api/teachers/teachers/``): the
documented ``/api/teachers/`` endpoints' service functions and rules, answered in
the original backend's representation (legacy.py).

Included before router.teachers, so ``/api/teachers/{teacher_id}/`` never reads
"teachers" as an id. Roles are checked before anything else, as there.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status

from entraide_kit.db import SessionDep
from entraide_kit.errors import ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf, body_openapi
from entraide_kit.pagination import PageDep
from entraide_kit.storage import StorageDep

from . import legacy, policies, repository, service

teachers_alias = APIRouter(prefix="/api/teachers/teachers", tags=["teachers (web client)"])

TeacherQuery = Annotated[ListQuery, Depends(repository.TEACHER_LIST.dependency())]
CreateIn = Annotated[BodyOf[legacy.TeacherCreateIn], Depends(legacy.body(legacy.TeacherCreateIn))]
PatchIn = Annotated[
    BodyOf[legacy.TeacherPatchIn],
    Depends(legacy.body(legacy.TeacherPatchIn, files=(legacy.PICTURE,))),
]


async def _answer(request: Request, session: SessionDep, teacher_id: int) -> dict[str, Any]:
    row, groups = await service.teacher_read(session, teacher_id)
    (out,) = await legacy.teachers(request, session, [row], {teacher_id: groups})
    return out


@teachers_alias.get("/", response_model=legacy.LegacyTeacherPage)
async def list_teachers(
    actor: policies.TeacherReader,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: TeacherQuery,
) -> dict[str, Any]:
    """`GET /api/teachers/` in the original backend's representation (the web client's
    path): same scope (a centre supervisor: their centres' teachers; a trainer: their
    own), filters (center, user, program, group, contract_with), search and ordering."""
    result, groups = await service.teacher_page(session, request, actor, page, query)
    result["results"] = await legacy.teachers(request, session, result["results"], groups)
    return result


@teachers_alias.post(
    "/",
    response_model=legacy.LegacyTeacherCreated,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=body_openapi(legacy.TeacherCreateIn),
)
async def create_teacher(
    actor: policies.TeacherWriter, request: Request, body: CreateIn, session: SessionDep
) -> dict[str, Any]:
    """`POST /api/teachers/` as the web client sends it (`Arabic_first_name`,
    `contarct_with`, `program` as text); the answer in the original representation,
    with the user's one-time `initial_password`, once."""
    try:
        made = await service.create_teacher(session, request, actor, data=body.data)
    except ValidationFailed as exc:
        raise legacy.their_errors(exc) from None
    out = await _answer(request, session, made.teacher.id or 0)
    return {**out, "initial_password": made.initial_password}


@teachers_alias.get("/{teacher_id}/", response_model=legacy.LegacyTeacher)
async def retrieve_teacher(
    actor: policies.TeacherReader, teacher_id: int, request: Request, session: SessionDep
) -> dict[str, Any]:
    """`GET /api/teachers/{id}/` in the original backend's representation."""
    await service.readable_teacher(session, actor, teacher_id)
    return await _answer(request, session, teacher_id)


@teachers_alias.patch(
    "/{teacher_id}/",
    response_model=legacy.LegacyTeacher,
    openapi_extra=body_openapi(legacy.TeacherPatchIn, files=(legacy.PICTURE,)),
)
async def partial_update_teacher(
    actor: policies.TeacherWriter,
    teacher_id: int,
    request: Request,
    body: PatchIn,
    session: SessionDep,
    storage: StorageDep,
) -> dict[str, Any]:
    """`PATCH /api/teachers/{id}/` as the web client sends it: JSON
    `{"user": {"is_active": false}}`, or multipart with the teacher's fields, the
    user's (names, `Arabic_first_name`, `CIN_id`, phone, birth, address, city) and a
    `profile_picture` image. The user's part is applied to the linked account in auth
    (with the caller's token); if auth refuses, nothing changes."""
    teacher = await service.readable_teacher(session, actor, teacher_id, for_update=True)
    try:
        await service.update_teacher(
            session,
            request,
            actor,
            data=body.data,
            teacher=teacher,
            storage=storage,
            picture=body.files.get(legacy.PICTURE),
        )
    except ValidationFailed as exc:
        raise legacy.their_errors(exc) from None
    return await _answer(request, session, teacher_id)
