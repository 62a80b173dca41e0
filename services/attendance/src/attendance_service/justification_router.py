"""HTTP endpoints of absence justifications (issue 20): thin; they declare what a
request carries, call one service function and return its answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from entraide_kit.answercache import cacheable
from entraide_kit.auth import Principal, Role, require_roles
from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf, body_openapi, json_or_form
from entraide_kit.pagination import PageDep
from entraide_kit.storage import StorageDep

from . import justifications
from .justification_schemas import DecisionIn, JustificationIn, JustificationPage, JustificationRead

router = APIRouter(prefix="/api/attendance/api/justifications", tags=["attendance"])
# Roles are checked before the body and the id are looked at (a 403 is a 403).
Filers = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.center_supervisor, Role.student))
]
Readers = Annotated[
    Principal,
    Depends(require_roles(Role.admin, Role.center_supervisor, Role.trainer, Role.student)),
]
Deciders = Annotated[Principal, Depends(require_roles(Role.admin, Role.center_supervisor))]
DOCUMENT = ("document",)
FiledBody = Annotated[
    BodyOf[JustificationIn], Depends(json_or_form(JustificationIn, files=DOCUMENT))
]
DecisionBody = Annotated[BodyOf[DecisionIn], Depends(json_or_form(DecisionIn))]
JustificationQuery = Annotated[ListQuery, Depends(justifications.JUSTIFICATION_QUERY)]
DOCUMENT_TYPES: dict[str, Any] = {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}


@router.get("/", response_model=JustificationPage)
@cacheable
async def list_justifications(
    actor: Readers, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: JustificationQuery
) -> JustificationPage:
    """List absence justifications (students: their own; trainers: their groups')."""
    return await justifications.list_justifications(session, ctx, actor, page, query)


@router.post(
    "/",
    response_model=JustificationRead,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=body_openapi(JustificationIn, files=DOCUMENT),
)
async def file_justification(
    actor: Filers, ctx: CtxDep, body: FiledBody, session: SessionDep, storage: StorageDep
) -> JustificationRead:
    """File a justification of absences (JSON, or multipart with a `document` file)."""
    return await justifications.file_justification(
        session, ctx, storage, actor, body.data, body.files
    )


@router.get("/{justification_id}/", response_model=JustificationRead)
@cacheable
async def retrieve_justification(
    actor: Readers, ctx: CtxDep, justification_id: int, session: ReadSessionDep
) -> JustificationRead:
    """Retrieve an absence justification."""
    return await justifications.get_justification(session, ctx, actor, justification_id)


@router.get(
    "/{justification_id}/document/",
    response_class=Response,
    responses={200: {"content": DOCUMENT_TYPES, "description": "The document, to download."}},
)
async def justification_document(
    actor: Readers, justification_id: int, session: ReadSessionDep, storage: StorageDep
) -> Response:
    """Download a justification's document (to those who may read the justification)."""
    file = await justifications.document_of(session, storage, actor, justification_id)
    return Response(
        file.body,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.post(
    "/{justification_id}/approve/",
    response_model=JustificationRead,
    openapi_extra=body_openapi(DecisionIn),
)
async def approve_justification(
    actor: Deciders, ctx: CtxDep, justification_id: int, body: DecisionBody, session: SessionDep
) -> JustificationRead:
    """Approve a pending justification: the student's absences in its range become justified."""
    return await justifications.decide(
        session, ctx, actor, justification_id, body.data, approve=True
    )


@router.post(
    "/{justification_id}/reject/",
    response_model=JustificationRead,
    openapi_extra=body_openapi(DecisionIn),
)
async def reject_justification(
    actor: Deciders, ctx: CtxDep, justification_id: int, body: DecisionBody, session: SessionDep
) -> JustificationRead:
    """Reject a pending justification (an optional `comment` says why)."""
    return await justifications.decide(
        session, ctx, actor, justification_id, body.data, approve=False
    )


@router.delete("/{justification_id}/", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw_justification(
    actor: Filers, justification_id: int, session: SessionDep, storage: StorageDep
) -> Response:
    """Withdraw a pending justification (its author only)."""
    await justifications.withdraw(session, storage, actor, justification_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
