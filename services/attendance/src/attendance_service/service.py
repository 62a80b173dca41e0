"""Business rules of the attendance service: records, their lists and bulk entry
(statistics and reports: ``reports.py``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import Principal, Role
from entraide_kit.context import Context
from entraide_kit.copies.centers import centers
from entraide_kit.copies.students import students
from entraide_kit.db import flush_checked
from entraide_kit.errors import NotFound, PermissionDenied, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams, build_page

from . import alerts, answers, events, policies, repository
from .copies import instances, sessions
from .models import AttendanceRecord
from .schemas import BulkIn, BulkOut, BulkRecord, RecordCreate, RecordPage, RecordRead, RecordUpdate

CONSTRAINTS = {
    "uq_attendance_student_instance_date": (
        "non_field_errors",
        "This student already has a record for this session on this date.",
    ),
    "uq_attendance_student_template_date": (
        "non_field_errors",
        "This student already has a record for this session on this date.",
    ),
}


@dataclass(frozen=True)
class SessionRef:
    """The session a record is for, as the schedule copies know it."""

    template_id: int | None
    instance_id: int | None
    trainer: int | None
    group: int | None
    center: int | None


def _invalid(field: str, pk: Any) -> ValidationFailed:
    return ValidationFailed({field: [f'Invalid pk "{pk}" - object does not exist.']})


def trainer_filter(actor: Principal, raw: str | None) -> list[ColumnElement[bool]]:
    """``?trainer_id=<user id>|me``: the records whose template (or whose instance's
    template) has that trainer. A trainer is narrowed to themself whatever is asked:
    their scope (the sessions they teach) is already exactly that."""
    if raw is None or raw == "":
        return []
    value = raw.strip()
    if value == "me":
        trainer_id = actor.id
    else:
        try:
            trainer_id = int(value)
        except ValueError:
            raise ValidationFailed({"trainer_id": ['Enter a whole number, or "me".']}) from None
    if actor.role is Role.trainer:
        return []
    return [repository.taught_by(trainer_id)]


async def resolve_session(
    session: AsyncSession,
    ctx: Context,
    *,
    template_id: int | None,
    instance_id: int | None,
    date: Any,
    names: tuple[str, str] = ("session_template", "session_instance"),
) -> SessionRef:
    """Exactly one of template / instance; the date matches the instance's; not cancelled."""
    if (template_id is None) == (instance_id is None):
        raise ValidationFailed(
            {"non_field_errors": [f"Give either {names[0]} or {names[1]}, not both."]}
        )
    # The copy (one lean read), else once its owner, for one created a moment ago.
    if instance_id is not None:
        inst = await repository.instance_copy(session, instance_id) or await instances.get(
            session, instance_id, ctx=ctx
        )
        if inst is None:
            raise _invalid(names[1], instance_id)
        if inst.specific_date is not None and inst.specific_date != date:
            raise ValidationFailed(
                {"date": [f"The session instance takes place on {inst.specific_date}."]}
            )
        if inst.status == "cancelled":
            raise ValidationFailed(
                {names[1]: ["No attendance can be taken for a cancelled session."]}
            )
        return SessionRef(None, instance_id, inst.effective_trainer, inst.group, inst.center)
    assert template_id is not None
    tpl = await repository.session_copy(session, template_id)
    if tpl is None and await sessions.get(session, template_id, ctx=ctx) is not None:
        tpl = await repository.session_copy(session, template_id)  # with its course's centre
    if tpl is None:
        raise _invalid(names[0], template_id)
    if tpl.day and date.strftime("%A") != tpl.day:
        raise ValidationFailed({"date": [f"The weekly session takes place on {tpl.day}s."]})
    return SessionRef(template_id, None, tpl.trainer, tpl.group, tpl.center)


async def authorize(session: AsyncSession, actor: Principal, ref: SessionRef) -> None:
    # Only a centre supervisor's right depends on the centre (its supervisor).
    center = None
    if actor.role is Role.center_supervisor and ref.center:
        center = (await centers.by_ids(session, [ref.center])).get(ref.center)
    policies.can_record(actor, trainer=ref.trainer, center=center)


def check_member(student: Any, ref: SessionRef, student_id: Any) -> str | None:
    """``student``: a row of the students copy (by attribute), or None."""
    if student is None:
        return f'Invalid pk "{student_id}" - object does not exist.'
    if ref.group is not None and student.group != ref.group:
        return "The student is not in this session's group."
    return None


# ------------------------------------------------------------------ reads

#: the list's query (filters, search, ordering), a dependency of the router's
RECORD_QUERY = repository.RECORD_LIST.dependency()


async def list_records(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    params: PageParams,
    query: ListQuery,
    trainer_id: str | None,
) -> RecordPage:
    """A page of records (a trainer: their sessions'; a supervisor: their centres');
    count and page in one statement."""
    stmt = repository.records_query().where(
        policies.scope(actor), *trainer_filter(actor, trainer_id)
    )
    count, rows = await repository.record_page(session, params, stmt, query)
    return RecordPage.model_construct(
        **build_page(ctx, params, count, [answers.record(r) for r in rows])
    )


