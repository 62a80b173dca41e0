"""Copies of the students service's students (attendance and exams keep them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .base import CopyTable


def _id_of(value: Any) -> int | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return int(value) if value is not None else None


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


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    user = data.get("user")
    names = user if isinstance(user, Mapping) else data
    return {
        "user": _id_of(user) or 0,
        "first_name": names.get("first_name") or "",
        "last_name": names.get("last_name") or "",
        "email": names.get("email") or "",
        "exam_id": data.get("exam_id") or "",
        "center": _id_of(data.get("center")),
        "group": _id_of(data.get("group")),
        "program": _id_of(data.get("program")),
        "training_course": _id_of(data.get("training_course")),
        "academic_year": data.get("academic_year") or "",
    }


students = CopyTable(
    "student_copies",
    subject="entraide.students.student.*",
    columns=_columns,
    from_snapshot=_values,
    owner_url_setting="students_url",
    owner_path="/api/students/{id}/",
    owner_list_path="/api/students/?id__in={ids}&page_size={size}",
    indexes=[
        ("ix_student_copies_user", ["user"]),
        ("ix_student_copies_group", ["group"]),
        ("ix_student_copies_center", ["center"]),
    ],
)
