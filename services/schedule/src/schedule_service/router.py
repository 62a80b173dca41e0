"""HTTP endpoints of the schedule service: thin; they declare what a request carries,
call one service function and return its answer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response, status

from entraide_kit.answercache import cacheable
from entraide_kit.auth import AdminOrSupervisor, CurrentUser, Principal, Role, require_roles
from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.errors import BadRequest
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageDep

from . import feeds, service, timetables
from . import instances as instance_service
from .models import ScheduleSession, SessionInstance
from .schemas import (
    CancelBody,
    ConflictCheck,
    ConflictReport,
    GenerateReport,
    GenerateWeek,
    GroupFull,
    GroupSchedule,
    GroupTimetable,
    InstanceCreate,
    InstancePage,
    InstanceRead,
    InstanceUpdate,
    RescheduleBody,
    SessionCreate,
    SessionPage,
    SessionRead,
    SessionUpdate,
    TrainerDetails,
    TrainerSchedule,
    TrainerTimetable,
    WeeklySummary,
)

sessions = APIRouter(prefix="/api/schedule/api/sessions", tags=["schedule sessions"])
instances = APIRouter(prefix="/api/schedule/api/instances", tags=["session instances"])

NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED
# Who may change an instance at all (which ones: the service's policies).
InstanceEditor = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.center_supervisor, Role.trainer))
]


# Who may call the web client's scoped template actions (which records: the service).
CentreReader = Annotated[Principal, Depends(require_roles(Role.admin, Role.center_supervisor))]
ScheduleReader = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.center_supervisor, Role.trainer))
]


class MissingParameter(BadRequest):
    """The original backend's 400 for a missing query parameter: ``{"error": "..."}``."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is required")

    def body(self) -> dict[str, Any]:
        return {"error": self.detail}


def _required(name: str, value: int | None) -> int:
    if value is None:
        raise MissingParameter(name)
    return value


def _year(value: str | None) -> str | None:
    """An academic year to narrow to; blank is none."""
    if value is None:
        return None
    return value.strip() or None


TrainerId = Annotated[int, Query(description="The trainer's user id.")]
CenterId = Annotated[int, Query(description="The centre's id.")]
GroupId = Annotated[int, Query(description="The group's id.")]
MaybeTrainer = Annotated[
    int | None, Query(description="The trainer's user id (required; 400 without it).")
]
MaybeCenter = Annotated[
    int | None, Query(description="Only the templates whose training course is in this centre.")
]
NeededCenter = Annotated[
    int | None, Query(description="The centre's id (required; 400 without it).")
]
MaybeGroup = Annotated[int | None, Query(description="The group's id (required; 400 without it).")]
MaybeYear = Annotated[str | None, Query(description="Only the templates of this academic year.")]
StartDate = Annotated[dt.date, Query(description="First day (YYYY-MM-DD).")]
EndDate = Annotated[dt.date, Query(description="Last day, included (YYYY-MM-DD).")]


# ------------------------------------------------------------------ weekly templates

SessionQuery = Annotated[ListQuery, Depends(service.SESSION_QUERY)]


async def template_by_id(session_id: int, session: SessionDep) -> ScheduleSession:
    """The template a write is for, locked; its 404 comes before the body is read
    (declared after the role, before the body)."""
    return await service.template_for_write(session, session_id)


TemplateDep = Annotated[ScheduleSession, Depends(template_by_id)]


@sessions.get("/", response_model=SessionPage)
@cacheable
async def list_sessions(
    _: CurrentUser, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: SessionQuery
) -> SessionPage:
    """List weekly templates, Monday first then by start time (filters: day, academic_year,
    is_active, trainer, room, group, training_course, center)."""
    return await service.list_sessions(session, ctx, page, query)


@sessions.post("/", response_model=SessionRead, status_code=CREATED)
async def create_session(
    actor: AdminOrSupervisor, ctx: CtxDep, body: SessionCreate, session: SessionDep
) -> SessionRead:
    """Create a weekly template (refused when it overlaps an active template of the same
    year and day with the same trainer, room or group)."""
    return await service.create_session(session, ctx, actor, body)


