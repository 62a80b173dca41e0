"""HTTP endpoints of the schedule service: thin; they parse, call the service, shape the answer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import AdminOrSupervisor, CurrentUser, Principal, Role, require_roles
from entraide_kit.copies import users
from entraide_kit.copies.centers import groups
from entraide_kit.db import SessionDep
from entraide_kit.errors import BadRequest, NotFound, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageDep, paginate

from . import feeds, repository, service, views
from .models import ScheduleSession, SessionInstance
from .schemas import (
    CancelBody,
    Conflict,
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
    Period,
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
S = ScheduleSession
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

SessionQuery = Annotated[ListQuery, Depends(repository.SESSION_LIST.dependency())]


async def session_by_id(session_id: int, session: SessionDep) -> ScheduleSession:
    return await records.get_or_404(session, ScheduleSession, session_id, for_update=True)


TemplateDep = Annotated[ScheduleSession, Depends(session_by_id)]


async def _session_answer(session: SessionDep, template: ScheduleSession) -> SessionRead:
    return views.session(await repository.session_row(session, template.id or 0))


@sessions.get("/", response_model=SessionPage)
async def list_sessions(
    _: CurrentUser, request: Request, session: SessionDep, page: PageDep, query: SessionQuery
) -> dict[str, Any]:
    """List weekly templates, Monday first then by start time (filters: day, academic_year,
    is_active, trainer, room, group, training_course, center)."""
    stmt = repository.SESSION_LIST.apply(repository.sessions_query(), query)
    return await paginate(
        session, stmt, request=request, params=page, scalars=False, transform=views.session
    )


@sessions.post("/", response_model=SessionRead, status_code=CREATED)
async def create_session(
    actor: AdminOrSupervisor, request: Request, body: SessionCreate, session: SessionDep
) -> SessionRead:
    """Create a weekly template (refused when it overlaps an active template of the same
    year and day with the same trainer, room or group)."""
    template = await service.save_session(
        session, request, actor, changes=body.model_dump(exclude_unset=True)
    )
    return await _session_answer(session, template)


@sessions.get("/by_trainer/", response_model=list[SessionRead])
async def sessions_by_trainer(
    _: CurrentUser, session: SessionDep, trainer_id: TrainerId
) -> list[SessionRead]:
    """The weekly templates of a trainer."""
    rows = await repository.session_rows(session, col(S.trainer_id) == trainer_id)
    return [views.session(r) for r in rows]


@sessions.get("/by_center/", response_model=list[SessionRead])
async def sessions_by_center(
    _: CurrentUser, session: SessionDep, center_id: CenterId
) -> list[SessionRead]:
    """The weekly templates whose training course is in a centre."""
    rows = await repository.session_rows(session, col(S.center_id) == center_id)
    return [views.session(r) for r in rows]


@sessions.get("/by_group/", response_model=list[SessionRead])
async def sessions_by_group(
    _: CurrentUser, session: SessionDep, group_id: GroupId
) -> list[SessionRead]:
    """The weekly templates of a group."""
    rows = await repository.session_rows(session, col(S.group_id) == group_id)
    return [views.session(r) for r in rows]


# The web client's actions (declared before "/{session_id}/", which would swallow them):
# active templates only, plain arrays and objects, never paginated (page_size ignored).


@sessions.get("/trainers_by_center/", response_model=list[TrainerDetails])
async def trainers_by_center(
    actor: CentreReader,
    session: SessionDep,
    center_id: NeededCenter = None,
    academic_year: MaybeYear = None,
) -> list[TrainerDetails]:
    """The trainers of at least one active template whose training course is in the
    centre (and of the academic year, if given), by name. A centre supervisor: their
    centres only."""
    rows = await service.trainers_by_center(
        session,
        actor,
        center_id=_required("center_id", center_id),
        academic_year=_year(academic_year),
    )
    return [views.user_mini(users.UserCopy(**r._mapping)) for r in rows]


@sessions.get("/groups_by_center/", response_model=list[GroupFull])
async def groups_by_center(
    actor: CentreReader,
    session: SessionDep,
    center_id: NeededCenter = None,
    academic_year: MaybeYear = None,
) -> list[GroupFull]:
    """The groups of at least one active template whose training course is in the
    centre (and of the academic year, if given), by name. A centre supervisor: their
    centres only."""
    rows = await service.groups_by_center(
        session,
        actor,
        center_id=_required("center_id", center_id),
        academic_year=_year(academic_year),
    )
    return [views.group_full(r) for r in rows]


@sessions.get("/trainer_schedule/", response_model=TrainerSchedule)
async def trainer_schedule(
    actor: ScheduleReader,
    request: Request,
    session: SessionDep,
    trainer_id: MaybeTrainer = None,
    center_id: MaybeCenter = None,
    academic_year: MaybeYear = None,
) -> TrainerSchedule:
    """A trainer's active weekly templates, optionally of one centre and one academic
    year (404: no such user). A trainer: their own only; a centre supervisor: the
    templates in their centres."""
    pk = _required("trainer_id", trainer_id)
    trainer, rows = await service.trainer_schedule(
        session,
        request,
        actor,
        trainer_id=pk,
        center_id=center_id,
        academic_year=_year(academic_year),
    )
    mini = views.user_details(trainer) or TrainerDetails(
        id=pk, first_name="", last_name="", email="", full_name=""
    )
    return TrainerSchedule(trainer=mini, schedules=[views.session(r) for r in rows])


@sessions.get("/group_schedule/", response_model=GroupSchedule)
async def group_schedule(
    actor: CentreReader,
    request: Request,
    session: SessionDep,
    group_id: MaybeGroup = None,
    center_id: MaybeCenter = None,
    academic_year: MaybeYear = None,
) -> GroupSchedule:
    """A group's active weekly templates, optionally of one centre and one academic year
    (404: no such group). A centre supervisor: the groups of their centres."""
    group, rows = await service.group_schedule(
        session,
        request,
        actor,
        group_id=_required("group_id", group_id),
        center_id=center_id,
        academic_year=_year(academic_year),
    )
    return GroupSchedule(group=views.group_full(group), schedules=[views.session(r) for r in rows])


@sessions.post("/check_conflicts/", response_model=ConflictReport)
async def check_conflicts(
    _: AdminOrSupervisor, body: ConflictCheck, session: SessionDep
) -> ConflictReport:
    """The active templates a candidate template would conflict with (nothing is saved)."""
    if body.end_time <= body.start_time:
        raise ValidationFailed({"end_time": [service.END_AFTER_START]})
    values = {
        "academic_year": body.academic_year,
        "day": body.day,
        "start_time": body.start_time,
        "end_time": body.end_time,
        "trainer_id": body.trainer_id,
        "room_id": body.room_id,
        "group_id": body.group_id,
    }
    found = await service.find_template_conflicts(session, values, body.exclude_id)
    conflicts = [
        Conflict(type=kind, message=message, session=views.session(row))
        for kind, message, row in found
    ]
    return ConflictReport(has_conflicts=bool(conflicts), conflicts=conflicts)


@sessions.get("/{session_id}/", response_model=SessionRead)
async def retrieve_session(_: CurrentUser, session_id: int, session: SessionDep) -> SessionRead:
    """Retrieve a weekly template."""
    row = await repository.session_row(session, session_id)
    if row is None:
        raise NotFound()
    return views.session(row)


@sessions.put("/{session_id}/", response_model=SessionRead)
async def update_session(
    actor: AdminOrSupervisor,
    request: Request,
    template: TemplateDep,
    body: SessionCreate,
    session: SessionDep,
) -> SessionRead:
    """Update a weekly template (full update)."""
    template = await service.save_session(
        session, request, actor, changes=body.model_dump(exclude_unset=True), template=template
    )
    return await _session_answer(session, template)


@sessions.patch("/{session_id}/", response_model=SessionRead)
async def partial_update_session(
    actor: AdminOrSupervisor,
    request: Request,
    template: TemplateDep,
    body: SessionUpdate,
    session: SessionDep,
) -> SessionRead:
    """Update a weekly template (partial update)."""
    template = await service.save_session(
        session, request, actor, changes=body.model_dump(exclude_unset=True), template=template
    )
    return await _session_answer(session, template)


@sessions.delete("/{session_id}/", status_code=NO_CONTENT)
async def delete_session(
    actor: AdminOrSupervisor, template: TemplateDep, session: SessionDep
) -> Response:
    """Delete a weekly template and its instances."""
    await service.delete_session(session, actor, template)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ session instances

InstanceQuery = Annotated[ListQuery, Depends(repository.INSTANCE_LIST.dependency())]


async def instance_by_id(instance_id: int, session: SessionDep) -> SessionInstance:
    return await records.get_or_404(session, SessionInstance, instance_id, for_update=True)


InstanceDep = Annotated[SessionInstance, Depends(instance_by_id)]


async def _instance_answer(session: SessionDep, instance: SessionInstance) -> InstanceRead:
    return views.instance(await repository.instance_row(session, instance.id or 0))


@instances.get("/", response_model=InstancePage)
async def list_instances(
    _: CurrentUser, request: Request, session: SessionDep, page: PageDep, query: InstanceQuery
) -> dict[str, Any]:
    """List session instances by date and start time (filters: schedule_template,
    specific_date, start_date, end_date, status, trainer, room, group, center,
    academic_year, training_course)."""
    stmt = repository.INSTANCE_LIST.apply(repository.instances_query(), query)
    return await paginate(
        session, stmt, request=request, params=page, scalars=False, transform=views.instance
    )


@instances.post("/", response_model=InstanceRead, status_code=CREATED)
async def create_instance(
    actor: AdminOrSupervisor, request: Request, body: InstanceCreate, session: SessionDep
) -> InstanceRead:
    """Create a session instance of a template on a date."""
    instance = await service.create_instance(
        session, request, actor, body.model_dump(exclude_unset=True)
    )
    return await _instance_answer(session, instance)


@instances.post("/generate_for_week/", response_model=GenerateReport)
async def generate_for_week(
    actor: AdminOrSupervisor, body: GenerateWeek, session: SessionDep
) -> GenerateReport:
    """Create the week's instances of every active template of the academic year (a
    supervisor: of their centres); those already there are left as they are."""
    rows = await service.generate_week(
        session, actor, monday=body.start_date, academic_year=body.academic_year
    )
    people = await users.users_by_id(session, {r.trainer_id for r in rows})
    return GenerateReport(
        message=f"Created {len(rows)} session instances", instances=views.generated(rows, people)
    )


def _check_period(settings: Any, start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationFailed({"end_date": ["The end date cannot be before the start date."]})
    if (end - start).days >= settings.timetable_max_days:
        raise ValidationFailed(
            {"end_date": [f"A timetable spans at most {settings.timetable_max_days} days."]}
        )


async def _trainer_timetable(
    request: Request,
    session: SessionDep,
    pk: int,
    start: dt.date,
    end: dt.date,
) -> tuple[Any, dt.date, dt.date, list[Any]]:
    _check_period(request.app.state.settings, start, end)
    trainer = (await users.users_by_id(session, [pk])).get(pk)
    if trainer is None:
        raise ValidationFailed({"trainer_id": [f'Invalid pk "{pk}" - object does not exist.']})
    where = repository.timetable_of_trainer(pk, start, end)
    return trainer, start, end, await repository.instance_rows(session, *where)


async def _group_timetable(
    request: Request,
    session: SessionDep,
    pk: int,
    start: dt.date,
    end: dt.date,
) -> tuple[Any, dt.date, dt.date, list[Any]]:
    _check_period(request.app.state.settings, start, end)
    group = (await groups.by_ids(session, [pk])).get(pk)
    if group is None:
        raise ValidationFailed({"group_id": [f'Invalid pk "{pk}" - object does not exist.']})
    where = repository.timetable_of_group(pk, start, end)
    return group, start, end, await repository.instance_rows(session, *where)


@instances.get("/trainer_timetable/", response_model=TrainerTimetable)
async def trainer_timetable(
    _: CurrentUser,
    request: Request,
    session: SessionDep,
    trainer_id: TrainerId,
    start_date: StartDate,
    end_date: EndDate,
) -> TrainerTimetable:
    """A trainer's sessions between two dates (both included)."""
    trainer, start, end, rows = await _trainer_timetable(
        request, session, trainer_id, start_date, end_date
    )
    return TrainerTimetable(
        trainer=views.trainer_ref(trainer),
        period=Period(start_date=start, end_date=end),
        sessions=[views.timetable_session(r) for r in rows],
    )


