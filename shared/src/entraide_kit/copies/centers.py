"""Copies of the centers service's centres, rooms, groups and associations (programs,
students, schedule, attendance keep them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .. import contracts
from .base import CopyTable, answer_as, id_of


def _center_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False, server_default=""),
        sa.Column("supervisor", sa.Integer, nullable=True),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("association", sa.Integer, nullable=True),
    ]


def _center_values(c: contracts.Center) -> dict[str, Any]:
    return {
        "name": c.name,
        "city": c.city or "",
        "supervisor": c.supervisor,
        "is_active": c.is_active,
        "association": c.association,
    }


def _center_from_api(answer: Mapping[str, Any]) -> contracts.Center:
    """centers' ``CenterRead``/``CenterDetail``: the event's names."""
    return answer_as(contracts.Center, answer)


def _association_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("supervisor", sa.Integer, nullable=True),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    ]


def _association_values(a: contracts.Association) -> dict[str, Any]:
    return {"name": a.name, "supervisor": a.supervisor, "is_active": a.is_active}


def _association_from_api(answer: Mapping[str, Any]) -> contracts.Association:
    """centers' ``AssociationDetail``: the supervisor as an object (or null)."""
    return answer_as(contracts.Association, answer, supervisor=id_of(answer["supervisor"]))


def _group_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("center", sa.Integer, nullable=False),
    ]


def _group_values(g: contracts.Group) -> dict[str, Any]:
    return {"name": g.name, "description": g.description or "", "center": g.center}


def _group_from_api(answer: Mapping[str, Any]) -> contracts.Group:
    """centers' ``GroupRead``: the event's names."""
    return answer_as(contracts.Group, answer)


def _room_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("type", sa.String(20), nullable=False, server_default="classroom"),
        sa.Column("capacity", sa.Integer, nullable=False, server_default="1"),
        sa.Column("is_available", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("center", sa.Integer, nullable=False),
    ]


def _room_values(r: contracts.Room) -> dict[str, Any]:
    return {
        "name": r.name,
        "type": r.type or "classroom",
        "capacity": r.capacity or 1,
        "is_available": r.is_available,
        "center": r.center,
    }


def _room_from_api(answer: Mapping[str, Any]) -> contracts.Room:
    """centers' ``RoomRead``: the event's names."""
    return answer_as(contracts.Room, answer)


centers = CopyTable(
    "center_copies",
    subject="entraide.centers.center.*",
    columns=_center_columns,
    model=contracts.Center,
    from_payload=_center_values,
    from_api=_center_from_api,
    owner_url_setting="centers_url",
    owner_path="/api/centers-app/centers/{id}/",
    indexes=[
        ("ix_center_copies_supervisor", ["supervisor"]),
        ("ix_center_copies_association", ["association"]),
    ],
)

associations = CopyTable(
    "association_copies",
    subject="entraide.centers.association.*",
    columns=_association_columns,
    model=contracts.Association,
    from_payload=_association_values,
    from_api=_association_from_api,
    owner_url_setting="centers_url",
    owner_path="/api/associations/{id}/",
    indexes=[("ix_association_copies_supervisor", ["supervisor"])],
)

groups = CopyTable(
    "group_copies",
    subject="entraide.centers.group.*",
    columns=_group_columns,
    model=contracts.Group,
    from_payload=_group_values,
    from_api=_group_from_api,
    owner_url_setting="centers_url",
    owner_path="/api/centers-app/groups/{id}/",
    indexes=[("ix_group_copies_center", ["center"])],
)

rooms = CopyTable(
    "room_copies",
    subject="entraide.centers.room.*",
    columns=_room_columns,
    model=contracts.Room,
    from_payload=_room_values,
    from_api=_room_from_api,
    owner_url_setting="centers_url",
    owner_path="/api/centers-app/rooms/{id}/",
    indexes=[("ix_room_copies_center", ["center"])],
)
