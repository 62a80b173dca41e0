"""The existing web client's own teacher paths (``/api/teachers/teachers/``): the
documented ``/api/teachers/`` endpoints' service functions and rules, answered in
the original backend's representation (legacy.py).

Included before router.teachers, so ``/api/teachers/{teacher_id}/`` never reads
"teachers" as an id. Roles are checked before anything else, as there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel

from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.errors import ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf, body_openapi, json_or_form
from entraide_kit.pagination import PageDep
from entraide_kit.storage import StorageDep

from . import legacy, policies
from . import teachers as teacher_rules
from .router import TeacherForWrite

M = TypeVar("M", bound=BaseModel)


def body(model: type[M], *, files: Sequence[str] = ()) -> Callable[[Request], Awaitable[BodyOf[M]]]:
    """``json_or_form`` for the client's bodies, errors under the client's names."""
    parse = json_or_form(model, files=files)

    async def parse_legacy(request: Request) -> BodyOf[M]:
        try:
            return await parse(request)
        except ValidationFailed as exc:
            raise legacy.their_errors(exc) from None

    parse_legacy.__name__ = f"parse_legacy_{model.__name__}"
    return parse_legacy


teachers_alias = APIRouter(prefix="/api/teachers/teachers", tags=["teachers (web client)"])

TeacherQuery = Annotated[ListQuery, Depends(teacher_rules.TEACHER_LIST.dependency())]
CreateIn = Annotated[BodyOf[legacy.TeacherCreateIn], Depends(body(legacy.TeacherCreateIn))]
PatchIn = Annotated[
    BodyOf[legacy.TeacherPatchIn],
    Depends(body(legacy.TeacherPatchIn, files=(legacy.PICTURE,))),
]


@teachers_alias.get("/", response_model=legacy.LegacyTeacherPage)
async def list_teachers(
    actor: policies.TeacherReader,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: TeacherQuery,
) -> legacy.LegacyTeacherPage:
    """`GET /api/teachers/` in the original backend's representation (the web client's
    path): same scope (a centre supervisor: their centres' teachers; a trainer: their
    own), filters (center, user, program, group, contract_with), search and ordering."""
    return await teacher_rules.legacy_teacher_page(session, ctx, actor, page, query)


@teachers_alias.post(
    "/",
    response_model=legacy.LegacyTeacherCreated,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=body_openapi(legacy.TeacherCreateIn),
)
async def create_teacher(
    actor: policies.TeacherWriter, ctx: CtxDep, body: CreateIn, session: SessionDep
) -> legacy.LegacyTeacherCreated:
    """`POST /api/teachers/` as the web client sends it (`Arabic_first_name`,
    `contarct_with`, `program` as text); the answer in the original representation,
    with the user's one-time `initial_password`, once."""
    return await teacher_rules.legacy_create_teacher(session, ctx, actor, body.data)


@teachers_alias.get("/{teacher_id}/", response_model=legacy.LegacyTeacher)
async def retrieve_teacher(
    actor: policies.TeacherReader, teacher_id: int, ctx: CtxDep, session: ReadSessionDep
) -> legacy.LegacyTeacher:
    """`GET /api/teachers/{id}/` in the original backend's representation."""
    return await teacher_rules.legacy_teacher(session, ctx, actor, teacher_id)


@teachers_alias.patch(
    "/{teacher_id}/",
    response_model=legacy.LegacyTeacher,
    openapi_extra=body_openapi(legacy.TeacherPatchIn, files=(legacy.PICTURE,)),
)
async def partial_update_teacher(
    actor: policies.TeacherWriter,
    teacher_id: int,
    found: TeacherForWrite,
    ctx: CtxDep,
    body: PatchIn,
    session: SessionDep,
    storage: StorageDep,
) -> legacy.LegacyTeacher:
    """`PATCH /api/teachers/{id}/` as the web client sends it: JSON
    `{"user": {"is_active": false}}`, or multipart with the teacher's fields, the
    user's (names, `Arabic_first_name`, `CIN_id`, phone, birth, address, city) and a
    `profile_picture` image. The user's part is applied to the linked account in auth
    (with the caller's token); if auth refuses, nothing changes."""
    return await teacher_rules.legacy_update_teacher(
        session,
        ctx,
        actor,
        found,
        body.data,
        storage=storage,
        picture=body.files.get(legacy.PICTURE),
    )
