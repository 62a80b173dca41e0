"""Centres: admins manage them; a supervisor reads those they supervise."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from starlette.datastructures import UploadFile

from entraide_kit import records
from entraide_kit.auth import Principal, Role
from entraide_kit.context import Context
from entraide_kit.errors import NotFound, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf
from entraide_kit.pagination import PageParams

from .. import answers, events, policies, repository
from ..lists import CENTER_LIST
from ..models import Center, Group, Room
from ..schemas import CenterDetail, CenterPage, CenterRead
from .common import (
    CONSTRAINTS,
    check_user,
    columns,
    invalid_pk,
    keep_served_image,
    page_of,
    refuse_nulls,
)


async def list_centers(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> CenterPage:
    """A supervisor sees the centres they supervise."""
    stmt = policies.scope(repository.centers_query(), actor, col(Center.id))
    count, rows = await repository.read_page(session, params, stmt, CENTER_LIST, query)
    return page_of(CenterPage, ctx, params, count, [answers.center(ctx, r) for r in rows])


async def get_center(
    session: AsyncSession, ctx: Context, actor: Principal, center_id: int
) -> CenterDetail:
    """A centre with its rooms (and their equipment) and groups."""
    row = await repository.get_center_row(session, center_id)
    if row is None:
        raise NotFound()
    policies.can_read_center(actor, row)
    rooms = await repository.rooms_of_center(session, center_id)
    groups = await repository.groups_of_center(session, center_id)
    equipment = await repository.equipment_of_rooms(session, [r.id for r in rooms])
    return answers.center_detail(ctx, row, rooms, groups, equipment)


async def create_center(session: AsyncSession, ctx: Context, body: BodyOf[Any]) -> CenterRead:
    center = await _save(session, ctx, data=body.data, files=body.files)
    return await _answer(session, ctx, center)


async def center_for_write(session: AsyncSession, center_id: int) -> Center:
    """The centre, locked (the 404 comes before the body is looked at)."""
    return await repository.centers.require(session, center_id, for_update=True)


async def update_center(
    session: AsyncSession, ctx: Context, center: Center, body: BodyOf[Any]
) -> CenterRead:
    """Full or partial update (the body says which fields it sets) of a centre
    from ``center_for_write``."""
    center = await _save(session, ctx, data=body.data, files=body.files, center=center)
    return await _answer(session, ctx, center)


async def delete_center(session: AsyncSession, center_id: int) -> None:
    """Delete a centre with its rooms, equipment and groups, and say so."""
    center = await center_for_write(session, center_id)
    for room_id, version in await repository.ids_in_center(session, Room, center_id):
        await events.deleted(session, "room", room_id, version)
    for group_id, version in await repository.ids_in_center(session, Group, center_id):
        await events.deleted(session, "group", group_id, version)
    await events.deleted(session, "center", center_id, center.version)
    await records.remove(session, center)


async def _answer(session: AsyncSession, ctx: Context, center: Center) -> CenterRead:
    return answers.center(ctx, await repository.get_center_row(session, center.id or 0))


async def _save(
    session: AsyncSession,
    ctx: Context,
    *,
    data: BaseModel,
    files: dict[str, UploadFile],
    center: Center | None = None,
) -> Center:
    values = await columns(data, files, ctx.storage)
    keep_served_image(ctx, values, "logo", center.logo if center else None)
    refuse_nulls(values, "name", "affiliated_to", "is_active", "is_verified")
    if values.get("supervisor_id") is not None:
        await check_user(
            session, ctx, "supervisor", values["supervisor_id"], Role.center_supervisor
        )
    association_name = None
    association_id = values.get("association_id", center.association_id if center else None)
    if association_id is not None:
        association = await repository.associations.get(session, association_id)
        if association is None:
            raise invalid_pk("association", association_id)
        association_name = association.name
    affiliated = values.get("affiliated_to", center.affiliated_to if center else "entraide")
    other = values.get("other_affiliation", center.other_affiliation if center else "")
    if affiliated == "other" and not other:
        raise ValidationFailed(
            {"other_affiliation": ["This field is required when affiliated_to is other."]}
        )
    center = await records.write(session, Center, values, record=center, constraints=CONSTRAINTS)
    await events.center_changed(session, center, association_name)
    return center
