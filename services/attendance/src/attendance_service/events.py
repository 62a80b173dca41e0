"""What the attendance service publishes (what it consumes: ``handlers.py``).

Publishes ``entraide.attendance.record.<id>``: id, date, student,
session_template, session_instance, status, group, trainer, center.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.events import Outbox

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