@instances.get("/group_timetable/", response_model=GroupTimetable)
async def group_timetable(
    _: CurrentUser,
    request: Request,
    session: SessionDep,
    group_id: GroupId,
    start_date: StartDate,
    end_date: EndDate,
) -> GroupTimetable:
    """A group's sessions between two dates (both included)."""
    group, start, end, rows = await _group_timetable(
        request, session, group_id, start_date, end_date
    )
    return GroupTimetable(
        group={"id": group["id"], "name": group["name"], "description": group["description"]},
        period=Period(start_date=start, end_date=end),
        sessions=[views.timetable_session(r) for r in rows],
    )


ICS = {"content": {"text/calendar": {"schema": {"type": "string"}}}}


def _calendar(body: bytes, filename: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(body, media_type=feeds.MEDIA_TYPE, headers=headers)


@instances.get("/trainer_timetable.ics", response_class=Response, responses={200: ICS})
async def trainer_calendar(
    _: CurrentUser,
    request: Request,
    session: SessionDep,
    trainer_id: TrainerId,
    start_date: StartDate,
    end_date: EndDate,
) -> Response:
    """A trainer's timetable as an iCalendar feed (RFC 5545); cancelled sessions are
    STATUS:CANCELLED."""
    trainer, start, end, rows = await _trainer_timetable(
        request, session, trainer_id, start_date, end_date
    )
    body = feeds.feed(
        rows,
        name=f"Timetable - {trainer.full_name}",
        timezone=request.app.state.settings.timezone,
    )
    return _calendar(body, f"trainer-{trainer.id}-{start}-{end}.ics")


@instances.get("/group_timetable.ics", response_class=Response, responses={200: ICS})
async def group_calendar(
    _: CurrentUser,
    request: Request,
    session: SessionDep,
    group_id: GroupId,
    start_date: StartDate,
    end_date: EndDate,
) -> Response:
    """A group's timetable as an iCalendar feed (RFC 5545); cancelled sessions are
    STATUS:CANCELLED."""
    group, start, end, rows = await _group_timetable(
        request, session, group_id, start_date, end_date
    )
    body = feeds.feed(
        rows, name=f"Timetable - {group['name']}", timezone=request.app.state.settings.timezone
    )
    return _calendar(body, f"group-{group['id']}-{start}-{end}.ics")


@instances.get("/weekly_summary/", response_model=WeeklySummary)
async def weekly_summary(
    _: CurrentUser,
    session: SessionDep,
    week_start: Annotated[dt.date, Query(description="The week's first day (YYYY-MM-DD).")],
    academic_year: Annotated[str, Query(description="The templates' academic year.")],
    center_id: Annotated[int | None, Query(description="Only this centre's sessions.")] = None,
) -> WeeklySummary:
    """A week's sessions: per day by status, hours per trainer, room occupancy, and the
    sessions themselves by date and start time (optional center_id)."""
    end = week_start + dt.timedelta(days=6)
    rows = await repository.week_rows(
        session, start=week_start, end=end, academic_year=academic_year, center_id=center_id
    )
    return views.weekly_summary(
        rows, week_start=week_start, week_end=end, academic_year=academic_year, center_id=center_id
    )


@instances.get("/{instance_id}/", response_model=InstanceRead)
async def retrieve_instance(_: CurrentUser, instance_id: int, session: SessionDep) -> InstanceRead:
    """Retrieve a session instance."""
    row = await repository.instance_row(session, instance_id)
    if row is None:
        raise NotFound()
    return views.instance(row)


@instances.put("/{instance_id}/", response_model=InstanceRead)
async def update_instance(
    actor: InstanceEditor,
    request: Request,
    instance: InstanceDep,
    body: InstanceCreate,
    session: SessionDep,
) -> InstanceRead:
    """Update a session instance (full update; a trainer: the status and notes of their own)."""
    instance = await service.update_instance(
        session, request, actor, instance, body.model_dump(exclude_unset=True)
    )
    return await _instance_answer(session, instance)


@instances.patch("/{instance_id}/", response_model=InstanceRead)
async def partial_update_instance(
    actor: InstanceEditor,
    request: Request,
    instance: InstanceDep,
    body: InstanceUpdate,
    session: SessionDep,
) -> InstanceRead:
    """Update a session instance (partial update; a trainer: the status and notes of their
    own)."""
    instance = await service.update_instance(
        session, request, actor, instance, body.model_dump(exclude_unset=True)
    )
    return await _instance_answer(session, instance)


@instances.delete("/{instance_id}/", status_code=NO_CONTENT)
async def delete_instance(
    actor: AdminOrSupervisor, instance: InstanceDep, session: SessionDep
) -> Response:
    """Delete a session instance."""
    await service.delete_instance(session, actor, instance)
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
    instance = await service.cancel_instance(session, actor, instance, reason)
    return await _instance_answer(session, instance)


@instances.post("/{instance_id}/reschedule/", response_model=InstanceRead)
async def reschedule_instance(
    actor: InstanceEditor,
    request: Request,
    instance: InstanceDep,
    body: RescheduleBody,
    session: SessionDep,
) -> InstanceRead:
    """Move a session instance to another date (and optionally times, room, trainer),
    refused when it would conflict with that day's other sessions. A new start time
    without a new end time keeps the session's duration."""
    instance = await service.reschedule_instance(
        session,
        request,
        actor,
        instance,
        new_date=body.new_date,
        new_start_time=body.new_start_time,
        new_end_time=body.new_end_time,
        new_room_id=body.new_room_id,
        new_trainer_id=body.new_trainer_id,
        reason=body.reason,
    )
    return await _instance_answer(session, instance)
