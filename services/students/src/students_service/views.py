"""Read shapes of students, from rows of ``repository.students_query()``."""

from __future__ import annotations

from typing import Any

from .schemas import StudentCreated, StudentRead, UserSummary


def student(row: Any) -> StudentRead:
    return StudentRead(**_fields(row))


def student_created(row: Any, initial_password: str) -> StudentCreated:
    """A student just created, with its account's one-time password."""
    return StudentCreated(**_fields(row), initial_password=initial_password)


def _fields(row: Any) -> dict[str, Any]:
    s = row[0]
    first, last = row.first_name or "", row.last_name or ""
    return dict(
        id=s.id,
        exam_id=s.exam_id,
        center_code=s.center_code,
        center=s.center_id,
        center_name=row.center_name,
        program=s.program_id,
        program_name=row.program_name,
        academic_year=s.academic_year,
        joining_date=s.joining_date,
        training_course=s.training_course_id,
        group=s.group_id,
        group_name=row.group_name,
        user_info=f"{first} {last} - (Student)".strip(),
        user=UserSummary(
            id=s.user_id,
            email=row.email or "",
            first_name=first,
            last_name=last,
            is_active=bool(row.is_active) if row.is_active is not None else True,
        ),
        created_at=s.created_at,
        updated_at=s.updated_at,
    )
