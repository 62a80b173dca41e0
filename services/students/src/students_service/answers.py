"""Read shapes of students, from rows of ``repository.students_query()`` (flat rows:
the student's columns beside the joined names)."""

from __future__ import annotations

from typing import Any

from .schemas import StudentCreated, StudentRead, UserSummary


def student(row: Any) -> StudentRead:
    return StudentRead(**_fields(row))


def student_created(row: Any, initial_password: str) -> StudentCreated:
    """A student just created, with its account's one-time password."""
    return StudentCreated(**_fields(row), initial_password=initial_password)


def _fields(row: Any) -> dict[str, Any]:
    first, last = row.first_name or "", row.last_name or ""
    return dict(
        id=row.id,
        exam_id=row.exam_id,
        center_code=row.center_code,
        center=row.center_id,
        center_name=row.center_name,
        program=row.program_id,
        program_name=row.program_name,
        academic_year=row.academic_year,
        joining_date=row.joining_date,
        training_course=row.training_course_id,
        group=row.group_id,
        group_name=row.group_name,
        user_info=f"{first} {last} - (Student)".strip(),
        user=UserSummary(
            id=row.user_id,
            email=row.email or "",
            first_name=first,
            last_name=last,
            is_active=bool(row.is_active) if row.is_active is not None else True,
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
