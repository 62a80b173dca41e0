"""Attendance alerts: raised and resolved as records are written (issue 20), never
by a nightly job.

Every write of records ends with ``recheck`` of its students (bulk entry: the
whole class in one statement). Two kinds, one unresolved alert per student and
kind:

- ``consecutive_absences``: the student's latest N records in a course (a
  record's course: its template's, or its instance's template's) are all
  unjustified absences; ``value`` the run's length, ``first_date`` and
  ``last_date`` the run's;
- ``absence_rate``: the student's unjustified absences reach ``threshold``
  percent of their records over the academic year (September to August) of
  their latest record, with at least ``min_records`` records; ``value`` the
  rate, the dates those of the year's records.

N, the threshold and min_records are the rules of the student's centre (the
defaults while it has none; ``enabled=false``: no new alert). An alert whose
condition holds again with other values is updated (a longer run, a new rate);
one whose condition is gone (a present or late record, an approved
justification, the rate under the threshold, records deleted) resolves itself.
Each raise, change, acknowledgement and resolution is an event
(``entraide.attendance.alert.<id>``, version 1 for the raise).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit import records
from entraide_kit.auth import Principal, Role
from entraide_kit.context import Context
from entraide_kit.copies.centers import centers
from entraide_kit.errors import NotFound, PermissionDenied, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams, build_page

from . import alert_repository, events, policies
from .alert_schemas import AlertPage, AlertRead, AlertRulesIn, AlertRulesRead
from .models import Alert

#: the alert list's query (filters, search, ordering), a dependency of the router's
ALERT_QUERY = alert_repository.ALERT_LIST.dependency()


async def recheck(session: AsyncSession, student_ids: Collection[int]) -> None:
    """Raise or resolve the alerts of these students after their records changed
    (in the caller's transaction, as its last statements: the students are locked
    for rechecks until it ends)."""
    wanted = sorted({int(i) for i in student_ids if i is not None})
    if not wanted:
        return
    await alert_repository.lock_students(session, wanted)
    await alert_repository.recheck(session, wanted)


# ------------------------------------------------------------------ rules


async def center_for_rules(
    session: AsyncSession, ctx: Context, actor: Principal, center_id: int
) -> Any:
    """The centre whose rules are read or set (the copy, else once its owner): 404
    for an unknown centre, 403 for a supervisor's centre not theirs (the router
    asks before the body is read)."""
    center = await centers.get(session, center_id, ctx=ctx)
    if center is None:
        raise NotFound()
    if actor.role is Role.admin:
        return center
    if actor.role is Role.center_supervisor and center["supervisor"] == actor.id:
        return center
    raise PermissionDenied("You can only manage the alert rules of the centres you supervise.")


def _rules(center_id: int, row: Any) -> AlertRulesRead:
    found = row if row is not None else alert_repository.DEFAULTS
    return AlertRulesRead(
        center=center_id,
        consecutive_absences=found.consecutive_absences,
        absence_rate_threshold=float(found.absence_rate_threshold),
        min_records=found.min_records,
        enabled=found.enabled,
        updated_by=row.updated_by if row is not None else None,
        updated_at=row.updated_at if row is not None else None,
    )


async def get_rules(session: AsyncSession, center_id: int) -> AlertRulesRead:
    """The centre's rules (the defaults until they are set)."""
    return _rules(center_id, await alert_repository.rules_of(session, center_id))


async def put_rules(
    session: AsyncSession, actor: Principal, center_id: int, body: AlertRulesIn
) -> AlertRulesRead:
    """Set the centre's rules (the fields sent), then recheck its students' alerts
    under them (a lower threshold raises, a higher one resolves)."""
    changes = body.model_dump(exclude_unset=True)
    records.refuse_nulls(changes, *changes)
    row = await alert_repository.save_rules(session, center_id, changes, user_id=actor.id)
    members = await alert_repository.students_of_center(session, center_id)
    if members:
        # Not locked per student: a centre's students can be thousands, and a
        # write racing a change of rules is rechecked by the next write.
        await alert_repository.recheck(session, sorted(members))
    return _rules(center_id, row)


# ------------------------------------------------------------------ alerts


def scope(actor: Principal) -> ColumnElement[bool]:
    """The alerts this caller may read: an admin all, a centre supervisor their
    centres', a trainer those of the students of their sessions' groups, a student
    their own."""
    if actor.role is Role.admin:
        return true()
    if actor.role is Role.center_supervisor:
        return alert_repository.in_centers(policies.supervised(actor))
    if actor.role is Role.trainer:
        return alert_repository.in_groups(policies.taught_groups(actor))
    if actor.role is Role.student:
        return alert_repository.of_students(policies.own_students(actor))
    return false()


def answer(r: Any) -> AlertRead:
    names = " ".join(n for n in (r.first_name, r.last_name) if n)
    return AlertRead(
        id=r.id,
        student=r.student_id,
        student_name=names or None,
        group=r.group_id,
        center=r.center_id,
        training_course=r.training_course_id,
        kind=r.kind,
        value=r.value,
        threshold=r.threshold,
        first_date=r.first_date,
        last_date=r.last_date,
        status=r.status,
        created_at=r.created_at,
        acknowledged_by=r.acknowledged_by,
        acknowledged_at=r.acknowledged_at,
        note=r.note,
        resolved_at=r.resolved_at,
    )


async def list_alerts(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> AlertPage:
    """A page of the alerts in the caller's scope; count and page in one statement."""
    count, rows = await alert_repository.alert_page(session, params, scope(actor), query)
    return AlertPage.model_construct(**build_page(ctx, params, count, [answer(r) for r in rows]))


async def get_alert(session: AsyncSession, actor: Principal, alert_id: int) -> AlertRead:
    """An alert the caller may read, else 404."""
    row = await alert_repository.get_row(session, alert_id, scope(actor))
    if row is None:
        raise NotFound()
    return answer(row)


async def alert_for_write(session: AsyncSession, actor: Principal, alert_id: int) -> Alert:
    """The alert to acknowledge, locked; 404 when the caller may not read it (the
    router asks before the body is read)."""
    found = await alert_repository.lock_alert(session, alert_id, scope(actor))
    if found is None:
        raise NotFound()
    return found


async def acknowledge(
    session: AsyncSession, actor: Principal, alert: Alert, note: str | None
) -> AlertRead:
    """An open alert acknowledged (by the trainer of its group, its centre's
    supervisor or an admin: whoever may read it among them), with an optional note;
    its event. An acknowledged or resolved one: 400."""
    if alert.status != "open":
        raise ValidationFailed(
            {"status": [f"Only an open alert can be acknowledged; this one is {alert.status}."]}
        )
    values: dict[str, Any] = {
        "status": "acknowledged",
        "acknowledged_by": actor.id,
        "acknowledged_at": dt.datetime.now(dt.UTC),
    }
    if note is not None:
        values["note"] = note
    await records.save(session, alert, values)
    await events.alert_changed(session, alert)
    return answer(await alert_repository.get_row(session, alert.id or 0))
