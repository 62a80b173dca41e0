"""What the students service publishes.

Publishes ``entraide.students.student.<id>``: id, user, first_name, last_name,
email, exam_id, center, group, program, training_course, academic_year.

What it consumes, and does on those events: handlers.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.events import Outbox

from .models import Student

OUTBOX = Outbox("students")


def snapshot(student: Student, user: dict[str, Any] | None) -> dict[str, Any]:
    user = user or {}
    return {
        "id": student.id,
        "user": student.user_id,
        "first_name": user.get("first_name", ""),
        "last_name": user.get("last_name", ""),
        "email": user.get("email", ""),
        "exam_id": student.exam_id,
        "center": student.center_id,
        "group": student.group_id,
        "program": student.program_id,
        "training_course": student.training_course_id,
        "academic_year": student.academic_year,
    }


async def student_changed(
    session: AsyncSession, student: Student, user: dict[str, Any] | None
) -> None:
    await OUTBOX.upsert(
        session, "student", student.id or 0, student.version, snapshot(student, user)
    )


async def student_deleted(session: AsyncSession, student: Student) -> None:
    await OUTBOX.delete(session, "student", student.id or 0, student.version + 1)
