"""Copies kept only by the students service: the schedule's weekly templates, reduced to
who teaches which group (a trainer reads the students of the groups they teach)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from entraide_kit import contracts
from entraide_kit.copies.base import CopyTable


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("trainer", sa.Integer, nullable=True),
        sa.Column("group_id", sa.Integer, nullable=True),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    ]


def _values(s: contracts.Session) -> dict[str, Any]:
    return {"trainer": s.trainer, "group_id": s.group, "is_active": s.is_active}


# Kept from events only: no owner fallback (a template is only read here).
sessions = CopyTable(
    "session_copies",
    subject="entraide.schedule.session.*",
    columns=_columns,
    model=contracts.Session,
    from_payload=_values,
    indexes=[("ix_session_copies_trainer", ["trainer"])],
)


def taught_groups(trainer_id: int) -> sa.Select[Any]:
    """The groups of the trainer's active weekly templates."""
    t = sessions.table
    return sa.select(t.c.group_id).where(
        t.c.trainer == trainer_id, t.c.is_active.is_(True), t.c.group_id.is_not(None)
    )
