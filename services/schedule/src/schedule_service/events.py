"""What the schedule service publishes (what it consumes: ``handlers.py``).

Publishes (``entraide.schedule.<entity>.<id>``, for attendance):
- ``session`` (a weekly template): id, day, start_time, end_time, academic_year,
  trainer, room, group, training_course, center, is_active
- ``instance``: id, schedule_template, specific_date, status,
  effective_start_time, effective_end_time, effective_trainer, effective_room,
  group, center
Every change bumps the record's version; deletes are ``op=delete`` with the
version after the last upsert (deleting a template deletes its instances, and
says so). An instance shows its template's values: a template's change
re-publishes its instances, and a training course moved to another centre
re-publishes its templates and their instances.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.events import Outbox

from .models import ScheduleSession, SessionInstance

OUTBOX = Outbox("schedule")


def _t(value: dt.time | None) -> str | None:
    return value.isoformat() if value is not None else None


def session_snapshot(s: ScheduleSession) -> dict[str, Any]:
    return {
        "id": s.id,
        "day": s.day,
        "start_time": _t(s.start_time),
        "end_time": _t(s.end_time),
        "academic_year": s.academic_year,
        "trainer": s.trainer_id,
        "room": s.room_id,
        "group": s.group_id,
        "training_course": s.training_course_id,
        "center": s.center_id,
        "is_active": s.is_active,
    }


def instance_values(
    *,
    id: int,
    template: int,
    specific_date: dt.date,
    status: str,
    start: dt.time,
    end: dt.time,
    trainer: int | None,
    room: int | None,
    group: int | None,
    center: int | None,
) -> dict[str, Any]:
    return {
        "id": id,
        "schedule_template": template,
        "specific_date": specific_date.isoformat(),
        "status": status,
        "effective_start_time": _t(start),
        "effective_end_time": _t(end),
        "effective_trainer": trainer,
        "effective_room": room,
        "group": group,
        "center": center,
    }


def _own_or(value: Any, fallback: Any) -> Any:
    return value if value is not None else fallback


def instance_snapshot(i: SessionInstance, t: ScheduleSession) -> dict[str, Any]:
    return instance_values(
        id=i.id or 0,
        template=i.schedule_template_id,
        specific_date=i.specific_date,
        status=i.status,
        start=_own_or(i.custom_start_time, t.start_time),
        end=_own_or(i.custom_end_time, t.end_time),
        trainer=_own_or(i.custom_trainer_id, t.trainer_id),
        room=_own_or(i.custom_room_id, t.room_id),
        group=t.group_id,
        center=t.center_id,
    )


async def session_changed(session: AsyncSession, s: ScheduleSession) -> None:
    await OUTBOX.upsert(session, "session", s.id or 0, s.version, session_snapshot(s))


async def instance_changed(session: AsyncSession, i: SessionInstance, t: ScheduleSession) -> None:
    await OUTBOX.upsert(session, "instance", i.id or 0, i.version, instance_snapshot(i, t))


async def instances_changed(
    session: AsyncSession, pairs: Iterable[tuple[SessionInstance, ScheduleSession]]
) -> None:
    """Many instances' upserts in one statement."""
    await OUTBOX.add(
        session,
        [
            OUTBOX.envelope("instance", i.id or 0, i.version, instance_snapshot(i, t), "upsert")
            for i, t in pairs
        ],
    )


async def instances_created(session: AsyncSession, snapshots: Sequence[dict[str, Any]]) -> None:
    """The instances a generation made (version 1), in one statement."""
    await OUTBOX.add(
        session, [OUTBOX.envelope("instance", s["id"], 1, s, "upsert") for s in snapshots]
    )


async def deleted(session: AsyncSession, entity: str, items: Iterable[tuple[int, int]]) -> None:
    """(id, version) pairs: one past the last upsert, so the deletion wins over any late
    copy of it."""
    await OUTBOX.add(
        session, [OUTBOX.envelope(entity, i, version + 1, None, "delete") for i, version in items]
    )
