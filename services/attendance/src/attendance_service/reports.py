"""Attendance statistics and the daily report of a period (aggregates in SQL;
reads only). The report and the student statistics also come as .csv and
.xlsx downloads (``exports.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.auth import Principal
from entraide_kit.errors import ValidationFailed

from . import answers, exports, policies, repository
from .schemas import RecentRecord, Stats, StudentStats, rate


def period(start: dt.date, end: dt.date) -> list[ColumnElement[bool]]:
    if end < start:
        raise ValidationFailed({"end_date": ["The end date is before the start date."]})
    return repository.in_period(start, end)


def _where(
    actor: Principal,
    start: dt.date,
    end: dt.date,
    *,
    student_id: int | None = None,
    group_id: int | None = None,
    trainer_id: int | None = None,
) -> list[ColumnElement[bool]]:
    return [
        policies.scope(actor),
        *period(start, end),
        *repository.by_scope(student_id=student_id, group_id=group_id, trainer_id=trainer_id),
    ]


async def stats(
    session: AsyncSession,
    actor: Principal,
    *,
    start: dt.date,
    end: dt.date,
    student_id: int | None,
    group_id: int | None,
    trainer_id: int | None,
) -> Stats:
    """Attendance statistics for a period and a scope (student, group or trainer)."""
    where = _where(
        actor, start, end, student_id=student_id, group_id=group_id, trainer_id=trainer_id
    )
    return answers.stats(await repository.stats(session, where))


_ZERO = type("Zero", (), {"total": 0, "present": 0, "absent": 0, "late": 0, "justified": 0})


async def _student_stats(
    session: AsyncSession, actor: Principal, group_id: int, start: dt.date, end: dt.date
) -> list[tuple[StudentStats, Any]]:
    where = _where(actor, start, end, group_id=group_id)
    members = await repository.students_of_group(session, group_id)
    counts = await repository.stats_per_student(session, where)
    recent = await repository.recent_per_student(session, where)
    out = []
    for m in members:
        student_id = m.id
        out.append(
            (
                StudentStats(
                    student=answers.student_details(student_id, m),
                    stats=answers.stats(counts.get(student_id, _ZERO)),
                    recent_attendance=[
                        RecentRecord(
                            id=r.id,
                            date=r.date,
                            status=r.status,
                            notes=r.notes,
                            is_justified=r.is_justified,
                        )
                        for r in recent.get(student_id, [])
                    ],
                ),
                m,
            )
        )
    return out


async def student_stats(
    session: AsyncSession,
    actor: Principal,
    *,
    group_id: int,
    start: dt.date,
    end: dt.date,
    format: str,
) -> list[StudentStats] | exports.Download:
    """Per student of a group: statistics and the 10 most recent records; as a list
    (json) or a file to download (csv, xlsx)."""
    rows = await _student_stats(session, actor, group_id, start, end)
    if format == "json":
        return [s for s, _ in rows]
    table = [
        [
            s.student.id,
            s.student.exam_id,
            s.student.user.first_name,
            s.student.user.last_name,
            m.arabic_first_name or "",
            m.arabic_last_name or "",
            s.stats.total_sessions,
            s.stats.present_count,
            s.stats.absent_count,
            s.stats.late_count,
            s.stats.attendance_rate,
            s.stats.justified_absences,
        ]
        for s, m in rows
        if s.student is not None
    ]
    return await exports.render(
        format,
        f"student-stats-group-{group_id}",
        exports.STUDENT_COLUMNS,
        table,
        label_col=2,
        rate_col=11,
        rtl_cols={5, 6},
    )


async def report(
    session: AsyncSession,
    actor: Principal,
    *,
    start: dt.date,
    end: dt.date,
    student_id: int | None,
    group_id: int | None,
    trainer_id: int | None,
    format: str,
) -> bytes | exports.Download:
    """Daily breakdown of a period: statistics and records per date; the ``Report``
    as JSON bytes, or a file to download (csv, xlsx)."""
    where = _where(
        actor, start, end, student_id=student_id, group_id=group_id, trainer_id=trainer_id
    )
    days = await repository.day_counts(session, where)
    if format != "json":
        table = [
            [
                d.date.isoformat(),
                d.total,
                d.present,
                d.absent,
                d.late,
                rate(d.present, d.late, d.total),
                d.justified,
            ]
            for d in days
        ]
        return await exports.render(
            format,
            f"attendance-report-{start}-{end}",
            exports.REPORT_COLUMNS,
            table,
            label_col=1,
            rate_col=6,
            rtl_cols=set(),
        )
    by_day: dict[dt.date, list[dict[str, Any]]] = {}
    for r in await repository.report_records(session, where):
        details = None
        if r.session_instance_id is not None:
            details = {
                "effective_start_time": r.effective_start_time,
                "effective_end_time": r.effective_end_time,
            }
        by_day.setdefault(r.date, []).append(
            {
                "id": r.id,
                "student": r.student_id,
                "status": r.status,
                "is_justified": r.is_justified,
                "session_instance_details": details,
            }
        )
    # A month of a large group is thousands of records: written out as JSON at
    # once (the shape is Report's, built here from typed columns), not
    # validated again field by field on the way out.
    payload = {
        "period": {"start_date": start, "end_date": end},
        "report": [
            {
                "date": d.date,
                "statistics": {
                    "total": d.total,
                    "present": d.present,
                    "absent": d.absent,
                    "late": d.late,
                    "justified_absences": d.justified,
                },
                "records": by_day.get(d.date, []),
            }
            for d in days
        ],
    }
    return orjson.dumps(payload)
