"""What the students service publishes and consumes.

Publishes ``entraide.students.student.<id>``: id, user, first_name, last_name,
email, exam_id, center, group, program, training_course, academic_year.

Consumes users (names, token revocation; a deleted user takes their student
record with them) and their profiles (the web client's user objects), centres,
groups, programmes and training courses (copies used to check references and
show names), and the schedule's weekly templates (which trainer teaches which
group).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit import records
from entraide_kit.copies import users
from entraide_kit.copies.centers import centers, groups
from entraide_kit.copies.profiles import profiles
from entraide_kit.copies.programs import courses, programs
from entraide_kit.events import Envelope, Outbox, Subscription

from .copies import sessions
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


async def _user_event(session: AsyncSession, envelope: Envelope) -> None:
    from . import repository

    await users.apply_user(session, envelope)
    student = await repository.by_user(session, int(envelope.id))
    if student is None:
        return
    if envelope.op == "delete":
        # The account is gone (deleted in auth by anyone): so is the student.
        await student_deleted(session, student)
        await records.remove(session, student)
    else:
        # Names and email are part of what students publish.
        student = await records.save(session, student, {})
        await student_changed(session, student, envelope.data)


SUBSCRIPTIONS = [
    Subscription("entraide.auth.user.*", _user_event, users.wipe),
    profiles.subscription(),
    centers.subscription(),
    groups.subscription(),
    programs.subscription(),
    courses.subscription(),
    sessions.subscription(),
]
