"""What the attendance service publishes (what it consumes: ``handlers.py``).

Publishes ``entraide.attendance.record.<id>``: id, date, student,
session_template, session_instance, status, group, trainer, center, is_justified;
and ``entraide.attendance.alert.<id>`` (``alert_snapshot``) each time an
attendance alert is raised, grows, is acknowledged or resolves.
"""

from __future__ import annotations

import datetime as dt
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
        "is_justified": r.is_justified,
    }


async def record_changed(session: AsyncSession, record: AttendanceRecord) -> None:
    await OUTBOX.upsert(session, "record", record.id or 0, record.version, snapshot(record))


async def records_changed(session: AsyncSession, rows: Sequence[Any]) -> None:
    await OUTBOX.add(
        session, [OUTBOX.envelope("record", r.id, r.version, snapshot(r), "upsert") for r in rows]
    )


async def record_deleted(session: AsyncSession, record: AttendanceRecord) -> None:
    await OUTBOX.delete(session, "record", record.id or 0, record.version + 1)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


#: an alert's times in its events: UTC, always with microseconds (the same text
#: as the statement that writes alerts' events in SQL gives)
UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def _utc(value: Any) -> str | None:
    return value.astimezone(dt.UTC).strftime(UTC_FORMAT) if value is not None else None


def alert_snapshot(a: Any) -> dict[str, Any]:
    """An attendance alert's event (``entraide.attendance.alert.<id>``): raised
    (version 1, ``open``), grown, acknowledged or resolved."""
    return {
        "id": a.id,
        "student": a.student_id,
        "group": a.group_id,
        "center": a.center_id,
        "training_course": a.training_course_id,
        "kind": a.kind,
        "value": float(a.value),
        "threshold": float(a.threshold),
        "first_date": _iso(a.first_date),
        "last_date": _iso(a.last_date),
        "status": a.status,
        "acknowledged_by": a.acknowledged_by,
        "acknowledged_at": _utc(a.acknowledged_at),
        "resolved_at": _utc(a.resolved_at),
        "note": a.note,
    }


#: payload field -> column of the alerts a recheck writes (and their times as
#: ``UTC_FORMAT``'s text): their events, built in SQL
ALERT_EVENT_DATA = {
    "id": "id",
    "student": "student_id",
    "group": "group_id",
    "center": "center_id",
    "training_course": "training_course_id",
    "kind": "kind",
    "value": "value",
    "threshold": "threshold",
    "first_date": "first_date",
    "last_date": "last_date",
    "status": "status",
    "acknowledged_by": "acknowledged_by",
    "acknowledged_at": "acknowledged_at_text",
    "resolved_at": "resolved_at_text",
    "note": "note",
}


async def alert_changed(session: AsyncSession, alert: Any) -> None:
    await OUTBOX.upsert(session, "alert", alert.id or 0, alert.version, alert_snapshot(alert))
