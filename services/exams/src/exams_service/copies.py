"""Copies of the programs service's weekly plans (only exams keeps them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from entraide_kit import contracts
from entraide_kit.copies.base import CopyTable, answer_as


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("programe", sa.Integer, nullable=True),
        sa.Column("month", sa.Integer, nullable=True),
        sa.Column("week_number", sa.Integer, nullable=True),
        sa.Column("title", sa.String(255), nullable=False, server_default=""),
    ]


def _values(w: contracts.WeeklyPlan) -> dict[str, Any]:
    return {
        "programe": w.programe,
        "month": w.month,
        "week_number": w.week_number,
        "title": w.title or "",
    }


def _from_api(answer: Mapping[str, Any]) -> contracts.WeeklyPlan:
    """programs' ``WeeklyPlanRead``: its annual distribution nested, with the programme."""
    distribution = answer["annual_distribution"]
    return answer_as(
        contracts.WeeklyPlan,
        answer,
        annual_distribution=distribution["id"],
        programe=distribution["programe"]["id"],
    )


weekly_plans = CopyTable(
    "weekly_plan_copies",
    subject="entraide.programs.weeklyplan.*",
    columns=_columns,
    model=contracts.WeeklyPlan,
    from_payload=_values,
    from_api=_from_api,
    owner_url_setting="programs_url",
    owner_path="/api/programs/weeklycourseplans/{id}/",
)
