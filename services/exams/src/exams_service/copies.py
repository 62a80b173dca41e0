"""Copies of the programs service's weekly plans (only exams keeps them)."""

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
        sa.Column("programe", sa.Integer, nullable=True),
        sa.Column("month", sa.Integer, nullable=True),
        sa.Column("week_number", sa.Integer, nullable=True),
        sa.Column("title", sa.String(255), nullable=False, server_default=""),
    ]


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    programe = data.get("programe")
    distribution = data.get("annual_distribution")
    if programe is None and isinstance(distribution, Mapping):
        programe = distribution.get("programe")
    return {
        "programe": _id_of(programe),
        "month": data.get("month"),
        "week_number": data.get("week_number"),
        "title": data.get("title") or "",
    }


weekly_plans = CopyTable(
    "weekly_plan_copies",
    subject="entraide.programs.weeklyplan.*",
    columns=_columns,
    from_snapshot=_values,
    owner_url_setting="programs_url",
    owner_path="/api/programs/weeklycourseplans/{id}/",
)
