"""Every statement of the centers service: one typed repository per table it
owns, and the reads with their joins beside them.

Reads that only build an answer (GET lists and details, the answer of a
write) run on asyncpg through ``entraide_kit.fastread``: their rows are flat
named tuples (a ``Room`` in the statement reads as its columns, ``row.id``,
beside the labels, ``row.center_name``). Writes, and the reads before them,
keep the ORM (the repositories' ``get`` / ``require(for_update=True)``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import fastread
from entraide_kit.copies.users import user_copies
from entraide_kit.filters import ListQuery, ListSpec
from entraide_kit.pagination import PageParams
from entraide_kit.repository import Repository

from .models import Association, Center, Equipment, Group, Room

associations = Repository(Association)
centers = Repository(Center)
rooms = Repository(Room)
equipment = Repository(Equipment)
groups = Repository(Group)

# ------------------------------------------------------------------ reads with their joins


def centers_query() -> Select:
    """Centres with the names their read shape shows (one query, no N+1)."""
    return (
        select(
            Center,
            col(Association.name).label("association_name"),
            user_copies.c.first_name.label("supervisor_first_name"),
            user_copies.c.last_name.label("supervisor_last_name"),
            user_copies.c.username.label("supervisor_username"),
        )
        .outerjoin(Association, col(Association.id) == col(Center.association_id))
        .outerjoin(user_copies, user_copies.c.id == col(Center.supervisor_id))
    )


def rooms_query() -> Select:
    return select(Room, col(Center.name).label("center_name")).join(
        Center, col(Center.id) == col(Room.center_id)
    )


def groups_query() -> Select:
    return select(Group, col(Center.name).label("center_name")).join(
        Center, col(Center.id) == col(Group.center_id)
    )


def equipment_query() -> Select:
    """Equipment with its room's name (one query)."""
    return select(Equipment, col(Room.name).label("room_name")).outerjoin(
        Room, col(Room.id) == col(Equipment.room_id)
    )


SUPERVISOR_COLUMNS = ("first_name", "last_name", "email", "arabic_first_name", "arabic_last_name")


def associations_query() -> Select:
    """Associations with their supervisor's names from the users copy (one query)."""
    return select(
        Association,
        *(user_copies.c[n].label(f"supervisor_{n}") for n in SUPERVISOR_COLUMNS),
    ).outerjoin(user_copies, user_copies.c.id == col(Association.supervisor_id))


async def read_page(
    session: AsyncSession, params: PageParams, stmt: Select, spec: ListSpec, query: ListQuery
) -> tuple[int, list[Any]]:
    """(count, the page's flat rows) of a list, its filters, search and ordering
    applied, in one statement."""
    return await fastread.page(session, spec.apply(stmt, query), params)


async def get_association_row(session: AsyncSession, association_id: int) -> Any:
    """One flat ``associations_query()`` row, or None."""
    stmt = associations_query().where(col(Association.id) == association_id)
    return await fastread.first(session, stmt)


async def get_center_row(session: AsyncSession, center_id: int) -> Any:
    """One flat ``centers_query()`` row, or None."""
    return await fastread.first(session, centers_query().where(col(Center.id) == center_id))


async def centers_brief_of_association(session: AsyncSession, association_id: int) -> list[Any]:
    """The columns an association's detail shows of its centres, by name."""
    stmt: Select = (
        select(
            col(Center.id),
            col(Center.name),
            col(Center.city),
            col(Center.phone_number),
            col(Center.is_active),
            col(Center.is_verified),
        )
        .where(col(Center.association_id) == association_id)
        .order_by(col(Center.name), col(Center.id))
    )
    return await fastread.rows(session, stmt)


async def centers_of_association(session: AsyncSession, association_id: int) -> list[Center]:
    """An association's centres, locked (they are saved with it)."""
    rows = await session.execute(
        select(Center).where(col(Center.association_id) == association_id).with_for_update()
    )
    return list(rows.scalars())


async def room_with_center(session: AsyncSession, room_id: int) -> Any:
    """One room's flat row with its centre's ``center_name`` and
    ``center_supervisor_id``, no lock (reads)."""
    stmt: Select = (
        select(
            Room,
            col(Center.name).label("center_name"),
            col(Center.supervisor_id).label("center_supervisor_id"),
        )
        .join(Center, col(Center.id) == col(Room.center_id))
        .where(col(Room.id) == room_id)
    )
    return await fastread.first(session, stmt)


async def equipment_with_center(session: AsyncSession, equipment_id: int) -> Any:
    """One item's flat row with ``room_name`` and its centre's
    ``center_supervisor_id``, no lock (reads)."""
    stmt: Select = (
        select(
            Equipment,
            col(Room.name).label("room_name"),
            col(Center.supervisor_id).label("center_supervisor_id"),
        )
        .join(Center, col(Center.id) == col(Equipment.center_id))
        .outerjoin(Room, col(Room.id) == col(Equipment.room_id))
        .where(col(Equipment.id) == equipment_id)
    )
    return await fastread.first(session, stmt)


async def group_with_center(session: AsyncSession, group_id: int) -> Any:
    """One group's flat row with its centre's ``center_name`` and
    ``center_supervisor_id``, no lock (reads)."""
    stmt: Select = (
        select(
            Group,
            col(Center.name).label("center_name"),
            col(Center.supervisor_id).label("center_supervisor_id"),
        )
        .join(Center, col(Center.id) == col(Group.center_id))
        .where(col(Group.id) == group_id)
    )
    return await fastread.first(session, stmt)


async def center_name(session: AsyncSession, center_id: int) -> str | None:
    found = await fastread.first(
        session, select(col(Center.name)).where(col(Center.id) == center_id)
    )
    return found.name if found is not None else None


async def room_name(session: AsyncSession, room_id: int | None) -> str | None:
    if room_id is None:
        return None
    found = await fastread.first(session, select(col(Room.name)).where(col(Room.id) == room_id))
    return found.name if found is not None else None


async def equipment_of_rooms(session: AsyncSession, room_ids: list[int]) -> dict[int, list[Any]]:
    """The equipment of many rooms in one statement, by name."""
    return await fastread.children(
        session, Equipment, col(Equipment.room_id), room_ids, col(Equipment.name), col(Equipment.id)
    )


async def rooms_of_center(session: AsyncSession, center_id: int) -> list[Any]:
    found = await fastread.children(
        session, Room, col(Room.center_id), [center_id], col(Room.capacity), col(Room.id)
    )
    return found.get(center_id, [])


async def groups_of_center(session: AsyncSession, center_id: int) -> list[Any]:
    found = await fastread.children(
        session, Group, col(Group.center_id), [center_id], col(Group.name), col(Group.id)
    )
    return found.get(center_id, [])


async def ids_in_center(
    session: AsyncSession, model: type[Room] | type[Group], center_id: int
) -> list[tuple[int, int]]:
    """(id, version) of a centre's rooms or groups (to publish their deletion)."""
    rows = await session.execute(
        select(col(model.id), col(model.version)).where(col(model.center_id) == center_id)
    )
    return [(int(r[0] or 0), int(r[1])) for r in rows]
