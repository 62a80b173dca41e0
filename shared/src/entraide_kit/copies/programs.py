"""Copies of the programs service's programmes and training courses (students,
schedule, exams, content keep them). Events carry ids and names; the owner's
API answers nested objects (``from_api``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .. import contracts
from .base import CopyTable, answer_as, id_of


def _program_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("duration_years", sa.Integer, nullable=False, server_default="1"),
    ]


def _program_values(p: contracts.Program) -> dict[str, Any]:
    return {"name": p.name, "duration_years": p.duration_years or 1}


def _program_from_api(answer: Mapping[str, Any]) -> contracts.Program:
    """programs' ``ProgramRead``: the event's names."""
    return answer_as(contracts.Program, answer)


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


def _course_values(c: contracts.TrainingCourse) -> dict[str, Any]:
    return {
        "program": c.program,
        "program_name": c.program_name or "",
        "program_duration_years": c.program_duration_years,
        "center": c.center,
        "center_name": c.center_name or "",
        "academic_year": c.academic_year or "",
        "trainer": c.trainer,
    }


def _course_from_api(answer: Mapping[str, Any]) -> contracts.TrainingCourse:
    """programs' ``CourseRead``: ``program`` nested (a ``ProgramRead``), ``center``
    and ``trainer`` nested summaries (null while programs' own copies lack them)."""
    program, center = answer["program"], answer["center"]
    return answer_as(
        contracts.TrainingCourse,
        answer,
        program=program["id"],
        program_name=program["name"],
        program_duration_years=program["duration_years"],
        center=id_of(center),
        center_name=center["name"] if center is not None else None,
        trainer=id_of(answer["trainer"]),
    )


programs = CopyTable(
    "program_copies",
    subject="entraide.programs.program.*",
    columns=_program_columns,
    model=contracts.Program,
    from_payload=_program_values,
    from_api=_program_from_api,
    owner_url_setting="programs_url",
    owner_path="/api/programs/trainingprogrames/{id}/",
)

courses = CopyTable(
    "course_copies",
    subject="entraide.programs.trainingcourse.*",
    columns=_course_columns,
    model=contracts.TrainingCourse,
    from_payload=_course_values,
    from_api=_course_from_api,
    owner_url_setting="programs_url",
    owner_path="/api/programs/trainingcourses/{id}/",
    indexes=[("ix_course_copies_center", ["center"]), ("ix_course_copies_trainer", ["trainer"])],
)
