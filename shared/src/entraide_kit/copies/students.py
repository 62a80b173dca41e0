"""Copies of the students service's students (attendance and exams keep them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .. import contracts
from .base import CopyTable, answer_as


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("user", sa.Integer, nullable=False),
        sa.Column("first_name", sa.String(30), nullable=False, server_default=""),
        sa.Column("last_name", sa.String(30), nullable=False, server_default=""),
        sa.Column("email", sa.String(254), nullable=False, server_default=""),
        sa.Column("exam_id", sa.String(20), nullable=False, server_default=""),
        sa.Column("center", sa.Integer, nullable=True),
        sa.Column("group", sa.Integer, nullable=True),
        sa.Column("program", sa.Integer, nullable=True),
        sa.Column("training_course", sa.Integer, nullable=True),
        sa.Column("academic_year", sa.String(9), nullable=False, server_default=""),
    ]


def _values(s: contracts.Student) -> dict[str, Any]:
    return {
        "user": s.user,
        "first_name": s.first_name or "",
        "last_name": s.last_name or "",
        "email": s.email or "",
        "exam_id": s.exam_id or "",
        "center": s.center,
        "group": s.group,
        "program": s.program,
        "training_course": s.training_course,
        "academic_year": s.academic_year or "",
    }


def _from_api(answer: Mapping[str, Any]) -> contracts.Student:
    """students' ``StudentRead``: the account nested under ``user`` with its names."""
    user = answer["user"]
    return answer_as(
        contracts.Student,
        answer,
        user=user["id"],
        first_name=user["first_name"],
        last_name=user["last_name"],
        email=user["email"],
    )


students = CopyTable(
    "student_copies",
    subject="entraide.students.student.*",
    columns=_columns,
    model=contracts.Student,
    from_payload=_values,
    from_api=_from_api,
    owner_url_setting="students_url",
    owner_path="/api/students/{id}/",
    owner_list_path="/api/students/?id__in={ids}&page_size={size}",
    indexes=[
        ("ix_student_copies_user", ["user"]),
        ("ix_student_copies_group", ["group"]),
        ("ix_student_copies_center", ["center"]),
    ],
)
