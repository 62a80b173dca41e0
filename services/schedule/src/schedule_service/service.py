"""Business rules of the schedule service. Writes through the repository and the
outbox; never commits (the request's session does).

Conflicts between templates are the database's to refuse (exclusion
constraints, see the migration): the check made before writing only builds
the contract's message; when two requests race past it, the constraint stops
the second, whose refusal is turned into the same message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import Principal
from entraide_kit.copies import users
from entraide_kit.copies.centers import groups, rooms
from entraide_kit.copies.programs import courses
from entraide_kit.db import flush_checked, violated_constraint
from entraide_kit.errors import NotFound, ValidationFailed

from . import events, policies, repository
from .models import DAYS, ScheduleSession, SessionInstance

UNIQUE_DATE = "The fields schedule_template, specific_date must make a unique set."
END_AFTER_START = "End time must be after start time."
CONSTRAINTS = {
    "ck_schedule_sessions_times": ("end_time", END_AFTER_START),
    "uq_session_instances_template_date": ("non_field_errors", UNIQUE_DATE),
}
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
# A template's fields its instances' snapshots show.
SHOWN_BY_INSTANCES = ("start_time", "end_time", "trainer_id", "room_id", "group_id", "center_id")


def _invalid_pk(pk: Any) -> str:
    return f'Invalid pk "{pk}" - object does not exist.'


def _hms(value: dt.time) -> str:
    return value.strftime("%H:%M:%S")


def _person(first: str | None, last: str | None, user_id: int | None) -> str:
    name = f"{first or ''} {last or ''}".strip()
    return name or f"#{user_id}"


def conflict_message(kind: str, name: str, when: str, start: dt.time) -> str:
    """The contract's words: who (or what), when, at what time the other session starts."""
    if kind == "trainer":
        return f"Trainer {name} already has a session on {when} at {_hms(start)}"
    if kind == "room":
        return f"Room {name} is already booked on {when} at {_hms(start)}"
    return f"Group {name} already has a session on {when} at {_hms(start)}"


def _shared(row_values: Mapping[str, Any], wanted: Mapping[str, int | None]) -> list[str]:
    return [
        kind
        for kind in ("trainer", "room", "group")
        if wanted.get(kind) is not None and row_values.get(kind) == wanted[kind]
    ]


def template_conflicts(
    rows: Sequence[Any], wanted: Mapping[str, int | None]
) -> list[tuple[str, str, Any]]:
    """(kind, message, row) for each resource each conflicting template shares."""
    found = []
    for row in rows:
        s: ScheduleSession = row[0]
        have = {"trainer": s.trainer_id, "room": s.room_id, "group": s.group_id}
        for kind in _shared(have, wanted):
            if kind == "trainer":
                name = _person(row.trainer_first_name, row.trainer_last_name, s.trainer_id)
            elif kind == "room":
                name = row.room_name or f"#{s.room_id}"
            else:
                name = row.group_name or f"#{s.group_id}"
            found.append((kind, conflict_message(kind, name, s.day, s.start_time), row))
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


# ------------------------------------------------------------------ references


async def _trainer_error(session: AsyncSession, request: Request, user_id: int) -> str | None:
    user = await users.get_user(session, user_id, request=request)
    if user is None:
        return _invalid_pk(user_id)
    if user.role != "trainer":
        return "The trainer must be a user with the role trainer."
    if not user.is_active:
        return "The trainer must be an active user."
    return None


async def _room_error(
    session: AsyncSession, request: Request, room_id: int, center_id: int | None
) -> str | None:
    room = await rooms.get(session, room_id, request=request)
    if room is None:
        return _invalid_pk(room_id)
    if center_id is not None and room["center"] != center_id:
        return "The room must belong to the training course's center."
    return None


async def _group_error(
    session: AsyncSession, request: Request, group_id: int, center_id: int | None
) -> str | None:
    group = await groups.get(session, group_id, request=request)
    if group is None:
        return _invalid_pk(group_id)
    if center_id is not None and group["center"] != center_id:
        return "The group must belong to the training course's center."
    return None


async def _name_of(session: AsyncSession, kind: str, values: Mapping[str, Any]) -> str:
    """The name of this template's trainer, room or group, from the copies."""
    pk = values[f"{kind}_id"]
    if kind == "trainer":
        user = (await users.users_by_id(session, [pk])).get(pk)
        return user.full_name if user and user.full_name else f"#{pk}"
    copy = rooms if kind == "room" else groups
    row = (await copy.by_ids(session, [pk])).get(pk)
    return str(row["name"]) if row is not None else f"#{pk}"


def _own_or(value: Any, fallback: Any) -> Any:
    return value if value is not None else fallback


