"""Rooms, with their equipment: in a centre (a supervisor: theirs)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import Principal
from entraide_kit.context import Context
from entraide_kit.errors import NotFound
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf
from entraide_kit.pagination import PageParams

from .. import answers, events, policies, repository
from ..lists import ROOM_LIST
from ..models import Room
from ..schemas import RoomPage, RoomRead
from .common import CONSTRAINTS, columns, page_of, refuse_nulls, target_center


async def list_rooms(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> RoomPage:
    stmt = policies.scope(repository.rooms_query(), actor, col(Room.center_id))
    count, rows = await repository.read_page(session, params, stmt, ROOM_LIST, query)
    equipment = await repository.equipment_of_rooms(session, [r.id for r in rows])
    results = [answers.room(ctx, r, r.center_name, equipment.get(r.id, [])) for r in rows]
    return page_of(RoomPage, ctx, params, count, results)


async def get_room(session: AsyncSession, ctx: Context, actor: Principal, room_id: int) -> RoomRead:
    room = await repository.room_with_center(session, room_id)
    if room is None:
        raise NotFound()
    policies.can_read_under(actor, room.center_supervisor_id)
    items = (await repository.equipment_of_rooms(session, [room_id])).get(room_id, [])
    return answers.room(ctx, room, room.center_name, items)


async def create_room(
    session: AsyncSession, ctx: Context, actor: Principal, body: BodyOf[Any]
) -> RoomRead:
    """A room in a centre (a supervisor: in a centre they supervise)."""
    return await _answer(session, ctx, await _save(session, ctx, actor, body, None))


async def update_room(
    session: AsyncSession, ctx: Context, actor: Principal, room: Room, body: BodyOf[Any]
) -> RoomRead:
    """Full or partial update (the body says which fields it sets) of a room
    from ``room_for_write``."""
    return await _answer(session, ctx, await _save(session, ctx, actor, body, room))


async def delete_room(session: AsyncSession, actor: Principal, room_id: int) -> None:
    """Its equipment stays in the centre, without a room."""
    room = await room_for_write(session, actor, room_id)
    await policies.center_for_write(session, actor, room.center_id)
    await events.deleted(session, "room", room.id or 0, room.version)
    await records.remove(session, room)


async def room_for_write(session: AsyncSession, actor: Principal, room_id: int) -> Room:
    """The room, locked; a 404 to a supervisor of another centre
    (before the body is looked at)."""
    room = await repository.rooms.require(session, room_id, for_update=True)
    policies.can_read_in_center(actor, await repository.centers.get(session, room.center_id))
    return room


async def _answer(session: AsyncSession, ctx: Context, room: Room) -> RoomRead:
    center_name = await repository.center_name(session, room.center_id)
    items = (await repository.equipment_of_rooms(session, [room.id or 0])).get(room.id or 0, [])
    return answers.room(ctx, room, center_name or "", items)


async def _save(
    session: AsyncSession, ctx: Context, actor: Principal, body: BodyOf[Any], room: Room | None
) -> Room:
    values = await columns(body.data, body.files, ctx.storage)
    await target_center(session, actor, values, room.center_id if room else None)
    refuse_nulls(values, "name", "type", "capacity", "is_available")
    room = await records.write(session, Room, values, record=room, constraints=CONSTRAINTS)
    await events.room_changed(session, room)
    return room
