"""Associations: everybody reads them, admins write them; their centres show
their name."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from entraide_kit import records
from entraide_kit.auth import Role
from entraide_kit.context import Context
from entraide_kit.errors import NotFound, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf
from entraide_kit.pagination import PageParams

from .. import answers, events, repository
from ..lists import ASSOCIATION_LIST
from ..models import Association
from ..schemas import AssociationDetail, AssociationOut, AssociationPage, AssociationRead
from .common import CONSTRAINTS, check_user, columns, keep_served_image, page_of, refuse_nulls


async def list_associations(
    session: AsyncSession, ctx: Context, params: PageParams, query: ListQuery
) -> AssociationPage:
    count, rows = await repository.read_page(
        session, params, repository.associations_query(), ASSOCIATION_LIST, query
    )
    return page_of(
        AssociationPage, ctx, params, count, [answers.association_out(ctx, r) for r in rows]
    )


async def get_association(
    session: AsyncSession, ctx: Context, association_id: int
) -> AssociationDetail:
    """An association with its supervisor and its centres."""
    row = await repository.get_association_row(session, association_id)
    if row is None:
        raise NotFound()
    centers = await repository.centers_brief_of_association(session, association_id)
    return answers.association_detail(ctx, row, centers)


async def create_association(
    session: AsyncSession, ctx: Context, body: BodyOf[Any]
) -> AssociationRead:
    a = await _save(session, ctx, data=body.data, files=body.files)
    return answers.association(ctx, a)


async def association_for_write(session: AsyncSession, association_id: int) -> Association:
    """The association, locked (the 404 comes before the body is looked at)."""
    return await repository.associations.require(session, association_id, for_update=True)


async def update_association(
    session: AsyncSession, ctx: Context, association: Association, body: BodyOf[Any]
) -> AssociationOut:
    """Full or partial update (the body says which fields it sets) of an
    association from ``association_for_write``."""
    a = await _save(session, ctx, data=body.data, files=body.files, association=association)
    return answers.association_out(ctx, await repository.get_association_row(session, a.id or 0))


async def delete_association(session: AsyncSession, association_id: int) -> None:
    """Its centres stay, without association (and say so)."""
    association = await association_for_write(session, association_id)
    centers = await repository.centers_of_association(session, association.id or 0)
    await events.deleted(session, "association", association.id or 0, association.version)
    await records.remove(session, association)
    for center in centers:
        await session.refresh(center)  # the database set association_id to NULL
        await records.save(session, center, {})
        await events.center_changed(session, center, None)


def _check_contract(start: Any, end: Any) -> None:
    if start and end and end < start:
        raise ValidationFailed({"contract_end_date": ["The contract cannot end before it starts."]})


async def _save(
    session: AsyncSession,
    ctx: Context,
    *,
    data: BaseModel,
    files: dict[str, UploadFile],
    association: Association | None = None,
) -> Association:
    values = await columns(data, files, ctx.storage)
    keep_served_image(ctx, values, "logo", association.logo if association else None)
    if association is not None and values.get("supervisor_id", 0) == association.supervisor_id:
        # Sent back as read (the web client echoes it on every save): unchanged,
        # so not checked again (a supervisor since deactivated must not block a save).
        del values["supervisor_id"]
    if values.get("supervisor_id") is not None:
        await check_user(
            session, ctx, "supervisor", values["supervisor_id"], Role.association_supervisor
        )
    refuse_nulls(values, "name", "is_active", "is_verified")
    start = values.get(
        "contract_start_date", association.contract_start_date if association else None
    )
    end = values.get("contract_end_date", association.contract_end_date if association else None)
    _check_contract(start, end)
    old_name = association.name if association else None
    association = await records.write(
        session, Association, values, record=association, constraints=CONSTRAINTS
    )
    if old_name is not None and association.name != old_name:
        # Centres show their association's name: they change with it.
        for center in await repository.centers_of_association(session, association.id or 0):
            await records.save(session, center, {})
            await events.center_changed(session, center, association.name)
    await events.association_changed(session, association)
    return association