# ------------------------------------------------------------------ templates


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


async def save_session(
    session: AsyncSession,
    request: Request,
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
        problem = await _trainer_error(session, request, merged["trainer_id"])
        if problem:
            errors["trainer"] = [problem]
    center_id = current.get("center_id")
    if changed("training_course_id"):
        course = await courses.get(session, merged["training_course_id"], request=request)
        if course is None:
            errors["training_course"] = [_invalid_pk(merged["training_course_id"])]
        else:
            center_id = course["center"]
    moved = changed("training_course_id")
    for name, check in (("room_id", _room_error), ("group_id", _group_error)):
        if merged[name] is not None and (changed(name) or moved):
            problem = await check(session, request, merged[name], center_id)
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
                    await _name_of(session, EXCLUSIONS[constraint], merged),
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


async def delete_session(
    session: AsyncSession, actor: Principal, template: ScheduleSession
) -> None:
    """Delete a template with its instances, and say so."""
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
) -> list[Any]:
    """The users teaching at least one active template in the centre (and year)."""
    await policies.centers_for_read(session, actor, {center_id})
    where = repository.active_templates(center_id=center_id, academic_year=academic_year)
    return await repository.trainers_teaching(session, where)


async def groups_by_center(
    session: AsyncSession, actor: Principal, *, center_id: int, academic_year: str | None
) -> list[Any]:
    """The groups of at least one active template in the centre (and year)."""
    await policies.centers_for_read(session, actor, {center_id})
    where = repository.active_templates(center_id=center_id, academic_year=academic_year)
    return await repository.groups_taught(session, where)


async def trainer_schedule(
    session: AsyncSession,
    request: Request,
    actor: Principal,
    *,
    trainer_id: int,
    center_id: int | None,
    academic_year: str | None,
) -> tuple[users.UserCopy | None, list[Any]]:
    """A user's active templates (a supervisor: in their centres only); 404 for a user
    nobody knows (None: the caller themself, unknown to the users copy yet)."""
    policies.trainer_for_read(actor, trainer_id)
    await policies.centers_for_read(session, actor, {center_id} if center_id else set())
    trainer = await users.get_user(session, trainer_id, request=request)
    # The caller themself always exists (the users copy may not have heard of them yet).
    if trainer is None and trainer_id != actor.id:
        raise NotFound("No such trainer.")
    where = repository.active_templates(
        center_id=center_id, academic_year=academic_year, scope=policies.read_scope(actor)
    )
    rows = await repository.session_rows(
        session, col(ScheduleSession.trainer_id) == trainer_id, *where
    )
    return trainer, rows


async def group_schedule(
    session: AsyncSession,
    request: Request,
    actor: Principal,
    *,
    group_id: int,
    center_id: int | None,
    academic_year: str | None,
) -> tuple[Any, list[Any]]:
    """A group's active templates; 404 for a group nobody knows, 403 for a supervisor's
    group (or centre) of another centre."""
    group = await groups.get(session, group_id, request=request)
    if group is None:
        raise NotFound("No such group.")
    wanted = {int(group["center"])} | ({center_id} if center_id else set())
    await policies.centers_for_read(session, actor, wanted)
    where = repository.active_templates(
        center_id=center_id, academic_year=academic_year, scope=policies.read_scope(actor)
    )
    rows = await repository.session_rows(session, col(ScheduleSession.group_id) == group_id, *where)
    return group, rows


# ------------------------------------------------------------------ instances


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
    request: Request,
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
    start = _own_or(merged["custom_start_time"], template.start_time)
    end = _own_or(merged["custom_end_time"], template.end_time)
    trainer_id = _own_or(merged["custom_trainer_id"], template.trainer_id)
    room_id = _own_or(merged["custom_room_id"], template.room_id)
    errors: dict[str, list[str]] = {}
    if merged["status"] != "rescheduled" and DAYS[day.weekday()] != template.day:
        errors[key("specific_date")] = [
            f"The date must be a {template.day}, the template's day, "
            "unless the session is rescheduled."
        ]
    if end <= start:
        errors[key("custom_end_time")] = [END_AFTER_START]
    if merged["custom_trainer_id"] is not None and changed("custom_trainer_id"):
        problem = await _trainer_error(session, request, merged["custom_trainer_id"])
        if problem:
            errors[key("custom_trainer_id")] = [problem]
    if merged["custom_room_id"] is not None and changed("custom_room_id"):
        problem = await _room_error(session, request, merged["custom_room_id"], template.center_id)
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
            for kind in _shared(have, wanted):
                name = {
                    "trainer": _person(row.trainer_first_name, row.trainer_last_name, trainer_id),
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
    session: AsyncSession, request: Request, actor: Principal, changes: Mapping[str, Any]
) -> SessionInstance:
    values = {INSTANCE_RENAMES.get(k, k): v for k, v in changes.items()}
    if values.get("status") is None:
        values["status"] = "scheduled"
    template = await records.get(session, ScheduleSession, values["schedule_template_id"])
    if template is None:
        raise ValidationFailed({"schedule_template": [_invalid_pk(values["schedule_template_id"])]})
    await policies.center_for_write(session, actor, template.center_id)
    return await _write_instance(session, request, template=template, instance=None, values=values)


