"""Business rules of the schedule service's session instances: reads, writes,
cancel, reschedule and the generation of a week. Writes through the repository
and the outbox; never commits (the request's session does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit import records
from entraide_kit.auth import Principal
from entraide_kit.context import Context
from entraide_kit.copies import users
from entraide_kit.db import flush_checked
from entraide_kit.errors import NotFound, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams, build_page

from . import answers, events, policies, repository
from .checks import (
    CONSTRAINTS,
    END_AFTER_START,
    UNIQUE_DATE,
    conflict_message,
    invalid_pk,
    own_or,
    person,
    room_error,
    shared,
    trainer_error,
)
from .models import DAYS, ScheduleSession, SessionInstance
from .schemas import (
    GenerateReport,
    GenerateWeek,
    InstanceCreate,
    InstancePage,
    InstanceRead,
    InstanceUpdate,
    RescheduleBody,
)

INSTANCE_RENAMES = {
    "schedule_template": "schedule_template_id",
    "custom_room": "custom_room_id",
    "custom_trainer": "custom_trainer_id",
}
INSTANCE_WIRE = {v: k for k, v in INSTANCE_RENAMES.items()}
RESCHEDULE_WIRE = {
    "specific_date": "new_date",
    "custom_start_time": "new_start_time",
    "custom_end_time": "new_end_time",
    "custom_room_id": "new_room_id",
    "custom_trainer_id": "new_trainer_id",
}
PAST_MIDNIGHT = "Keeping its duration, the session would end after midnight."


# ------------------------------------------------------------------ reads

#: the list's query (filters, search, ordering), a dependency of the router's
INSTANCE_QUERY = repository.INSTANCE_LIST.dependency()


async def list_instances(
    session: AsyncSession, ctx: Context, params: PageParams, query: ListQuery
) -> InstancePage:
    """A page of instances (count and page in one statement)."""
    count, rows = await repository.instance_page(session, params, query)
    return InstancePage.model_construct(
        **build_page(ctx, params, count, [answers.instance(r) for r in rows])
    )


async def get_instance(session: AsyncSession, instance_id: int) -> InstanceRead:
    row = await repository.instance_row(session, instance_id)
    if row is None:
        raise NotFound()
    return answers.instance(row)


async def _answer(session: AsyncSession, instance: SessionInstance) -> InstanceRead:
    return answers.instance(await repository.instance_row(session, instance.id or 0))


async def instance_for_write(session: AsyncSession, instance_id: int) -> SessionInstance:
    """The instance to change, locked until the transaction ends; else the 404 (the
    router asks before the body is read)."""
    return await repository.instances.require(session, instance_id, for_update=True)


async def _template_of(session: AsyncSession, instance: SessionInstance) -> ScheduleSession:
    template = await repository.templates.get(session, instance.schedule_template_id)
    assert template is not None  # a foreign key with ON DELETE CASCADE
    return template


# ------------------------------------------------------------------ writes


def _instance_values(instance: SessionInstance | None) -> dict[str, Any]:
    names = (
        "schedule_template_id",
        "specific_date",
        "custom_start_time",
        "custom_end_time",
        "custom_room_id",
        "custom_trainer_id",
        "status",
        "notes",
    )
    if instance is None:
        return {n: None for n in names} | {"status": "scheduled", "notes": ""}
    return {n: getattr(instance, n) for n in names}


def _when(day: dt.date) -> str:
    return f"{DAYS[day.weekday()]} {day.isoformat()}"


async def _write_instance(
    session: AsyncSession,
    ctx: Context,
    *,
    template: ScheduleSession,
    instance: SessionInstance | None,
    values: dict[str, Any],
    wire: Mapping[str, str] = INSTANCE_WIRE,
) -> SessionInstance:
    """Check and save an instance: weekday, times, people and places, one per template
    and date, and no conflict on its date unless it is cancelled."""
    current = _instance_values(instance)
    merged = {**current, **values}

    def key(name: str) -> str:
        return wire.get(name, name)

    def changed(name: str) -> bool:
        return name in values and (instance is None or values[name] != current[name])

    day: dt.date = merged["specific_date"]
    start = own_or(merged["custom_start_time"], template.start_time)
    end = own_or(merged["custom_end_time"], template.end_time)
    trainer_id = own_or(merged["custom_trainer_id"], template.trainer_id)
    room_id = own_or(merged["custom_room_id"], template.room_id)
    errors: dict[str, list[str]] = {}
    if merged["status"] != "rescheduled" and DAYS[day.weekday()] != template.day:
        errors[key("specific_date")] = [
            f"The date must be a {template.day}, the template's day, "
            "unless the session is rescheduled."
        ]
    if end <= start:
        errors[key("custom_end_time")] = [END_AFTER_START]
    if merged["custom_trainer_id"] is not None and changed("custom_trainer_id"):
        problem = await trainer_error(session, ctx, merged["custom_trainer_id"])
        if problem:
            errors[key("custom_trainer_id")] = [problem]
    if merged["custom_room_id"] is not None and changed("custom_room_id"):
        problem = await room_error(session, ctx, merged["custom_room_id"], template.center_id)
        if problem:
            errors[key("custom_room_id")] = [problem]
    if errors:
        raise ValidationFailed(errors)
    exclude = instance.id if instance is not None else None
    if await repository.taken_date(session, template.id or 0, day, exclude):
        raise ValidationFailed({"non_field_errors": [UNIQUE_DATE]})

    relevant = (
        "schedule_template_id",
        "specific_date",
        "custom_start_time",
        "custom_end_time",
        "custom_room_id",
        "custom_trainer_id",
        "status",
    )
    if merged["status"] != "cancelled" and any(changed(n) for n in relevant):
        await repository.lock_date(session, day)
        rows = await repository.instance_conflicts(
            session,
            day=day,
            start=start,
            end=end,
            trainer_id=trainer_id,
            room_id=room_id,
            group_id=template.group_id,
            academic_year=template.academic_year,
            exclude_instance=exclude,
            exclude_template=template.id,
        )
        wanted = {"trainer": trainer_id, "room": room_id, "group": template.group_id}
        messages = []
        for row in rows:
            have = {"trainer": row.trainer_id, "room": row.room_id, "group": row.group_id}
            for kind in shared(have, wanted):
                name = {
                    "trainer": person(row.trainer_first_name, row.trainer_last_name, trainer_id),
                    "room": row.room_name or f"#{room_id}",
                    "group": row.group_name or f"#{template.group_id}",
                }[kind]
                messages.append(conflict_message(kind, name, _when(day), row.start_time))
        if messages:
            raise ValidationFailed({"non_field_errors": messages})

    merged["notes"] = merged["notes"] or ""
    if instance is None:
        instance = SessionInstance(**merged)
        session.add(instance)
    else:
        repository.touch(instance, values | {"notes": merged["notes"]})
    await flush_checked(session, CONSTRAINTS)
    await events.instance_changed(session, instance, template)
    return instance


async def create_instance(
    session: AsyncSession, ctx: Context, actor: Principal, body: InstanceCreate
) -> InstanceRead:
    """Create a session instance of a template on a date."""
    changes = body.model_dump(exclude_unset=True)
    values = {INSTANCE_RENAMES.get(k, k): v for k, v in changes.items()}
    if values.get("status") is None:
        values["status"] = "scheduled"
    template = await repository.templates.get(session, values["schedule_template_id"])
    if template is None:
        raise ValidationFailed({"schedule_template": [invalid_pk(values["schedule_template_id"])]})
    await policies.center_for_write(session, actor, template.center_id)
    instance = await _write_instance(session, ctx, template=template, instance=None, values=values)
    return await _answer(session, instance)


async def update_instance(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    instance: SessionInstance,
    body: InstanceUpdate,
) -> InstanceRead:
    """Update an instance (``instance``: from ``instance_for_write``): PUT (an
    ``InstanceCreate``) and PATCH alike, the fields sent (a trainer: the status and
    notes of their own)."""
    changes = body.model_dump(exclude_unset=True)
    values = {INSTANCE_RENAMES.get(k, k): v for k, v in changes.items()}
    for name in ("schedule_template_id", "specific_date", "status"):
        if name in values and values[name] is None:
            raise ValidationFailed({INSTANCE_WIRE.get(name, name): ["This field may not be null."]})
    if "notes" in values:
        values["notes"] = values["notes"] or ""
    template = await _template_of(session, instance)
    current = _instance_values(instance)
    touched = {INSTANCE_WIRE.get(k, k) for k, v in values.items() if current[k] != v}
    await policies.instance_for_write(session, actor, instance, template, touched)
    new_template = template
    if values.get("schedule_template_id", template.id) != template.id:
        found = await repository.templates.get(session, values["schedule_template_id"])
        if found is None:
            raise ValidationFailed(
                {"schedule_template": [invalid_pk(values["schedule_template_id"])]}
            )
        await policies.center_for_write(session, actor, found.center_id)
        new_template = found
    instance = await _write_instance(
        session, ctx, template=new_template, instance=instance, values=values
    )
    return await _answer(session, instance)


def _noted(notes: str, line: str) -> str:
    return f"{notes}\n{line}" if notes else line


async def cancel_instance(
    session: AsyncSession, actor: Principal, instance: SessionInstance, reason: str | None
) -> InstanceRead:
    """Cancel an instance (``instance``: from ``instance_for_write``; an optional reason
    is kept in its notes)."""
    template = await _template_of(session, instance)
    await policies.instance_for_write(session, actor, instance, template)
    values: dict[str, Any] = {"status": "cancelled"}
    if reason:
        values["notes"] = _noted(instance.notes, f"Cancelled: {reason}")
    await records.save(session, instance, values)
    await events.instance_changed(session, instance, template)
    return await _answer(session, instance)


def _same_length(new_start: dt.time, start: dt.time, end: dt.time) -> dt.time:
    """The end of a session moved to ``new_start`` that lasts as long as [start, end)."""
    day = dt.date(2000, 1, 1)
    length = dt.datetime.combine(day, end) - dt.datetime.combine(day, start)
    moved = dt.datetime.combine(day, new_start) + length
    if moved.date() != day or moved.time() <= new_start:
        raise ValidationFailed({"new_start_time": [PAST_MIDNIGHT]})
    return moved.time()


async def reschedule_instance(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    instance: SessionInstance,
    body: RescheduleBody,
) -> InstanceRead:
    """Move an instance (``instance``: from ``instance_for_write``) to another date (and
    optionally times, room, trainer); a new start time without a new end time keeps
    the session's duration."""
    template = await _template_of(session, instance)
    await policies.instance_for_write(session, actor, instance, template)
    values: dict[str, Any] = {"specific_date": body.new_date, "status": "rescheduled"}
    for name, value in (
        ("custom_start_time", body.new_start_time),
        ("custom_end_time", body.new_end_time),
        ("custom_room_id", body.new_room_id),
        ("custom_trainer_id", body.new_trainer_id),
    ):
        if value is not None:
            values[name] = value
    if body.new_start_time is not None and body.new_end_time is None:
        # A new start alone keeps the session's length (its effective times' now).
        values["custom_end_time"] = _same_length(
            body.new_start_time,
            own_or(instance.custom_start_time, template.start_time),
            own_or(instance.custom_end_time, template.end_time),
        )
    if body.reason:
        values["notes"] = _noted(instance.notes, f"Rescheduled: {body.reason}")
    instance = await _write_instance(
        session, ctx, template=template, instance=instance, values=values, wire=RESCHEDULE_WIRE
    )
    return await _answer(session, instance)


