"""Every statement of the centers service: one typed repository per table it
owns, and the reads with their joins beside them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit.copies.users import user_copies
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


async def get_association_row(session: AsyncSession, association_id: int) -> Any:
    stmt = associations_query().where(col(Association.id) == association_id)
    return (await session.execute(stmt)).first()


async def get_center_row(session: AsyncSession, center_id: int) -> Any:
    return (await session.execute(centers_query().where(col(Center.id) == center_id))).first()


async def centers_brief_of_association(session: AsyncSession, association_id: int) -> list[Center]:
    found = await centers.children(
        session, col(Center.association_id), [association_id], col(Center.name), col(Center.id)
    )
    return found.get(association_id, [])


async def centers_of_association(session: AsyncSession, association_id: int) -> list[Center]:
    """An association's centres, locked (they are saved with it)."""
    rows = await session.execute(
        select(Center).where(col(Center.association_id) == association_id).with_for_update()
    )
    return list(rows.scalars())


async def room_with_center(session: AsyncSession, room_id: int) -> Any:
    """(Room, Center) of one room, no lock (reads)."""
    stmt = (
        select(Room, Center)
        .join(Center, col(Center.id) == col(Room.center_id))
        .where(col(Room.id) == room_id)
    )
    return (await session.execute(stmt)).first()


async def equipment_with_center(session: AsyncSession, equipment_id: int) -> Any:
    """(Equipment, Center, room_name) of one item, no lock (reads)."""
    stmt: Select = (
        select(Equipment, Center, col(Room.name).label("room_name"))
        .join(Center, col(Center.id) == col(Equipment.center_id))
        .outerjoin(Room, col(Room.id) == col(Equipment.room_id))
        .where(col(Equipment.id) == equipment_id)
    )
    return (await session.execute(stmt)).first()


async def group_with_center(session: AsyncSession, group_id: int) -> Any:
    """(Group, Center) of one group, no lock (reads)."""
    stmt = (
        select(Group, Center)
        .join(Center, col(Center.id) == col(Group.center_id))
        .where(col(Group.id) == group_id)
    )
    return (await session.execute(stmt)).first()


async def room_name(session: AsyncSession, room_id: int | None) -> str | None:
    if room_id is None:
        return None
    return (
        await session.execute(select(col(Room.name)).where(col(Room.id) == room_id))
    ).scalar_one_or_none()


async def equipment_of_rooms(
    session: AsyncSession, room_ids: list[int]
) -> dict[int, list[Equipment]]:
    """The equipment of many rooms in one statement, by name."""
    return await equipment.children(
        session, col(Equipment.room_id), room_ids, col(Equipment.name), col(Equipment.id)
    )


async def rooms_of_center(session: AsyncSession, center_id: int) -> list[Room]:
    found = await rooms.children(
        session, col(Room.center_id), [center_id], col(Room.capacity), col(Room.id)
    )
    return found.get(center_id, [])


async def groups_of_center(session: AsyncSession, center_id: int) -> list[Group]:
    found = await groups.children(
        session, col(Group.center_id), [center_id], col(Group.name), col(Group.id)
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
