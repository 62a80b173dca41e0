"""What the attendance service publishes and consumes.

Publishes ``entraide.attendance.record.<id>``: id, date, student,
session_template, session_instance, status, group, trainer, center.

Consumes users (token revocation; names, the Arabic ones for the exports, and
trainers' names in a training course's name), centres (supervisors), students,
programs' training courses (programme and name of a session's course), and
schedule's templates and instances (copies: student_details,
session_template_details and session_instance_details come from them; an
instance's new trainer or group follows into its records' scope).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.copies import users
from entraide_kit.copies.centers import centers
from entraide_kit.copies.programs import courses
from entraide_kit.copies.students import students
from entraide_kit.events import Envelope, Outbox

from .copies import instances, sessions
from .models import AttendanceRecord

OUTBOX = Outbox("attendance")


def snapshot(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "date": r.date.isoformat(),
        "student": r.student_id,
        "session_template": r.session_template_id,
        "session_instance": r.session_instance_id,
        "status": r.status,
        "group": r.group_id,
        "trainer": r.trainer_id,
        "center": r.center_id,
    }


async def record_changed(session: AsyncSession, record: AttendanceRecord) -> None:
    await OUTBOX.upsert(session, "record", record.id or 0, record.version, snapshot(record))


async def records_changed(session: AsyncSession, rows: Sequence[Any]) -> None:
    await OUTBOX.add(
        session, [OUTBOX.envelope("record", r.id, r.version, snapshot(r), "upsert") for r in rows]
    )


async def record_deleted(session: AsyncSession, record: AttendanceRecord) -> None:
    await OUTBOX.delete(session, "record", record.id or 0, record.version + 1)


async def _instance_followed(session: AsyncSession, envelope: Envelope) -> None:
    from . import repository

    if envelope.op == "upsert" and envelope.data:
        data = envelope.data
        await repository.follow_instance(
            session,
            int(envelope.id),
            {
                "trainer_id": data.get("effective_trainer"),
                "group_id": data.get("group"),
                "center_id": data.get("center"),
            },
        )


SUBSCRIPTIONS = [
    # user_copies holds the students' Arabic names (student_stats and its exports).
    users.subscription(),
    centers.subscription(),
    students.subscription(),
    # A template's training course: its programme's name and the course's name.
    courses.subscription(),
    sessions.subscription(),
    instances.subscription(then=_instance_followed),
]