@sessions.get("/by_trainer/", response_model=list[SessionRead])
@cacheable
async def sessions_by_trainer(
    _: CurrentUser, session: ReadSessionDep, trainer_id: TrainerId
) -> list[SessionRead]:
    """The weekly templates of a trainer."""
    return await service.sessions_by(session, trainer_id=trainer_id)


@sessions.get("/by_center/", response_model=list[SessionRead])
@cacheable
async def sessions_by_center(
    _: CurrentUser, session: ReadSessionDep, center_id: CenterId
) -> list[SessionRead]:
    """The weekly templates whose training course is in a centre."""
    return await service.sessions_by(session, center_id=center_id)


@sessions.get("/by_group/", response_model=list[SessionRead])
@cacheable
async def sessions_by_group(
    _: CurrentUser, session: ReadSessionDep, group_id: GroupId
) -> list[SessionRead]:
    """The weekly templates of a group."""
    return await service.sessions_by(session, group_id=group_id)


# The web client's actions (declared before "/{session_id}/", which would swallow them):
# active templates only, plain arrays and objects, never paginated (page_size ignored).


@sessions.get("/trainers_by_center/", response_model=list[TrainerDetails])
@cacheable
async def trainers_by_center(
    actor: CentreReader,
    session: ReadSessionDep,
    center_id: NeededCenter = None,
    academic_year: MaybeYear = None,
) -> list[TrainerDetails]:
    """The trainers of at least one active template whose training course is in the
    centre (and of the academic year, if given), by name. A centre supervisor: their
    centres only."""
    return await service.trainers_by_center(
        session,
        actor,
        center_id=_required("center_id", center_id),
        academic_year=_year(academic_year),
    )


@sessions.get("/groups_by_center/", response_model=list[GroupFull])
@cacheable
async def groups_by_center(
    actor: CentreReader,
    session: ReadSessionDep,
    center_id: NeededCenter = None,
    academic_year: MaybeYear = None,
) -> list[GroupFull]:
    """The groups of at least one active template whose training course is in the
    centre (and of the academic year, if given), by name. A centre supervisor: their
    centres only."""
    return await service.groups_by_center(
        session,
        actor,
        center_id=_required("center_id", center_id),
        academic_year=_year(academic_year),
    )


# These two may write: a trainer or a group the copies lack is asked of its owner
# and kept (so: a transaction, SessionDep).


@sessions.get("/trainer_schedule/", response_model=TrainerSchedule)
@cacheable
async def trainer_schedule(
    actor: ScheduleReader,
    ctx: CtxDep,
    session: SessionDep,
    trainer_id: MaybeTrainer = None,
    center_id: MaybeCenter = None,
    academic_year: MaybeYear = None,
) -> TrainerSchedule:
    """A trainer's active weekly templates, optionally of one centre and one academic
    year (404: no such user). A trainer: their own only; a centre supervisor: the
    templates in their centres."""
    return await service.trainer_schedule(
        session,
        ctx,
        actor,
        trainer_id=_required("trainer_id", trainer_id),
        center_id=center_id,
        academic_year=_year(academic_year),
    )


@sessions.get("/group_schedule/", response_model=GroupSchedule)
@cacheable
async def group_schedule(
    actor: CentreReader,
    ctx: CtxDep,
    session: SessionDep,
    group_id: MaybeGroup = None,
    center_id: MaybeCenter = None,
    academic_year: MaybeYear = None,
) -> GroupSchedule:
    """A group's active weekly templates, optionally of one centre and one academic year
    (404: no such group). A centre supervisor: the groups of their centres."""
    return await service.group_schedule(
        session,
        ctx,
        actor,
        group_id=_required("group_id", group_id),
        center_id=center_id,
        academic_year=_year(academic_year),
    )


@sessions.post("/check_conflicts/", response_model=ConflictReport)
async def check_conflicts(
    _: AdminOrSupervisor, body: ConflictCheck, session: SessionDep
) -> ConflictReport:
    """The active templates a candidate template would conflict with (nothing is saved)."""
    return await service.check_conflicts(session, body)


