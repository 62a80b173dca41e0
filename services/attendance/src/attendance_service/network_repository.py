"""The network roll-ups' one statement (``records/network_stats/``, issue 20).

One row per unit (association, centre or group) of the copies in scope, with its
records' counts, its enrolment and its unresolved alerts, each aggregated in SQL
before the join. The records' counts are sums of ``attendance_day_counts`` (per
centre, group and day, kept by triggers on the records: migration 0007), not an
aggregate of the records themselves: a year of the whole network at scale L is
a million records but some twenty-four thousand day counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    cast,
    func,
    null,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit import fastread
from entraide_kit.copies.centers import associations, centers, groups
from entraide_kit.copies.students import students

from .models import Alert, day_counts

DC = day_counts
AL: Table = Alert.__table__  # type: ignore[attr-defined,unused-ignore]
A = associations.table
C = centers.table
G = groups.table
S = students.table


@dataclass(frozen=True, slots=True)
class Scope:
    """Which centres count (all of them when every field is None)."""

    #: a centre supervisor's user id: the centres they supervise
    center_supervisor: int | None = None
    #: an association supervisor's user id: the centres of their associations
    association_supervisor: int | None = None
    #: the ``association`` filter: its centres
    association: int | None = None
    #: the ``center`` filter: that centre
    center: int | None = None


def _centre_where(scope: Scope) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if scope.center_supervisor is not None:
        where.append(C.c.supervisor == scope.center_supervisor)
    if scope.association_supervisor is not None:
        theirs = select(A.c.id).where(A.c.supervisor == scope.association_supervisor)
        where.append(C.c.association.in_(theirs))
    if scope.association is not None:
        where.append(C.c.association == scope.association)
    if scope.center is not None:
        where.append(C.c.id == scope.center)
    return where


def _association_where(scope: Scope) -> list[ColumnElement[bool]]:
    """The associations shown at the association level."""
    where: list[ColumnElement[bool]] = []
    if scope.association_supervisor is not None:
        where.append(A.c.supervisor == scope.association_supervisor)
    if scope.association is not None:
        where.append(A.c.id == scope.association)
    if scope.center is not None or scope.center_supervisor is not None:
        where.append(A.c.id.in_(select(C.c.association).where(*_centre_where(scope))))
    return where


COUNTS = ("total", "present", "late", "absent", "justified")


def _sums() -> list[Any]:
    return [func.sum(DC.c[name]).label(name) for name in COUNTS]


def _parts(
    by: str, in_scope: Any, *, year: str, start: dt.date, end: dt.date
) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The records' counts, the enrolment and the unresolved alerts per centre
    (``by="center"``) or per group, of the units ``in_scope`` (a subquery of their
    ids; None: all), each as (unit, ...) rows."""
    dc, st, al = (
        (DC.c.center_id, S.c.center, AL.c.center_id)
        if by == "center"
        else (DC.c.group_id, S.c.group, AL.c.group_id)
    )
    rec = select(dc.label("unit"), *_sums()).where(DC.c.date >= start, DC.c.date <= end)
    enrolled = select(st.label("unit"), func.count().label("n")).where(S.c.academic_year == year)
    alerts = select(al.label("unit"), func.count().label("n")).where(
        AL.c.status != "resolved", AL.c.last_date >= start, AL.c.last_date <= end
    )
    if in_scope is not None:
        rec = rec.where(dc.in_(in_scope))
        enrolled = enrolled.where(st.in_(in_scope))
        alerts = alerts.where(al.in_(in_scope))
    return rec.group_by(dc), enrolled.group_by(st), alerts.group_by(al)


def _to_associations(per_centre: Select[Any], *names: str) -> Select[Any]:
    """Per-centre rows summed per association (a few rows: the centres'), not a
    join of every record or student to the centres copy."""
    rows = per_centre.subquery()
    return (
        select(C.c.association.label("unit"), *(func.sum(rows.c[n]).label(n) for n in names))
        .select_from(rows.join(C, C.c.id == rows.c.unit))
        .group_by(C.c.association)
    )


def network_statement(
    level: str, scope: Scope, *, year: str, start: dt.date, end: dt.date
) -> Select[Any]:
    """The roll-up at ``level`` (association, center or group) of the records dated
    ``start`` to ``end`` of the centres in ``scope``: one statement."""
    centre_where = _centre_where(scope)
    scoped = select(C.c.id).where(*centre_where) if centre_where else None
    units: Select[Any]

    def parts(by: str, in_scope: Any) -> tuple[Select[Any], Select[Any], Select[Any]]:
        return _parts(by, in_scope, year=year, start=start, end=end)

    if level == "group":
        in_scope = None if scoped is None else select(G.c.id).where(G.c.center.in_(scoped))
        units = select(G.c.id, G.c.name, G.c.center.label("parent")).where(
            *([] if scoped is None else [G.c.center.in_(scoped)])
        )
        rec, enrolled, alerts = parts("group", in_scope)
    elif level == "center":
        units = select(C.c.id, C.c.name, C.c.association.label("parent")).where(*centre_where)
        rec, enrolled, alerts = parts("center", scoped)
    else:
        units = select(A.c.id, A.c.name, cast(null(), Integer).label("parent")).where(
            *_association_where(scope)
        )
        rec, enrolled, alerts = parts("center", scoped)
        rec = _to_associations(rec, *COUNTS)
        enrolled = _to_associations(enrolled, "n")
        alerts = _to_associations(alerts, "n")
    u = units.subquery("units")
    r = rec.subquery("rec")
    e = enrolled.subquery("enrolled")
    a = alerts.subquery("open_alerts")
    return (
        select(
            u.c.id,
            u.c.name,
            u.c.parent,
            func.coalesce(e.c.n, 0).label("students"),
            *(func.coalesce(r.c[n], 0).label(n) for n in COUNTS),
            func.coalesce(a.c.n, 0).label("open_alerts"),
        )
        .select_from(
            u.outerjoin(r, r.c.unit == u.c.id)
            .outerjoin(e, e.c.unit == u.c.id)
            .outerjoin(a, a.c.unit == u.c.id)
        )
        .order_by(u.c.name, u.c.id)
    )


async def network_stats(
    session: AsyncSession, level: str, scope: Scope, *, year: str, start: dt.date, end: dt.date
) -> list[Any]:
    """(id, name, parent, students, total, present, late, absent, justified,
    open_alerts) rows, by name."""
    return await fastread.rows(
        session, network_statement(level, scope, year=year, start=start, end=end)
    )