async def delete_instance(session: AsyncSession, actor: Principal, instance_id: int) -> None:
    instance = await repository.instances.require(session, instance_id, for_update=True)
    template = await repository.templates.get(session, instance.schedule_template_id)
    await policies.center_for_write(session, actor, template.center_id if template else None)
    await events.deleted(session, "instance", [(instance.id or 0, instance.version)])
    await records.remove(session, instance)


async def generate_week(
    session: AsyncSession, actor: Principal, body: GenerateWeek
) -> GenerateReport:
    """The week's instances of every active template of the year the caller manages:
    one statement creates them (those already there are skipped), one more writes all
    their events."""
    scope = policies.generation_scope(actor)
    rows = await repository.generate_week(
        session, monday=body.start_date, academic_year=body.academic_year, scope=scope
    )
    await events.instances_created(
        session,
        [
            events.instance_values(
                id=r.id,
                template=r.schedule_template_id,
                specific_date=r.specific_date,
                status=r.status,
                start=r.start_time,
                end=r.end_time,
                trainer=r.trainer_id,
                room=r.room_id,
                group=r.group_id,
                center=r.center_id,
            )
            for r in rows
        ],
    )
    people = await users.users_by_id(session, {r.trainer_id for r in rows})
    return GenerateReport(
        message=f"Created {len(rows)} session instances", instances=answers.generated(rows, people)
    )
