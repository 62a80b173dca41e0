"""HTTP endpoints of the attendance service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlmodel import col

from entraide_kit.auth import CurrentUser, Principal, Role, require_roles
from entraide_kit.copies.students import students
from entraide_kit.db import SessionDep
from entraide_kit.errors import NotFound, PermissionDenied, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageDep, paginate

from . import exports, policies, repository, service, views
from .models import AttendanceRecord
from .schemas import (
    BulkIn,
    BulkOut,
    RecordCreate,
    RecordPage,
    RecordRead,
    RecordUpdate,
    Report,
    Stats,
    StudentStats,
    rate,
)

router = APIRouter(prefix="/api/attendance/api/records", tags=["attendance"])
# Roles are checked before the body and the id are looked at (a 403 is a 403).
Staff = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.center_supervisor, Role.trainer))
]
Readers = Annotated[
    Principal,
    Depends(require_roles(Role.admin, Role.center_supervisor, Role.trainer, Role.student)),
]
RecordQuery = Annotated[ListQuery, Depends(repository.RECORD_LIST.dependency())]
TrainerId = Annotated[
    str | None,
    Query(
        description="A trainer's user id, or `me` (the caller): the records whose weekly "
        "template (or whose instance's template) has that trainer. A trainer always gets "
        "the records of the sessions they teach, whatever is asked.",
        examples=["me"],
    ),
]
Format = Annotated[Literal["json", "csv", "xlsx"], Query(description="json (default), csv or xlsx")]
Required = Query(description="YYYY-MM-DD")


def _period(start: dt.date, end: dt.date) -> list[Any]:
    if end < start:
        raise ValidationFailed({"end_date": ["The end date is before the start date."]})
    return repository.in_period(start, end)


async def record_by_id(actor: Readers, record_id: int, session: SessionDep) -> AttendanceRecord:
    stmt = repository.records_query().where(
        col(AttendanceRecord.id) == record_id, policies.scope(actor)
    )
    if (await session.execute(stmt)).first() is None:
        raise NotFound()
    found = await repository.get(session, record_id, for_update=True)
    if found is None:
        raise NotFound()
    return found


RecordDep = Annotated[AttendanceRecord, Depends(record_by_id)]


async def _rows(session: SessionDep, actor: CurrentUser, *where: Any) -> list[RecordRead]:
    stmt = repository.records_query().where(policies.scope(actor), *where)
    stmt = stmt.order_by(col(AttendanceRecord.date).desc(), col(AttendanceRecord.id))
    return [views.record(r) for r in await session.execute(stmt)]


@router.get("/", response_model=RecordPage)
async def list_records(
    actor: Staff,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: RecordQuery,
    trainer_id: TrainerId = None,
) -> dict[str, Any]:
    """List attendance records (a trainer: their sessions'; a supervisor: their centres')."""
    stmt = repository.RECORD_LIST.apply(
        repository.records_query().where(
            policies.scope(actor), *service.trainer_filter(actor, trainer_id)
        ),
        query,
    )
    return await paginate(
        session, stmt, request=request, params=page, scalars=False, transform=views.record
    )


@router.post("/", response_model=RecordRead, status_code=status.HTTP_201_CREATED)
async def create_record(
    actor: Staff, request: Request, body: RecordCreate, session: SessionDep
) -> RecordRead:
    """Record a student's attendance for a session (either a template or an instance)."""
    record = await service.create_record(
        session, request, actor, body.model_dump(exclude_unset=True)
    )
    return views.record(await repository.get_row(session, record.id or 0))


@router.post("/bulk_create/", response_model=BulkOut)
async def bulk_create(
    actor: Staff, request: Request, body: BulkIn, session: SessionDep
) -> dict[str, Any]:
    """Take a whole class's attendance at once (existing records are updated)."""
    return await service.bulk_create(session, request, actor, body)


@router.get("/by_session/", response_model=list[RecordRead])
async def by_session(
    actor: Staff,
    session: SessionDep,
    session_instance_id: int | None = None,
    session_template_id: int | None = None,
    date: dt.date | None = None,
) -> list[RecordRead]:
    """A session's records: ``session_instance_id``, or ``session_template_id`` with ``date``."""
    if session_instance_id is not None:
        where = [col(AttendanceRecord.session_instance_id) == session_instance_id]
    elif session_template_id is not None and date is not None:
        where = [
            col(AttendanceRecord.session_template_id) == session_template_id,
            col(AttendanceRecord.date) == date,
        ]
    else:
        raise ValidationFailed(
            {"non_field_errors": ["Give session_instance_id, or session_template_id and date."]}
        )
    return await _rows(session, actor, *where)