async def update_instance(
    session: AsyncSession,
    request: Request,
    actor: Principal,
    instance: SessionInstance,
    changes: Mapping[str, Any],
) -> SessionInstance:
    values = {INSTANCE_RENAMES.get(k, k): v for k, v in changes.items()}
    for name in ("schedule_template_id", "specific_date", "status"):
        if name in values and values[name] is None:
            raise ValidationFailed({INSTANCE_WIRE.get(name, name): ["This field may not be null."]})
    if "notes" in values:
        values["notes"] = values["notes"] or ""
    template = await records.get(session, ScheduleSession, instance.schedule_template_id)
    assert template is not None  # a foreign key with ON DELETE CASCADE
    current = _instance_values(instance)
    touched = {INSTANCE_WIRE.get(k, k) for k, v in values.items() if current[k] != v}
    await policies.instance_for_write(session, actor, instance, template, touched)
    new_template = template
    if values.get("schedule_template_id", template.id) != template.id:
        found = await records.get(session, ScheduleSession, values["schedule_template_id"])
        if found is None:
            raise ValidationFailed(
                {"schedule_template": [_invalid_pk(values["schedule_template_id"])]}
            )
        await policies.center_for_write(session, actor, found.center_id)
        new_template = found
    return await _write_instance(
        session, request, template=new_template, instance=instance, values=values
    )


def _noted(notes: str, line: str) -> str:
    return f"{notes}\n{line}" if notes else line


async def cancel_instance(
    session: AsyncSession, actor: Principal, instance: SessionInstance, reason: str | None
) -> SessionInstance:
    template = await records.get(session, ScheduleSession, instance.schedule_template_id)
    assert template is not None
    await policies.instance_for_write(session, actor, instance, template)
    values: dict[str, Any] = {"status": "cancelled"}
    if reason:
        values["notes"] = _noted(instance.notes, f"Cancelled: {reason}")
    await records.save(session, instance, values)
    await events.instance_changed(session, instance, template)
    return instance


PAST_MIDNIGHT = "Keeping its duration, the session would end after midnight."


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
    request: Request,
    actor: Principal,
    instance: SessionInstance,
    *,
    new_date: dt.date,
    new_start_time: dt.time | None,
    new_end_time: dt.time | None,
    new_room_id: int | None,
    new_trainer_id: int | None,
    reason: str | None,
) -> SessionInstance:
    template = await records.get(session, ScheduleSession, instance.schedule_template_id)
    assert template is not None
    await policies.instance_for_write(session, actor, instance, template)
    values: dict[str, Any] = {"specific_date": new_date, "status": "rescheduled"}
    for name, value in (
        ("custom_start_time", new_start_time),
        ("custom_end_time", new_end_time),
        ("custom_room_id", new_room_id),
        ("custom_trainer_id", new_trainer_id),
    ):
        if value is not None:
            values[name] = value
    if new_start_time is not None and new_end_time is None:
        # A new start alone keeps the session's length (its effective times' now).
        values["custom_end_time"] = _same_length(
            new_start_time,
            _own_or(instance.custom_start_time, template.start_time),
            _own_or(instance.custom_end_time, template.end_time),
        )
    if reason:
        values["notes"] = _noted(instance.notes, f"Rescheduled: {reason}")
    return await _write_instance(
        session,
        request,
        template=template,
        instance=instance,
        values=values,
        wire=RESCHEDULE_WIRE,
    )


async def delete_instance(
    session: AsyncSession, actor: Principal, instance: SessionInstance
) -> None:
    template = await records.get(session, ScheduleSession, instance.schedule_template_id)
    await policies.center_for_write(session, actor, template.center_id if template else None)
    await events.deleted(session, "instance", [(instance.id or 0, instance.version)])
    await records.remove(session, instance)


async def generate_week(
    session: AsyncSession, actor: Principal, *, monday: dt.date, academic_year: str
) -> list[Any]:
    """The week's instances of every active template of the year the caller manages:
    one statement creates them (those already there are skipped), one more writes all
    their events."""
    scope = policies.generation_scope(actor)
    rows = await repository.generate_week(
        session, monday=monday, academic_year=academic_year, scope=scope
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
    return rows
