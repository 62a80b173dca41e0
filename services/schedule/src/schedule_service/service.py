"""Business rules of the schedule service's weekly templates (instances:
``instances.py``; timetables: ``timetables.py``). Writes through the repository
and the outbox; never commits (the request's session does).

Conflicts between templates are the database's to refuse (exclusion
constraints, see the migration): the check made before writing only builds
the contract's message; when two requests race past it, the constraint stops
the second, whose refusal is turned into the same message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import Principal
from entraide_kit.context import Context
from entraide_kit.copies import users
from entraide_kit.copies.centers import groups
from entraide_kit.copies.programs import courses
from entraide_kit.db import violated_constraint
from entraide_kit.errors import NotFound, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams, build_page

from . import answers, events, policies, repository
from .checks import (
    CONSTRAINTS,
    END_AFTER_START,
    conflict_message,
    group_error,
    invalid_pk,
    name_of,
    person,
    room_error,
    shared,
    trainer_error,
)
from .models import ScheduleSession
from .schemas import (
    Conflict,
    ConflictCheck,
    ConflictReport,
    GroupFull,
    GroupSchedule,
    SessionPage,
    SessionRead,
    SessionUpdate,
    TrainerDetails,
    TrainerSchedule,
)

# Which shared resource each exclusion constraint protects.
EXCLUSIONS = {
    "ex_schedule_sessions_trainer": "trainer",
    "ex_schedule_sessions_room": "room",
    "ex_schedule_sessions_group": "group",
}
SESSION_RENAMES = {
    "trainer": "trainer_id",
    "room": "room_id",
    "group": "group_id",
    "training_course": "training_course_id",
}
SESSION_WIRE = {v: k for k, v in SESSION_RENAMES.items()}
# A template's fields its instances' snapshots show.
SHOWN_BY_INSTANCES = ("start_time", "end_time", "trainer_id", "room_id", "group_id", "center_id")


def template_conflicts(
    rows: Sequence[Any], wanted: Mapping[str, int | None]
) -> list[tuple[str, str, Any]]:
    """(kind, message, row) for each resource each conflicting template shares
    (``rows``: of ``sessions_query()``)."""
    found = []
    for s in rows:
        have = {"trainer": s.trainer_id, "room": s.room_id, "group": s.group_id}
        for kind in shared(have, wanted):
            if kind == "trainer":
                name = person(s.trainer_first_name, s.trainer_last_name, s.trainer_id)
            elif kind == "room":
                name = s.room_name or f"#{s.room_id}"
            else:
                name = s.group_name or f"#{s.group_id}"
            found.append((kind, conflict_message(kind, name, s.day, s.start_time), s))
    return found


async def find_template_conflicts(
    session: AsyncSession, values: Mapping[str, Any], exclude_id: int | None
) -> list[tuple[str, str, Any]]:
    rows = await repository.template_conflicts(
        session,
        academic_year=values["academic_year"],
        day=values["day"],
        start=values["start_time"],
        end=values["end_time"],
        trainer_id=values["trainer_id"],
        room_id=values.get("room_id"),
        group_id=values.get("group_id"),
        exclude_id=exclude_id,
    )
    wanted = {
        "trainer": values["trainer_id"],
        "room": values.get("room_id"),
        "group": values.get("group_id"),
    }
    return template_conflicts(rows, wanted)


async def check_conflicts(session: AsyncSession, body: ConflictCheck) -> ConflictReport:
    """The active templates a candidate template would conflict with (nothing is saved)."""
    if body.end_time <= body.start_time:
        raise ValidationFailed({"end_time": [END_AFTER_START]})
    values = {
        "academic_year": body.academic_year,
        "day": body.day,
        "start_time": body.start_time,
        "end_time": body.end_time,
        "trainer_id": body.trainer_id,
        "room_id": body.room_id,
        "group_id": body.group_id,
    }
    found = await find_template_conflicts(session, values, body.exclude_id)
    conflicts = [
        Conflict(type=kind, message=message, session=answers.session(row))
        for kind, message, row in found
    ]
    return ConflictReport(has_conflicts=bool(conflicts), conflicts=conflicts)


# ------------------------------------------------------------------ template reads

#: the list's query (filters, search, ordering), a dependency of the router's
SESSION_QUERY = repository.SESSION_LIST.dependency()


async def list_sessions(
    session: AsyncSession, ctx: Context, params: PageParams, query: ListQuery
) -> SessionPage:
    """A page of templates (count and page in one statement)."""
    count, rows = await repository.session_page(session, params, query)
    return SessionPage.model_construct(
        **build_page(ctx, params, count, [answers.session(r) for r in rows])
    )


async def get_session(session: AsyncSession, session_id: int) -> SessionRead:
    row = await repository.session_row(session, session_id)
    if row is None:
        raise NotFound()
    return answers.session(row)


async def sessions_by(
    session: AsyncSession,
    *,
    trainer_id: int | None = None,
    center_id: int | None = None,
    group_id: int | None = None,
) -> list[SessionRead]:
    """The templates of a trainer, of a centre (their training course's) or of a group."""
    S = ScheduleSession
    where = [
        col(column) == value
        for column, value in (
            (S.trainer_id, trainer_id),
            (S.center_id, center_id),
            (S.group_id, group_id),
        )
        if value is not None
    ]
    return [answers.session(r) for r in await repository.session_rows(session, *where)]


async def _answer(session: AsyncSession, template: ScheduleSession) -> SessionRead:
    return answers.session(await repository.session_row(session, template.id or 0))


# ------------------------------------------------------------------ template writes


def _session_values(template: ScheduleSession | None) -> dict[str, Any]:
    if template is None:
        return {"is_active": True, "room_id": None, "group_id": None}
    return {
        name: getattr(template, name)
        for name in (
            "day",
            "start_time",
            "end_time",
            "academic_year",
            "is_active",
            "trainer_id",
            "room_id",
            "group_id",
            "training_course_id",
            "center_id",
        )
    }


async def create_session(
    session: AsyncSession, ctx: Context, actor: Principal, body: SessionUpdate
) -> SessionRead:
    """Create a weekly template (refused when it overlaps an active template of the same
    year and day with the same trainer, room or group)."""
    template = await save_session(session, ctx, actor, changes=body.model_dump(exclude_unset=True))
    return await _answer(session, template)


async def template_for_write(session: AsyncSession, session_id: int) -> ScheduleSession:
    """The template to change, locked until the transaction ends; else the 404 (the
    router asks before the body is read)."""
    return await repository.templates.require(session, session_id, for_update=True)


async def update_session(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    template: ScheduleSession,
    body: SessionUpdate,
) -> SessionRead:
    """Update a weekly template (``template``: from ``template_for_write``): PUT (a
    ``SessionCreate``) and PATCH alike, the fields sent."""
    template = await save_session(
        session, ctx, actor, changes=body.model_dump(exclude_unset=True), template=template
    )
    return await _answer(session, template)


async def save_session(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    *,
    changes: Mapping[str, Any],
    template: ScheduleSession | None = None,
) -> ScheduleSession:
    """Create or update a template (``changes``: the fields sent, wire names)."""
    values = {SESSION_RENAMES.get(k, k): v for k, v in changes.items()}
    for name in (
        "day",
        "start_time",
        "end_time",
        "academic_year",
        "trainer_id",
        "training_course_id",
        "is_active",
    ):
        if name in values and values[name] is None:
            raise ValidationFailed({SESSION_WIRE.get(name, name): ["This field may not be null."]})
    if template is not None:
        # Out of the centre it is in now: that centre must be theirs too.
        await policies.center_for_write(session, actor, template.center_id)
    current = _session_values(template)
    merged = {**current, **values}

    def changed(name: str) -> bool:
        return name in values and (template is None or values[name] != current.get(name))

    errors: dict[str, list[str]] = {}
    if merged["end_time"] <= merged["start_time"]:
        errors["end_time"] = [END_AFTER_START]
    if changed("trainer_id"):
        problem = await trainer_error(session, ctx, merged["trainer_id"])
        if problem:
            errors["trainer"] = [problem]
    center_id = current.get("center_id")
    if changed("training_course_id"):
        course = await courses.get(session, merged["training_course_id"], ctx=ctx)
        if course is None:
            errors["training_course"] = [invalid_pk(merged["training_course_id"])]
        else:
            center_id = course["center"]
    moved = changed("training_course_id")
    for name, check in (("room_id", room_error), ("group_id", group_error)):
        if merged[name] is not None and (changed(name) or moved):
            problem = await check(session, ctx, merged[name], center_id)
            if problem:
                errors[SESSION_WIRE[name]] = [problem]
    if errors:
        raise ValidationFailed(errors)
    await policies.center_for_write(session, actor, center_id)
    values["center_id"] = merged["center_id"] = center_id

    exclude_id = template.id if template is not None else None
    if merged["is_active"]:
        found = await find_template_conflicts(session, merged, exclude_id)
        if found:
            raise ValidationFailed({"non_field_errors": [message for _, message, _ in found]})

    created = template is None
    try:
        # In a savepoint: when a concurrent request won the race, the constraint's
        # refusal leaves this transaction usable to find what it conflicts with.
        async with session.begin_nested():
            if template is None:
                template = ScheduleSession(**values)
                session.add(template)
            else:
                repository.touch(template, values)
            await session.flush()
    except IntegrityError as exc:
        constraint = violated_constraint(exc)
        if constraint in EXCLUSIONS:
            found = await find_template_conflicts(session, merged, exclude_id)
            messages = [message for _, message, _ in found] or [
                # The winner is gone again (deleted or moved meanwhile): say what we know.
                conflict_message(
                    EXCLUSIONS[constraint],
                    await name_of(session, EXCLUSIONS[constraint], merged),
                    merged["day"],
                    merged["start_time"],
                )
            ]
            raise ValidationFailed({"non_field_errors": messages}) from exc
        if constraint in CONSTRAINTS:
            field, message = CONSTRAINTS[constraint]
            raise ValidationFailed({field: [message]}) from exc
        raise
    await events.session_changed(session, template)
    if not created and any(current.get(n) != merged.get(n) for n in SHOWN_BY_INSTANCES):
        await _republish_instances(session, [template])
    return template


async def _republish_instances(session: AsyncSession, templates: Sequence[ScheduleSession]) -> None:
    """Instances show their template's values: bump and re-publish them."""
    by_id = {t.id: t for t in templates}
    items = await repository.instances_of(session, [t.id or 0 for t in templates])
    for item in items:
        repository.touch(item, {})
    await session.flush()
    await events.instances_changed(session, [(i, by_id[i.schedule_template_id]) for i in items])


async def delete_session(session: AsyncSession, actor: Principal, session_id: int) -> None:
    """Delete a template with its instances, and say so."""
    template = await repository.templates.require(session, session_id, for_update=True)
    await policies.center_for_write(session, actor, template.center_id)
    instances = await repository.instance_ids_of(session, [template.id or 0])
    await events.deleted(session, "instance", instances)
    await events.deleted(session, "session", [(template.id or 0, template.version)])
    await records.remove(session, template)


async def move_course_templates(
    session: AsyncSession, course_id: int, center_id: int | None
) -> None:
    """A training course moved to another centre: so do its templates (and their
    instances' snapshots)."""
    moved = [
        t
        for t in await repository.sessions_of_course(session, course_id)
        if t.center_id != center_id
    ]
    if not moved:
        return
    for template in moved:
        repository.touch(template, {"center_id": center_id})
    await session.flush()
    for template in moved:
        await events.session_changed(session, template)
    await _republish_instances(session, moved)


# ------------------------------------------------------------------ scoped template reads
# The web client's actions: active templates only, optionally narrowed to a centre
# (the training course's) and an academic year (the template's); constant statements.


async def trainers_by_center(
    session: AsyncSession, actor: Principal, *, center_id: int, academic_year: str | None
) -> list[TrainerDetails]:
    """The users teaching at least one active template in the centre (and year), by name."""
    await policies.centers_for_read(session, actor, {center_id})
    where = repository.active_templates(center_id=center_id, academic_year=academic_year)
    rows = await repository.trainers_teaching(session, where)
    return [answers.user_row(r) for r in rows]


async def groups_by_center(
    session: AsyncSession, actor: Principal, *, center_id: int, academic_year: str | None
) -> list[GroupFull]:
    """The groups of at least one active template in the centre (and year), by name."""
    await policies.centers_for_read(session, actor, {center_id})
    where = repository.active_templates(center_id=center_id, academic_year=academic_year)
    return [answers.group_full(r) for r in await repository.groups_taught(session, where)]


async def trainer_schedule(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    *,
    trainer_id: int,
    center_id: int | None,
    academic_year: str | None,
) -> TrainerSchedule:
    """A user's active templates (a supervisor: in their centres only); 404 for a user
    nobody knows (the caller themself: empty names, unknown to the users copy yet)."""
    policies.trainer_for_read(actor, trainer_id)
    await policies.centers_for_read(session, actor, {center_id} if center_id else set())
    trainer = await users.get_user(session, trainer_id, ctx=ctx)
    # The caller themself always exists (the users copy may not have heard of them yet).
    if trainer is None and trainer_id != actor.id:
        raise NotFound("No such trainer.")
    where = repository.active_templates(
        center_id=center_id, academic_year=academic_year, scope=policies.read_scope(actor)
    )
    rows = await repository.session_rows(
        session, col(ScheduleSession.trainer_id) == trainer_id, *where
    )
    mini = answers.user_details(trainer) or TrainerDetails(
        id=trainer_id, first_name="", last_name="", email="", full_name=""
    )
    return TrainerSchedule(trainer=mini, schedules=[answers.session(r) for r in rows])


async def group_schedule(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    *,
    group_id: int,
    center_id: int | None,
    academic_year: str | None,
) -> GroupSchedule:
    """A group's active templates; 404 for a group nobody knows, 403 for a supervisor's
    group (or centre) of another centre."""
    # The copy (one lean read), else once its owner, for one created a moment ago.
    group = await repository.group_row(session, group_id) or await groups.get(
        session, group_id, ctx=ctx
    )
    if group is None:
        raise NotFound("No such group.")
    wanted = {int(group.center)} | ({center_id} if center_id else set())
    await policies.centers_for_read(session, actor, wanted)
    where = repository.active_templates(
        center_id=center_id, academic_year=academic_year, scope=policies.read_scope(actor)
    )
    rows = await repository.session_rows(session, col(ScheduleSession.group_id) == group_id, *where)
    return GroupSchedule(
        group=answers.group_full(group), schedules=[answers.session(r) for r in rows]
    )
