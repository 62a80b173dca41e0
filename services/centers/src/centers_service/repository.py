"""Every query of the centers service."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from entraide_kit.copies.users import user_copies
from entraide_kit.filters import Filter, ListSpec, ilike

from .models import Association, Center, Equipment, Group, Room

AFFILIATIONS = {"entraide", "association", "other"}
ROOM_TYPES = {"classroom", "meeting_room", "auditorium", "lab", "other"}
CONDITIONS = {"new", "excellent", "good", "fair", "need_reparation", "damaged"}


def _exists_room(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(col(Room.center_id) == col(Center.id), *where)


def _exists_group(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(col(Group.center_id) == col(Center.id), *where)


def _exists_equipment(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(col(Equipment.center_id) == col(Center.id), *where)


# An alias: the centre queries already join Association for its name, and an
# EXISTS over the same table would correlate to that join.
_assoc = aliased(Association)


def _association_named(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(col(_assoc.id) == col(Center.association_id), *where)


ASSOCIATION_LIST = ListSpec(
    search_fields=[
        col(Association.name),
        col(Association.description),
        col(Association.city),
        col(Association.registration_number),
    ],
    ordering_fields={
        n: col(getattr(Association, n))
        for n in ("id", "name", "city", "is_active", "is_verified", "created_at", "updated_at")
    },
    default_ordering=("name",),
    filters={
        "city": Filter(col(Association.city)),
        "is_active": Filter(col(Association.is_active), kind=bool),
        "is_verified": Filter(col(Association.is_verified), kind=bool),
        "supervisor": Filter(col(Association.supervisor_id), kind=int),
    },
    tiebreaker=col(Association.id),
)

CENTER_LIST = ListSpec(
    search_fields=[
        col(Center.name),
        col(Center.description),
        col(Center.city),
        lambda p: _association_named(ilike(col(_assoc.name), p)),
        lambda p: _exists_room(ilike(col(Room.name), p)),
        lambda p: _exists_group(ilike(col(Group.name), p)),
    ],
    ordering_fields={
        n: col(getattr(Center, n))
        for n in (
            "id",
            "name",
            "city",
            "affiliated_to",
            "is_active",
            "is_verified",
            "created_at",
            "updated_at",
        )
    },
    default_ordering=("name",),
    filters={
        "city": Filter(col(Center.city)),
        "affiliated_to": Filter(col(Center.affiliated_to), choices=AFFILIATIONS),
        "association": Filter(col(Center.association_id), kind=int),
        "association_name": Filter(None, build=lambda v: _association_named(col(_assoc.name) == v)),
        "is_active": Filter(col(Center.is_active), kind=bool),
        "is_verified": Filter(col(Center.is_verified), kind=bool),
        # The web client asks for "my centre" this way (a supervisor sees only theirs anyway).
        "supervisor": Filter(col(Center.supervisor_id), kind=int),
        "room_type": Filter(
            None, choices=ROOM_TYPES, build=lambda v: _exists_room(col(Room.type) == v)
        ),
        "room_equipment_condition": Filter(
            None,
            choices=CONDITIONS,
            build=lambda v: _exists_equipment(col(Equipment.condition) == v),
        ),
    },
    tiebreaker=col(Center.id),
)

ROOM_LIST = ListSpec(
    search_fields=[col(Room.name), col(Room.description)],
    ordering_fields={
        n: col(getattr(Room, n))
        for n in ("id", "name", "type", "capacity", "is_available", "created_at", "updated_at")
    },
    default_ordering=("capacity",),
    filters={
        "center__id": Filter(col(Room.center_id), kind=int),
        "type": Filter(col(Room.type), choices=ROOM_TYPES),
        "capacity": Filter(col(Room.capacity), kind=int),
        "is_available": Filter(col(Room.is_available), kind=bool),
    },
    tiebreaker=col(Room.id),
)

EQUIPMENT_LIST = ListSpec(
    search_fields=[col(Equipment.name), col(Equipment.description)],
    ordering_fields={
        n: col(getattr(Equipment, n))
        for n in ("id", "name", "condition", "quantity", "created_at", "updated_at")
    },
    default_ordering=("name",),
    filters={
        "center__id": Filter(col(Equipment.center_id), kind=int),
        "room__id": Filter(col(Equipment.room_id), kind=int),
        "condition": Filter(col(Equipment.condition), choices=CONDITIONS),
        "quantity": Filter(col(Equipment.quantity), kind=int),
    },
    tiebreaker=col(Equipment.id),
)

GROUP_LIST = ListSpec(
    search_fields=[col(Group.name), col(Group.description)],
    ordering_fields={n: col(getattr(Group, n)) for n in ("id", "name", "created_at", "updated_at")},
    default_ordering=("name",),
    filters={
        "center__id": Filter(col(Group.center_id), kind=int),
        # The web client's spelling of center__id.
        "center": Filter(col(Group.center_id), kind=int),
    },
    tiebreaker=col(Group.id),
)


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


async def centers_brief_of_association(session: AsyncSession, association_id: int) -> list[Center]:
    rows = await session.execute(
        select(Center)
        .where(col(Center.association_id) == association_id)
        .order_by(col(Center.name), col(Center.id))
    )
    return list(rows.scalars())


async def room_name(session: AsyncSession, room_id: int | None) -> str | None:
    if room_id is None:
        return None
    return (
        await session.execute(select(col(Room.name)).where(col(Room.id) == room_id))
    ).scalar_one_or_none()


async def equipment_of_rooms(
    session: AsyncSession, room_ids: Sequence[int]
) -> dict[int, list[Equipment]]:
    """The equipment of many rooms in one query."""
    by_room: dict[int, list[Equipment]] = defaultdict(list)
    if room_ids:
        rows = await session.execute(
            select(Equipment)
            .where(col(Equipment.room_id).in_(room_ids))
            .order_by(col(Equipment.name), col(Equipment.id))
        )
        for item in rows.scalars():
            by_room[int(item.room_id or 0)].append(item)
    return by_room


async def rooms_of_center(session: AsyncSession, center_id: int) -> list[Room]:
    rows = await session.execute(
        select(Room)
        .where(col(Room.center_id) == center_id)
        .order_by(col(Room.capacity), col(Room.id))
    )
    return list(rows.scalars())


async def groups_of_center(session: AsyncSession, center_id: int) -> list[Group]:
    rows = await session.execute(
        select(Group)
        .where(col(Group.center_id) == center_id)
        .order_by(col(Group.name), col(Group.id))
    )
    return list(rows.scalars())


async def ids_in_center(
    session: AsyncSession, model: type[Room] | type[Group], center_id: int
) -> list[tuple[int, int]]:
    """(id, version) of a centre's rooms or groups (to publish their deletion)."""
    rows = await session.execute(
        select(col(model.id), col(model.version)).where(col(model.center_id) == center_id)
    )
    return [(int(r[0] or 0), int(r[1])) for r in rows]


async def get_center_row(session: AsyncSession, center_id: int) -> Any:
    return (await session.execute(centers_query().where(col(Center.id) == center_id))).first()


async def centers_of_association(session: AsyncSession, association_id: int) -> list[Center]:
    rows = await session.execute(
        select(Center).where(col(Center.association_id) == association_id).with_for_update()
    )
    return list(rows.scalars())
