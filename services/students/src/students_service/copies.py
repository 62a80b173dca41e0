"""Copies kept only by the students service: the schedule's weekly templates, reduced to
who teaches which group (a trainer reads the students of the groups they teach)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from entraide_kit.copies.base import CopyTable


def _id_of(value: Any) -> int | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return int(value) if value is not None else None


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("trainer", sa.Integer, nullable=True),
        sa.Column("group_id", sa.Integer, nullable=True),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    ]


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "trainer": _id_of(data.get("trainer")),
        "group_id": _id_of(data.get("group")),
        "is_active": bool(data.get("is_active", True)),
    }


sessions = CopyTable(
    "session_copies",
    subject="entraide.schedule.session.*",
    columns=_columns,
    from_snapshot=_values,
    indexes=[("ix_session_copies_trainer", ["trainer"])],
)


def taught_groups(trainer_id: int) -> sa.Select[Any]:
    """The groups of the trainer's active weekly templates."""
    t = sessions.table
    return sa.select(t.c.group_id).where(
        t.c.trainer == trainer_id, t.c.is_active.is_(True), t.c.group_id.is_not(None)
    )
