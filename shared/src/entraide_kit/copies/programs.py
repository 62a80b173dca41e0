"""Copies of the programs service's programmes and training courses (students,
schedule, exams, content keep them). Snapshots come from events (ids and names)
or from the owner's API (nested objects): both are read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .base import CopyTable


def _id_of(value: Any) -> int | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return int(value) if value is not None else None


def _name_of(value: Any, fallback: Any = "") -> str:
    if isinstance(value, Mapping):
        return str(value.get("name") or "")
    return str(fallback or "")


def _program_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("duration_years", sa.Integer, nullable=False, server_default="1"),
    ]


def _program_values(data: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": data.get("name") or "", "duration_years": int(data.get("duration_years") or 1)}


def _course_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("program", sa.Integer, nullable=True),
        sa.Column("program_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("program_duration_years", sa.Integer, nullable=True),
        sa.Column("center", sa.Integer, nullable=True),
        sa.Column("center_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("academic_year", sa.String(9), nullable=False, server_default=""),
        sa.Column("trainer", sa.Integer, nullable=True),
    ]


def _course_values(data: Mapping[str, Any]) -> dict[str, Any]:
    program, center = data.get("program"), data.get("center")
    duration = (
        program.get("duration_years")
        if isinstance(program, Mapping)
        else data.get("program_duration_years")
    )
    return {
        "program": _id_of(program),
        "program_name": _name_of(program, data.get("program_name")),
        "program_duration_years": duration,
        "center": _id_of(center),
        "center_name": _name_of(center, data.get("center_name")),
        "academic_year": data.get("academic_year") or "",
        "trainer": _id_of(data.get("trainer")),
    }


programs = CopyTable(
    "program_copies",
    subject="entraide.programs.program.*",
    columns=_program_columns,
    from_snapshot=_program_values,
    owner_url_setting="programs_url",
    owner_path="/api/programs/trainingprogrames/{id}/",
)

courses = CopyTable(
    "course_copies",
    subject="entraide.programs.trainingcourse.*",
    columns=_course_columns,
    from_snapshot=_course_values,
    owner_url_setting="programs_url",
    owner_path="/api/programs/trainingcourses/{id}/",
    indexes=[("ix_course_copies_center", ["center"]), ("ix_course_copies_trainer", ["trainer"])],
)
