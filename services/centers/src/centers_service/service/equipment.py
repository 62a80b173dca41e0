"""Equipment: in a centre, optionally in one of its rooms."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import Principal
from entraide_kit.context import Context
from entraide_kit.errors import NotFound, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf
from entraide_kit.pagination import PageParams

from .. import answers, policies, repository
from ..lists import EQUIPMENT_LIST
from ..models import Equipment
from ..schemas import EquipmentPage, EquipmentRead
from .common import CONSTRAINTS, columns, invalid_pk, page_of, refuse_nulls, target_center


async def list_equipment(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> EquipmentPage:
    stmt = policies.scope(repository.equipment_query(), actor, col(Equipment.center_id))
    count, rows = await repository.read_page(session, params, stmt, EQUIPMENT_LIST, query)
    results = [answers.equipment(ctx, r, r.room_name) for r in rows]
    return page_of(EquipmentPage, ctx, params, count, results)


async def get_equipment(
    session: AsyncSession, ctx: Context, actor: Principal, equipment_id: int
) -> EquipmentRead:
    item = await repository.equipment_with_center(session, equipment_id)
    if item is None:
        raise NotFound()
    policies.can_read_under(actor, item.center_supervisor_id)
    return answers.equipment(ctx, item, item.room_name)


async def create_equipment(
    session: AsyncSession, ctx: Context, actor: Principal, body: BodyOf[Any]
) -> EquipmentRead:
    return await _answer(session, ctx, await _save(session, ctx, actor, body, None))


async def update_equipment(
    session: AsyncSession, ctx: Context, actor: Principal, item: Equipment, body: BodyOf[Any]
) -> EquipmentRead:
    """Full or partial update (the body says which fields it sets) of an item
    from ``equipment_for_write``."""
    return await _answer(session, ctx, await _save(session, ctx, actor, body, item))


async def delete_equipment(session: AsyncSession, actor: Principal, equipment_id: int) -> None:
    item = await equipment_for_write(session, actor, equipment_id)
    await policies.center_for_write(session, actor, item.center_id)
    await records.remove(session, item)


async def equipment_for_write(
    session: AsyncSession, actor: Principal, equipment_id: int
) -> Equipment:
    """The item, locked; a 404 to a supervisor of another centre
    (before the body is looked at)."""
    item = await repository.equipment.require(session, equipment_id, for_update=True)
    policies.can_read_in_center(actor, await repository.centers.get(session, item.center_id))
    return item


async def _answer(session: AsyncSession, ctx: Context, item: Equipment) -> EquipmentRead:
    return answers.equipment(ctx, item, await repository.room_name(session, item.room_id))


async def _save(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    body: BodyOf[Any],
    equipment: Equipment | None,
) -> Equipment:
    values = await columns(body.data, body.files, ctx.storage)
    center_id = await target_center(
        session, actor, values, equipment.center_id if equipment else None
    )
    refuse_nulls(values, "name", "condition", "quantity")
    room_id = values.get("room_id", equipment.room_id if equipment else None)
    if room_id is not None:
        room = await repository.rooms.get(session, room_id)
        if room is None:
            raise invalid_pk("room", room_id)
        if room.center_id != center_id:
            raise ValidationFailed({"room": ["The room must belong to the equipment's center."]})
    return await records.write(
        session, Equipment, values, record=equipment, constraints=CONSTRAINTS
    )