@sessions.get("/{session_id}/", response_model=SessionRead)
@cacheable
async def retrieve_session(_: CurrentUser, session_id: int, session: ReadSessionDep) -> SessionRead:
    """Retrieve a weekly template."""
    return await service.get_session(session, session_id)


@sessions.put("/{session_id}/", response_model=SessionRead)
async def update_session(
    actor: AdminOrSupervisor,
    ctx: CtxDep,
    template: TemplateDep,
    body: SessionCreate,
    session: SessionDep,
) -> SessionRead:
    """Update a weekly template (full update)."""
    return await service.update_session(session, ctx, actor, template, body)


@sessions.patch("/{session_id}/", response_model=SessionRead)
async def partial_update_session(
    actor: AdminOrSupervisor,
    ctx: CtxDep,
    template: TemplateDep,
    body: SessionUpdate,
    session: SessionDep,
) -> SessionRead:
    """Update a weekly template (partial update)."""
    return await service.update_session(session, ctx, actor, template, body)


@sessions.delete("/{session_id}/", status_code=NO_CONTENT)
async def delete_session(
    actor: AdminOrSupervisor, session_id: int, session: SessionDep
) -> Response:
    """Delete a weekly template and its instances."""
    await service.delete_session(session, actor, session_id)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ session instances

InstanceQuery = Annotated[ListQuery, Depends(instance_service.INSTANCE_QUERY)]


async def instance_by_id(instance_id: int, session: SessionDep) -> SessionInstance:
    """The instance a write is for, locked; its 404 comes before the body is read
    (declared after the role, before the body)."""
    return await instance_service.instance_for_write(session, instance_id)


InstanceDep = Annotated[SessionInstance, Depends(instance_by_id)]


@instances.get("/", response_model=InstancePage)
@cacheable
async def list_instances(
    _: CurrentUser, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: InstanceQuery
) -> InstancePage:
    """List session instances by date and start time (filters: schedule_template,
    specific_date, start_date, end_date, status, trainer, room, group, center,
    academic_year, training_course)."""
    return await instance_service.list_instances(session, ctx, page, query)


@instances.post("/", response_model=InstanceRead, status_code=CREATED)
async def create_instance(
    actor: AdminOrSupervisor, ctx: CtxDep, body: InstanceCreate, session: SessionDep
) -> InstanceRead:
    """Create a session instance of a template on a date."""
    return await instance_service.create_instance(session, ctx, actor, body)


@instances.post("/generate_for_week/", response_model=GenerateReport)
async def generate_for_week(
    actor: AdminOrSupervisor, body: GenerateWeek, session: SessionDep
) -> GenerateReport:
    """Create the week's instances of every active template of the academic year (a
    supervisor: of their centres); those already there are left as they are."""
    return await instance_service.generate_week(session, actor, body)


@instances.get("/trainer_timetable/", response_model=TrainerTimetable)
@cacheable
async def trainer_timetable(
    _: CurrentUser,
    ctx: CtxDep,
    session: ReadSessionDep,
    trainer_id: TrainerId,
    start_date: StartDate,
    end_date: EndDate,
) -> TrainerTimetable:
    """A trainer's sessions between two dates (both included)."""
    return await timetables.trainer_timetable(session, ctx, trainer_id, start_date, end_date)


@instances.get("/group_timetable/", response_model=GroupTimetable)
@cacheable
async def group_timetable(
    _: CurrentUser,
    ctx: CtxDep,
    session: ReadSessionDep,
    group_id: GroupId,
    start_date: StartDate,
    end_date: EndDate,
) -> GroupTimetable:
    """A group's sessions between two dates (both included)."""
    return await timetables.group_timetable(session, ctx, group_id, start_date, end_date)


ICS = {"content": {"text/calendar": {"schema": {"type": "string"}}}}


