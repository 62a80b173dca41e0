"""What the centers service's lists filter on, search and order by (the
routers declare them as query parameters, the repository applies them)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists
from sqlalchemy.orm import aliased
from sqlmodel import col

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