async def get_record(session: AsyncSession, actor: Principal, record_id: int) -> RecordRead:
    """A record the caller may read (students: their own only), else 404."""
    row = await repository.get_row(session, record_id, policies.scope(actor))
    if row is None:
        raise NotFound()
    return answers.record(row)


async def record_for_write(
    session: AsyncSession, actor: Principal, record_id: int
) -> AttendanceRecord:
    """The record to change, locked; 404 when the caller may not even read it (the
    router asks before the body is read)."""
    found = await repository.lock_record(session, record_id, policies.scope(actor))
    if found is None:
        raise NotFound()
    return found


async def _answer(session: AsyncSession, record: AttendanceRecord) -> RecordRead:
    return answers.record(await repository.get_row(session, record.id or 0))


async def _rows(session: AsyncSession, actor: Principal, *where: Any) -> list[RecordRead]:
    return [
        answers.record(r) for r in await repository.rows(session, policies.scope(actor), *where)
    ]


async def by_session(
    session: AsyncSession,
    actor: Principal,
    *,
    instance_id: int | None,
    template_id: int | None,
    date: dt.date | None,
) -> list[RecordRead]:
    """A session's records: an instance's, or a template's on a date."""
    if instance_id is not None:
        where = [col(AttendanceRecord.session_instance_id) == instance_id]
    elif template_id is not None and date is not None:
        where = [
            col(AttendanceRecord.session_template_id) == template_id,
            col(AttendanceRecord.date) == date,
        ]
    else:
        raise ValidationFailed(
            {"non_field_errors": ["Give session_instance_id, or session_template_id and date."]}
        )
    return await _rows(session, actor, *where)


async def by_student(
    session: AsyncSession,
    actor: Principal,
    *,
    student_id: int,
    start: dt.date | None,
    end: dt.date | None,
) -> list[RecordRead]:
    """A student's records (students: their own only)."""
    if actor.role is Role.student:
        own = (await repository.students_by_ids(session, [student_id])).get(student_id)
        if own is None or own.user != actor.id:
            raise PermissionDenied("You can only see your own attendance.")
    return await _rows(
        session,
        actor,
        *repository.by_scope(student_id=student_id),
        *repository.in_period(start, end),
    )


async def by_group(
    session: AsyncSession,
    actor: Principal,
    *,
    group_id: int,
    start: dt.date | None,
    end: dt.date | None,
) -> list[RecordRead]:
    """The records of all students of a group."""
    return await _rows(
        session, actor, *repository.by_scope(group_id=group_id), *repository.in_period(start, end)
    )


# ------------------------------------------------------------------ writes


async def create_record(
    session: AsyncSession, ctx: Context, actor: Principal, body: RecordCreate
) -> RecordRead:
    """Record a student's attendance for a session (either a template or an instance)."""
    values = body.model_dump(exclude_unset=True)
    ref = await resolve_session(
        session,
        ctx,
        template_id=values.get("session_template"),
        instance_id=values.get("session_instance"),
        date=values["date"],
    )
    await authorize(session, actor, ref)
    student = await students.get(session, values["student"], ctx=ctx)
    problem = check_member(student, ref, values["student"])
    if problem:
        raise ValidationFailed({"student": [problem]})
    justified = values["status"] == "absent" and await repository.justified(
        session, values["student"], values["date"]
    )
    record = AttendanceRecord(
        date=values["date"],
        student_id=values["student"],
        session_template_id=ref.template_id,
        session_instance_id=ref.instance_id,
        status=values["status"],
        notes=values.get("notes") or "",
        group_id=ref.group,
        trainer_id=ref.trainer,
        center_id=ref.center,
        is_justified=justified,
    )
    session.add(record)
    await flush_checked(session, CONSTRAINTS)
    await session.refresh(record)
    await events.record_changed(session, record)
    await alerts.recheck(session, [record.student_id])
    return await _answer(session, record)