def _calendar(body: bytes, filename: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(body, media_type=feeds.MEDIA_TYPE, headers=headers)


@instances.get("/trainer_timetable.ics", response_class=Response, responses={200: ICS})
async def trainer_calendar(
    _: CurrentUser,
    ctx: CtxDep,
    session: ReadSessionDep,
    trainer_id: TrainerId,
    start_date: StartDate,
    end_date: EndDate,
) -> Response:
    """A trainer's timetable as an iCalendar feed (RFC 5545); cancelled sessions are
    STATUS:CANCELLED."""
    return _calendar(
        *await timetables.trainer_calendar(session, ctx, trainer_id, start_date, end_date)
    )


@instances.get("/group_timetable.ics", response_class=Response, responses={200: ICS})
async def group_calendar(
    _: CurrentUser,
    ctx: CtxDep,
    session: ReadSessionDep,
    group_id: GroupId,
    start_date: StartDate,
    end_date: EndDate,
) -> Response:
    """A group's timetable as an iCalendar feed (RFC 5545); cancelled sessions are
    STATUS:CANCELLED."""
    return _calendar(*await timetables.group_calendar(session, ctx, group_id, start_date, end_date))


@instances.get("/weekly_summary/", response_model=WeeklySummary)
@cacheable
async def weekly_summary(
    _: CurrentUser,
    session: ReadSessionDep,
    week_start: Annotated[dt.date, Query(description="The week's first day (YYYY-MM-DD).")],
    academic_year: Annotated[str, Query(description="The templates' academic year.")],
    center_id: Annotated[int | None, Query(description="Only this centre's sessions.")] = None,
) -> WeeklySummary:
    """A week's sessions: per day by status, hours per trainer, room occupancy, and the
    sessions themselves by date and start time (optional center_id)."""
    return await timetables.weekly_summary(
        session, week_start=week_start, academic_year=academic_year, center_id=center_id
    )


@instances.get("/{instance_id}/", response_model=InstanceRead)
@cacheable
async def retrieve_instance(
    _: CurrentUser, instance_id: int, session: ReadSessionDep
) -> InstanceRead:
    """Retrieve a session instance."""
    return await instance_service.get_instance(session, instance_id)


@instances.put("/{instance_id}/", response_model=InstanceRead)
async def update_instance(
    actor: InstanceEditor,
    ctx: CtxDep,
    instance: InstanceDep,
    body: InstanceCreate,
    session: SessionDep,
) -> InstanceRead:
    """Update a session instance (full update; a trainer: the status and notes of their own)."""
    return await instance_service.update_instance(session, ctx, actor, instance, body)


@instances.patch("/{instance_id}/", response_model=InstanceRead)
async def partial_update_instance(
    actor: InstanceEditor,
    ctx: CtxDep,
    instance: InstanceDep,
    body: InstanceUpdate,
    session: SessionDep,
) -> InstanceRead:
    """Update a session instance (partial update; a trainer: the status and notes of their
    own)."""
    return await instance_service.update_instance(session, ctx, actor, instance, body)


@instances.delete("/{instance_id}/", status_code=NO_CONTENT)
async def delete_instance(
    actor: AdminOrSupervisor, instance_id: int, session: SessionDep
) -> Response:
    """Delete a session instance."""
    await instance_service.delete_instance(session, actor, instance_id)
    return Response(status_code=NO_CONTENT)


@instances.post("/{instance_id}/cancel/", response_model=InstanceRead)
async def cancel_instance(
    actor: InstanceEditor,
    instance: InstanceDep,
    session: SessionDep,
    body: Annotated[CancelBody | None, Body()] = None,
) -> InstanceRead:
    """Cancel a session instance (an optional reason is kept in its notes)."""
    reason = body.reason if body is not None else None
    return await instance_service.cancel_instance(session, actor, instance, reason)


@instances.post("/{instance_id}/reschedule/", response_model=InstanceRead)
async def reschedule_instance(
    actor: InstanceEditor,
    ctx: CtxDep,
    instance: InstanceDep,
    body: RescheduleBody,
    session: SessionDep,
) -> InstanceRead:
    """Move a session instance to another date (and optionally times, room, trainer),
    refused when it would conflict with that day's other sessions. A new start time
    without a new end time keeps the session's duration."""
    return await instance_service.reschedule_instance(session, ctx, actor, instance, body)