@router.get("/by_student/", response_model=list[RecordRead])
async def by_student(
    actor: Readers,
    session: SessionDep,
    student_id: int,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> list[RecordRead]:
    """A student's records (students: their own only)."""
    if actor.role is Role.student:
        own = (await students.by_ids(session, [student_id])).get(student_id)
        if own is None or own["user"] != actor.id:
            raise PermissionDenied("You can only see your own attendance.")
    return await _rows(
        session,
        actor,
        *repository.by_scope(student_id=student_id),
        *repository.in_period(start_date, end_date),
    )


@router.get("/by_group/", response_model=list[RecordRead])
async def by_group(
    actor: Staff,
    session: SessionDep,
    group_id: int,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> list[RecordRead]:
    """The records of all students of a group."""
    return await _rows(
        session,
        actor,
        *repository.by_scope(group_id=group_id),
        *repository.in_period(start_date, end_date),
    )


@router.get("/stats/", response_model=Stats)
async def stats(
    actor: Staff,
    session: SessionDep,
    start_date: Annotated[dt.date, Required],
    end_date: Annotated[dt.date, Required],
    student_id: int | None = None,
    group_id: int | None = None,
    trainer_id: int | None = None,
) -> Stats:
    """Attendance statistics for a period and a scope (student, group or trainer)."""
    where = [
        policies.scope(actor),
        *_period(start_date, end_date),
        *repository.by_scope(student_id=student_id, group_id=group_id, trainer_id=trainer_id),
    ]
    return views.stats(await repository.stats(session, where))


async def _student_stats(
    session: SessionDep, actor: CurrentUser, group_id: int, start: dt.date, end: dt.date
) -> list[tuple[StudentStats, Any]]:
    where = [policies.scope(actor), *_period(start, end), *repository.by_scope(group_id=group_id)]
    members = await repository.students_of_group(session, group_id)
    counts = await repository.stats_per_student(session, where)
    recent = await repository.recent_per_student(session, where)
    out = []
    zero = type("Zero", (), {"total": 0, "present": 0, "absent": 0, "late": 0})
    for m in members:
        student_id = m.id
        out.append(
            (
                StudentStats.model_validate(
                    {
                        "student": views.student_details(student_id, m._mapping),
                        "stats": views.stats(counts.get(student_id, zero)),
                        "recent_attendance": [
                            {"id": r.id, "date": r.date, "status": r.status, "notes": r.notes}
                            for r in recent.get(student_id, [])
                        ],
                    }
                ),
                m,
            )
        )
    return out


@router.get("/student_stats/", response_model=list[StudentStats])
async def student_stats(
    actor: Staff,
    session: SessionDep,
    group_id: int,
    start_date: Annotated[dt.date, Required],
    end_date: Annotated[dt.date, Required],
    format: Format = "json",
) -> Any:
    """Per student of a group: statistics and the 10 most recent records (?format=csv|xlsx)."""
    rows = await _student_stats(session, actor, group_id, start_date, end_date)
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
        ]
        for s, m in rows
        if s.student is not None
    ]
    return await exports.download(
        format,
        f"student-stats-group-{group_id}",
        exports.STUDENT_COLUMNS,
        table,
        label_col=2,
        rate_col=11,
        rtl_cols={5, 6},
    )


@router.get("/report/", response_model=Report)
async def report(
    actor: Staff,
    session: SessionDep,
    start_date: Annotated[dt.date, Required],
    end_date: Annotated[dt.date, Required],
    student_id: int | None = None,
    group_id: int | None = None,
    trainer_id: int | None = None,
    format: Format = "json",
) -> Any:
    """Daily breakdown of a period: statistics and records per date (?format=csv|xlsx)."""
    where = [
        policies.scope(actor),
        *_period(start_date, end_date),
        *repository.by_scope(student_id=student_id, group_id=group_id, trainer_id=trainer_id),
    ]
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
            ]
            for d in days
        ]
        return await exports.download(
            format,
            f"attendance-report-{start_date}-{end_date}",
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
                "session_instance_details": details,
            }
        )
    # A month of a large group is thousands of records: written out as JSON at
    # once (the shape is Report's, built here from typed columns), not
    # validated again field by field on the way out.
    payload = {
        "period": {"start_date": start_date, "end_date": end_date},
        "report": [
            {
                "date": d.date,
                "statistics": {
                    "total": d.total,
                    "present": d.present,
                    "absent": d.absent,
                    "late": d.late,
                },
                "records": by_day.get(d.date, []),
            }
            for d in days
        ],
    }
    return Response(orjson.dumps(payload), media_type="application/json")


@router.get("/{record_id}/", response_model=RecordRead)
async def retrieve_record(record: RecordDep, session: SessionDep) -> RecordRead:
    """Retrieve a record (students: their own only)."""
    return views.record(await repository.get_row(session, record.id or 0))


async def _update(
    request: Request,
    record: AttendanceRecord,
    changes: dict[str, Any],
    session: SessionDep,
    actor: Staff,
) -> RecordRead:
    record = await service.update_record(session, request, actor, record, changes)
    return views.record(await repository.get_row(session, record.id or 0))


@router.put("/{record_id}/", response_model=RecordRead)
async def update_record(
    actor: Staff, request: Request, record: RecordDep, body: RecordCreate, session: SessionDep
) -> RecordRead:
    """Update a record (full update)."""
    return await _update(request, record, body.model_dump(exclude_unset=True), session, actor)


@router.patch("/{record_id}/", response_model=RecordRead)
async def partial_update_record(
    actor: Staff, request: Request, record: RecordDep, body: RecordUpdate, session: SessionDep
) -> RecordRead:
    """Update a record (partial update)."""
    return await _update(request, record, body.model_dump(exclude_unset=True), session, actor)


@router.delete("/{record_id}/", status_code=status.HTTP_204_NO_CONTENT)
async def delete_record(actor: Staff, record: RecordDep, session: SessionDep) -> Response:
    """Delete a record."""
    await service.delete_record(session, actor, record)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
