"""Copies of the centers service's centres, rooms and groups (programs, students,
schedule, attendance keep them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .base import CopyTable


def _center_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False, server_default=""),
        sa.Column("supervisor", sa.Integer, nullable=True),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    ]


def _center_values(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": data.get("name") or "",
        "city": data.get("city") or "",
        "supervisor": data.get("supervisor"),
        "is_active": bool(data.get("is_active", True)),
    }


def _group_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("center", sa.Integer, nullable=False),
    ]


def _group_values(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": data.get("name") or "",
        "description": data.get("description") or "",
        "center": int(data.get("center") or 0),
    }


def _room_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("type", sa.String(20), nullable=False, server_default="classroom"),
        sa.Column("capacity", sa.Integer, nullable=False, server_default="1"),
        sa.Column("is_available", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("center", sa.Integer, nullable=False),
    ]


def _room_values(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": data.get("name") or "",
        "type": data.get("type") or "classroom",
        "capacity": int(data.get("capacity") or 1),
        "is_available": bool(data.get("is_available", True)),
        "center": int(data.get("center") or 0),
    }


centers = CopyTable(
    "center_copies",
    subject="entraide.centers.center.*",
    columns=_center_columns,
    from_snapshot=_center_values,
    owner_url_setting="centers_url",
    owner_path="/api/centers-app/centers/{id}/",
    indexes=[("ix_center_copies_supervisor", ["supervisor"])],
)

groups = CopyTable(
    "group_copies",
    subject="entraide.centers.group.*",
    columns=_group_columns,
    from_snapshot=_group_values,
    owner_url_setting="centers_url",
    owner_path="/api/centers-app/groups/{id}/",
    indexes=[("ix_group_copies_center", ["center"])],
)

rooms = CopyTable(
    "room_copies",
    subject="entraide.centers.room.*",
    columns=_room_columns,
    from_snapshot=_room_values,
    owner_url_setting="centers_url",
    owner_path="/api/centers-app/rooms/{id}/",
    indexes=[("ix_room_copies_center", ["center"])],
)
