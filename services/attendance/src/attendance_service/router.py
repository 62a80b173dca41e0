"""HTTP endpoints of the attendance service: thin; they declare what a request
carries, call one service function and return its answer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from entraide_kit.answercache import cacheable
from entraide_kit.auth import Principal, Role, require_roles
from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageDep
from entraide_kit.types import AcademicYear

from . import network, reports, service
from .exports import Download
from .models import AttendanceRecord
from .network_schemas import Level, NetworkRow
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
RecordQuery = Annotated[ListQuery, Depends(service.RECORD_QUERY)]
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


async def record_by_id(actor: Staff, record_id: int, session: SessionDep) -> AttendanceRecord:
    """The record a write is for, locked; its 404 (also for a record out of the
    caller's scope) comes before the body is read (declared after the role, before
    the body)."""
    return await service.record_for_write(session, actor, record_id)


RecordDep = Annotated[AttendanceRecord, Depends(record_by_id)]


def _download(file: Download) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{file.filename}"'}
    return Response(file.body, media_type=file.media_type, headers=headers)


@router.get("/", response_model=RecordPage)
@cacheable
async def list_records(
    actor: Staff,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: RecordQuery,
    trainer_id: TrainerId = None,
) -> RecordPage:
    """List attendance records (a trainer: their sessions'; a supervisor: their centres')."""
    return await service.list_records(session, ctx, actor, page, query, trainer_id)


@router.post("/", response_model=RecordRead, status_code=status.HTTP_201_CREATED)
async def create_record(
    actor: Staff, ctx: CtxDep, body: RecordCreate, session: SessionDep
) -> RecordRead:
    """Record a student's attendance for a session (either a template or an instance)."""
    return await service.create_record(session, ctx, actor, body)


@router.post("/bulk_create/", response_model=BulkOut)
async def bulk_create(actor: Staff, ctx: CtxDep, body: BulkIn, session: SessionDep) -> BulkOut:
    """Take a whole class's attendance at once (existing records are updated)."""
    return await service.bulk_create(session, ctx, actor, body)


@router.get("/by_session/", response_model=list[RecordRead])
@cacheable
async def by_session(
    actor: Staff,
    session: ReadSessionDep,
    session_instance_id: int | None = None,
    session_template_id: int | None = None,
    date: dt.date | None = None,
) -> list[RecordRead]:
    """A session's records: ``session_instance_id``, or ``session_template_id`` with ``date``."""
    return await service.by_session(
        session,
        actor,
        instance_id=session_instance_id,
        template_id=session_template_id,
        date=date,
    )


@router.get("/by_student/", response_model=list[RecordRead])
@cacheable
async def by_student(
    actor: Readers,
    session: ReadSessionDep,
    student_id: int,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> list[RecordRead]:
    """A student's records (students: their own only)."""
    return await service.by_student(
        session, actor, student_id=student_id, start=start_date, end=end_date
    )


@router.get("/by_group/", response_model=list[RecordRead])
@cacheable
async def by_group(
    actor: Staff,
    session: ReadSessionDep,
    group_id: int,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> list[RecordRead]:
    """The records of all students of a group."""
    return await service.by_group(session, actor, group_id=group_id, start=start_date, end=end_date)


@router.get("/stats/", response_model=Stats)
@cacheable
async def stats(
    actor: Staff,
    session: ReadSessionDep,
    start_date: Annotated[dt.date, Required],
    end_date: Annotated[dt.date, Required],
    student_id: int | None = None,
    group_id: int | None = None,
    trainer_id: int | None = None,
) -> Stats:
    """Attendance statistics for a period and a scope (student, group or trainer)."""
    return await reports.stats(
        session,
        actor,
        start=start_date,
        end=end_date,
        student_id=student_id,
        group_id=group_id,
        trainer_id=trainer_id,
    )


@router.get("/student_stats/", response_model=list[StudentStats])
@cacheable
async def student_stats(
    actor: Staff,
    session: ReadSessionDep,
    group_id: int,
    start_date: Annotated[dt.date, Required],
    end_date: Annotated[dt.date, Required],
    format: Format = "json",
) -> Any:
    """Per student of a group: statistics and the 10 most recent records (?format=csv|xlsx)."""
    answer = await reports.student_stats(
        session, actor, group_id=group_id, start=start_date, end=end_date, format=format
    )
    return _download(answer) if isinstance(answer, Download) else answer


@router.get("/report/", response_model=Report)
@cacheable
async def report(
    actor: Staff,
    session: ReadSessionDep,
    start_date: Annotated[dt.date, Required],
    end_date: Annotated[dt.date, Required],
    student_id: int | None = None,
    group_id: int | None = None,
    trainer_id: int | None = None,
    format: Format = "json",
) -> Any:
    """Daily breakdown of a period: statistics and records per date (?format=csv|xlsx)."""
    answer = await reports.report(
        session,
        actor,
        start=start_date,
        end=end_date,
        student_id=student_id,
        group_id=group_id,
        trainer_id=trainer_id,
        format=format,
    )
    if isinstance(answer, Download):
        return _download(answer)
    return Response(answer, media_type="application/json")


INT32 = 2**31 - 1
NetworkReaders = Annotated[Principal, Depends(require_roles(*network.ROLES))]


@router.get("/network_stats/", response_model=list[NetworkRow])
@cacheable
async def network_stats(
    actor: NetworkReaders,
    session: ReadSessionDep,
    level: Annotated[Level, Query(description="association, center or group")],
    academic_year: Annotated[AcademicYear, Query(description="YYYY-YYYY, e.g. 2024-2025")],
    start_date: Annotated[dt.date | None, Query(description="YYYY-MM-DD, in the year")] = None,
    end_date: Annotated[dt.date | None, Query(description="YYYY-MM-DD, in the year")] = None,
    association: Annotated[
        int | None, Query(description="An association's id", ge=1, le=INT32)
    ] = None,
    center: Annotated[int | None, Query(description="A centre's id", ge=1, le=INT32)] = None,
    format: Format = "json",
) -> Any:
    """Attendance per association, centre or group of an academic year (?format=csv|xlsx)."""
    answer = await network.network_stats(
        session,
        actor,
        level=level,
        academic_year=academic_year,
        start=start_date,
        end=end_date,
        association=association,
        center=center,
        format=format,
    )
    return _download(answer) if isinstance(answer, Download) else answer


@router.get("/{record_id}/", response_model=RecordRead)
@cacheable
async def retrieve_record(actor: Readers, record_id: int, session: ReadSessionDep) -> RecordRead:
    """Retrieve a record (students: their own only)."""
    return await service.get_record(session, actor, record_id)


@router.put("/{record_id}/", response_model=RecordRead)
async def update_record(
    actor: Staff, ctx: CtxDep, record: RecordDep, body: RecordCreate, session: SessionDep
) -> RecordRead:
    """Update a record (full update)."""
    return await service.update_record(session, ctx, actor, record, body)


@router.patch("/{record_id}/", response_model=RecordRead)
async def partial_update_record(
    actor: Staff, ctx: CtxDep, record: RecordDep, body: RecordUpdate, session: SessionDep
) -> RecordRead:
    """Update a record (partial update)."""
    return await service.update_record(session, ctx, actor, record, body)


@router.delete("/{record_id}/", status_code=status.HTTP_204_NO_CONTENT)
async def delete_record(actor: Staff, record_id: int, session: SessionDep) -> Response:
    """Delete a record."""
    await service.delete_record(session, actor, record_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