async def update_record(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    record: AttendanceRecord,
    body: RecordUpdate,
) -> RecordRead:
    """Update a record (``record``: from ``record_for_write``): PUT (a ``RecordCreate``)
    and PATCH alike, the fields sent."""
    changes = body.model_dump(exclude_unset=True)
    for name in ("date", "student", "status"):
        if name in changes and changes[name] is None:
            raise ValidationFailed({name: ["This field may not be null."]})
    current = {
        "session_template": record.session_template_id,
        "session_instance": record.session_instance_id,
    }
    if "session_template" in changes or "session_instance" in changes:
        current = {
            "session_template": changes.get("session_template"),
            "session_instance": changes.get("session_instance"),
        }
    date = changes.get("date", record.date)
    ref = await resolve_session(
        session,
        ctx,
        template_id=current["session_template"],
        instance_id=current["session_instance"],
        date=date,
    )
    # Both the session it was for and the one it is moved to must be the caller's.
    await authorize(
        session, actor, SessionRef(None, None, record.trainer_id, record.group_id, record.center_id)
    )
    await authorize(session, actor, ref)
    student_id = changes.get("student", record.student_id)
    if "student" in changes or ref.group != record.group_id:
        problem = check_member(await students.get(session, student_id, ctx=ctx), ref, student_id)
        if problem:
            raise ValidationFailed({"student": [problem]})
    values: dict[str, Any] = {
        "date": date,
        "student_id": student_id,
        "session_template_id": ref.template_id,
        "session_instance_id": ref.instance_id,
        "group_id": ref.group,
        "trainer_id": ref.trainer,
        "center_id": ref.center,
    }
    if "status" in changes:
        values["status"] = changes["status"]
    if "notes" in changes:
        values["notes"] = changes["notes"] or ""
    # Justified when an absence on a day an approved justification covers (issue
    # 20): a record changed to present or late is not.
    values["is_justified"] = values.get("status", record.status) == "absent" and (
        await repository.justified(session, student_id, date)
    )
    before = record.student_id  # a record moved to another student: both are rechecked
    await records.save_unflushed(record, values)
    await flush_checked(session, CONSTRAINTS)
    await events.record_changed(session, record)
    await alerts.recheck(session, [before, record.student_id])
    return await _answer(session, record)


async def delete_record(session: AsyncSession, actor: Principal, record_id: int) -> None:
    record = await record_for_write(session, actor, record_id)
    await authorize(
        session, actor, SessionRef(None, None, record.trainer_id, record.group_id, record.center_id)
    )
    student_id = record.student_id
    await events.record_deleted(session, record)
    await records.remove(session, record)
    await alerts.recheck(session, [student_id])


async def bulk_create(
    session: AsyncSession, ctx: Context, actor: Principal, body: BulkIn
) -> BulkOut:
    """A whole class in one statement: new records inserted, existing ones updated;
    unknown or misplaced students reported in ``errors`` without failing the rest."""
    ref = await resolve_session(
        session,
        ctx,
        template_id=body.session_template_id,
        instance_id=body.session_instance_id,
        date=body.date,
        names=("session_template_id", "session_instance_id"),
    )
    await authorize(session, actor, ref)
    errors: list[str] = []
    wanted: dict[int, Any] = {}
    for entry in body.attendance_records:
        try:
            student_id = int(entry.student_id)
        except (TypeError, ValueError):
            errors.append(f'Student "{entry.student_id}": not a valid id.')
            continue
        wanted[student_id] = entry  # the last entry for a student wins
    entries = [(sid, str(e.status), e.notes or "") for sid, e in wanted.items()]
    scope: dict[str, Any] = {
        "date": body.date,
        "template_id": ref.template_id,
        "instance_id": ref.instance_id,
        "group_id": ref.group,
        "trainer_id": ref.trainer,
        "center_id": ref.center,
    }
    # The members' records and their events (one per record) in one statement;
    # only when some entry was not saved is the copy read to say why.
    saved = await repository.upsert_class_list(session, entries, **scope)
    if len(saved) < len(entries):
        done = {r.student_id for r in saved}
        rest = [e for e in entries if e[0] not in done]
        known = await repository.students_by_ids(session, (e[0] for e in rest))
        missing = {e[0] for e in rest} - set(known)
        # Students created a moment ago may not be in the copy yet: their owner is
        # asked once for all of them before any is called unknown.
        if missing and await students.learn(session, missing, ctx=ctx):
            learned = [e for e in rest if e[0] in missing]
            saved += await repository.upsert_class_list(session, learned, **scope)
            known = await repository.students_by_ids(session, (e[0] for e in rest))
            done = {r.student_id for r in saved}
        for student_id, _, _ in rest:
            problem = check_member(known.get(student_id), ref, student_id)
            if student_id not in done and problem:
                errors.append(f"Student {student_id}: {problem}")
    # The alerts of the students whose marks moved, in one statement for all of
    # them (issue 20); a list entered again as it was changes no alert.
    await alerts.recheck(session, [r.student_id for r in saved if r.marks_changed])
    created = sum(1 for r in saved if r.inserted)
    return BulkOut(
        message=f"Processed {len(saved)} attendance records",
        created=created,
        updated=len(saved) - created,
        errors=errors,
        records=[
            BulkRecord(
                id=r.id,
                date=r.date,
                student=r.student_id,
                status=r.status,
                notes=r.notes,
                is_justified=r.is_justified,
            )
            for r in saved
        ],
    )


async def follow_instance(session: AsyncSession, instance_id: int, values: dict[str, Any]) -> None:
    """An instance's new trainer, group or centre follows into its records' scope,
    each changed record with a new version and its event (the record stream
    keeps the values the records now hold)."""
    changed = await repository.follow_instance(session, instance_id, values)
    await events.records_changed(session, changed)
