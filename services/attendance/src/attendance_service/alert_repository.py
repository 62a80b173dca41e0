"""The statements of attendance alerts and their rules (issue 20).

``recheck_statement`` is the hot one: every write of records ends with it (in
bulk entry, for the whole class at once). One statement, compiled once, for any
number of students: each student's trailing run of unjustified absences per
course and unjustified-absence rate over the academic year of their latest
record, from the ``(student_id, date)`` index of the records; the alerts
raised (an insert), grown and resolved (two updates of disjoint rows), an
outbox row per alert written, the relay woken when there was one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    Date,
    Float,
    Integer,
    Numeric,
    Select,
    String,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import fastread, tracing
from entraide_kit.copies.students import students
from entraide_kit.filters import Filter, ListQuery, ListSpec
from entraide_kit.pagination import PageParams

from .copies import instances, sessions
from .events import ALERT_EVENT_DATA, OUTBOX
from .models import Alert, AlertRule
from .models import AttendanceRecord as R

S = students.table
I = instances.table  # noqa: E741
T = sessions.table
A = Alert.__table__  # type: ignore[attr-defined]
RULES = AlertRule.__table__  # type: ignore[attr-defined]
RECORDS = R.__table__  # type: ignore[attr-defined]

#: a centre's rules until they are set (the model's defaults)
DEFAULTS = AlertRule(center_id=0)
#: the advisory locks' key space (pg_advisory_xact_lock(space, student id))
LOCK_SPACE = 0x20A1E
#: the academic year starts in September
YEAR_START_MONTH = 9

ALERT_LIST = ListSpec(
    search_fields=[S.c.first_name, S.c.last_name, S.c.exam_id],
    ordering_fields={
        "id": col(Alert.id),
        "created_at": col(Alert.created_at),
        "value": col(Alert.value),
        "last_date": col(Alert.last_date),
        "status": col(Alert.status),
        "student": col(Alert.student_id),
    },
    default_ordering=("-created_at",),
    filters={
        "status": Filter(col(Alert.status), choices={"open", "acknowledged", "resolved"}),
        "center": Filter(col(Alert.center_id), kind=int),
        "group": Filter(col(Alert.group_id), kind=int),
        "student": Filter(col(Alert.student_id), kind=int),
        "kind": Filter(col(Alert.kind), choices={"consecutive_absences", "absence_rate"}),
    },
    tiebreaker=col(Alert.id),
)


# ------------------------------------------------------------------ rules


async def rules_of(session: AsyncSession, center_id: int) -> Any:
    """The centre's row of rules (its columns), or None (the defaults)."""
    return await fastread.first(session, select(RULES).where(RULES.c.center_id == center_id))


async def save_rules(
    session: AsyncSession, center_id: int, changes: Mapping[str, Any], *, user_id: int
) -> Any:
    """Insert the centre's rules (the defaults for what ``changes`` leaves out) or
    change the given ones; the row back."""
    values = {
        "consecutive_absences": DEFAULTS.consecutive_absences,
        "absence_rate_threshold": DEFAULTS.absence_rate_threshold,
        "min_records": DEFAULTS.min_records,
        "enabled": DEFAULTS.enabled,
        **changes,
    }
    stmt = insert(RULES).values(center_id=center_id, updated_by=user_id, version=1, **values)
    upsert = stmt.on_conflict_do_update(
        index_elements=["center_id"],
        set_={
            **{name: stmt.excluded[name] for name in changes},
            "updated_by": user_id,
            "version": RULES.c.version + 1,
            "updated_at": func.now(),
        },
    ).returning(*RULES.c)
    return (await session.execute(upsert)).one()


async def students_of_center(session: AsyncSession, center_id: int) -> list[int]:
    """The ids of the centre's students (the copy)."""
    rows = await fastread.rows(session, select(S.c.id).where(S.c.center == center_id))
    return [r.id for r in rows]


# ------------------------------------------------------------------ alerts


def alerts_query() -> Select[Any]:
    """Alerts with their student's names (one query)."""
    return select(
        Alert, S.c.first_name.label("first_name"), S.c.last_name.label("last_name")
    ).outerjoin(S, S.c.id == col(Alert.student_id))


def in_centers(centers: Any) -> Any:
    return col(Alert.center_id).in_(centers)


def in_groups(groups: Any) -> Any:
    return col(Alert.group_id).in_(groups)


def of_students(ids: Any) -> Any:
    return col(Alert.student_id).in_(ids)


async def alert_page(
    session: AsyncSession, params: PageParams, where: Any, query: ListQuery
) -> tuple[int, list[Any]]:
    """(count, a page of ``alerts_query()`` rows), the list's query applied."""
    stmt = ALERT_LIST.apply(alerts_query().where(where), query)
    return await fastread.page(session, stmt, params)


async def get_row(session: AsyncSession, alert_id: int, *where: Any) -> Any:
    """An alert with its student's names, if ``where`` lets it be seen."""
    return await fastread.first(session, alerts_query().where(col(Alert.id) == alert_id, *where))


async def lock_alert(session: AsyncSession, alert_id: int, *where: Any) -> Alert | None:
    """The alert, locked until the transaction ends, if ``where`` lets it be seen."""
    stmt = select(Alert).where(col(Alert.id) == alert_id, *where).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


# ------------------------------------------------------------------ recheck


@cache
def _lock_statement() -> fastread.Prepared:
    """One transaction at a time rechecks a student (in ascending order: two
    writes sharing several students cannot deadlock): the second one's recheck
    then reads the first one's committed records.

    It also has the recheck that follows run on its generic plan: planning that
    statement (a dozen relations) took as long as running it for a class, and
    the custom plans PostgreSQL would otherwise keep choosing for it (they know
    the array's length) are the same plan. The recheck sets the mode back."""
    ids = (
        func.unnest(bindparam("student_ids", type_=ARRAY(Integer)))
        .table_valued("sid")
        .render_derived()
    )
    return fastread.Prepared.of(
        select(
            func.pg_advisory_xact_lock(literal(LOCK_SPACE, Integer), ids.c.sid),
            _plan_cache_mode("force_generic_plan"),
        )
    )


def _plan_cache_mode(mode: str) -> Any:
    """``plan_cache_mode`` set until the transaction ends (or set again)."""
    return func.set_config(
        literal_column("'plan_cache_mode'", Text), literal_column(f"'{mode}'", Text), true()
    )


def _year_start(day: Any) -> Any:
    """September 1st of the academic year of ``day``; the earliest date for a day
    before September of year 1 or an infinite one (asyncpg writes ``date.min`` and
    ``date.max`` as -infinity and infinity)."""
    year = cast(func.extract("year", day), Integer) - case(
        (func.extract("month", day) < YEAR_START_MONTH, 1), else_=0
    )
    earliest = literal_column("'-infinity'::date", Date)
    return case(
        (not_(func.isfinite(day)), earliest),
        (year < 1, earliest),
        else_=func.make_date(year, YEAR_START_MONTH, 1),
    )


def _utc_text(moment: Any) -> Any:
    """A time as ``events.UTC_FORMAT`` writes it (what the Python snapshot sends)."""
    return func.to_char(
        func.timezone("UTC", moment), literal('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"', Text)
    )


@cache
def recheck_statement() -> fastread.Prepared:
    """The alerts of ``student_ids`` (an array, any length: one statement text)
    brought up to date with their records, and their events; the alerts written
    come back (id, student_id, kind, status, version)."""
    ids = bindparam("student_ids", type_=ARRAY(Integer))
    given = select(func.unnest(ids).label("student_id")).cte("given")
    # Each student's latest date (the (student_id, date) index, backwards, from the
    # index alone): its academic year is the one the rate is over.
    latest = (
        select(func.max(RECORDS.c.date))
        .where(RECORDS.c.student_id == given.c.student_id)
        .scalar_subquery()
    )

    def latest_record(column: Any) -> Any:
        """The student's latest record's ``column``: the copy's fallback (read only
        for a student the copy lacks)."""
        return (
            select(column)
            .where(RECORDS.c.student_id == given.c.student_id)
            .order_by(RECORDS.c.date.desc(), RECORDS.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    center = func.coalesce(S.c.center, latest_record(RECORDS.c.center_id))
    with_center = (
        select(
            given.c.student_id,
            center.label("center_id"),
            func.coalesce(S.c.group, latest_record(RECORDS.c.group_id)).label("group_id"),
            _year_start(latest).label("year_start"),
        )
        .select_from(given.outerjoin(S, S.c.id == given.c.student_id))
        .subquery("with_center")
    )
    who = (
        select(
            with_center,
            func.coalesce(RULES.c.consecutive_absences, DEFAULTS.consecutive_absences).label("n"),
            func.coalesce(RULES.c.absence_rate_threshold, DEFAULTS.absence_rate_threshold).label(
                "threshold"
            ),
            func.coalesce(RULES.c.min_records, DEFAULTS.min_records).label("min_records"),
            func.coalesce(RULES.c.enabled, DEFAULTS.enabled).label("enabled"),
        )
        .select_from(with_center.outerjoin(RULES, RULES.c.center_id == with_center.c.center_id))
        .cte("who")
    )
    missed = and_(RECORDS.c.status == "absent", not_(RECORDS.c.is_justified))
    # Each student's records of the year: a range of the (student_id, date) index
    # per student. OFFSET 0 keeps the subquery apart, so PostgreSQL cannot turn it
    # into a join of the whole table that a small table's statistics make it scan.
    year = (
        select(
            RECORDS.c.id,
            RECORDS.c.date,
            RECORDS.c.session_template_id,
            RECORDS.c.session_instance_id,
            missed.label("missed"),
        )
        .where(RECORDS.c.student_id == who.c.student_id, RECORDS.c.date >= who.c.year_start)
        .offset(literal_column("0"))
        .lateral("year")
    )
    # ... each with its course (its template's, or its instance's template's).
    recs = (
        select(
            who.c.student_id,
            year.c.id,
            year.c.date,
            T.c.training_course.label("course"),
            year.c.missed,
        )
        .select_from(
            who.join(year, true())
            .outerjoin(I, I.c.id == year.c.session_instance_id)
            .outerjoin(
                T, T.c.id == func.coalesce(year.c.session_template_id, I.c.schedule_template)
            )
        )
        .subquery("recs")
    )
    # Newest first per course: a record is in the trailing run while no record
    # from it back to the newest was anything but an unjustified absence.
    broken = func.bool_or(not_(recs.c.missed)).over(
        partition_by=(recs.c.student_id, recs.c.course),
        order_by=(recs.c.date.desc(), recs.c.id.desc()),
        rows=(None, 0),
    )
    ranked = select(recs, broken.label("broken")).subquery("ranked")
    in_run = not_(ranked.c.broken)
    # One pass: per student and course, the year's counts and the trailing run.
    courses = (
        select(
            ranked.c.student_id,
            ranked.c.course,
            func.count().label("total"),
            func.count().filter(ranked.c.missed).label("missed"),
            func.min(ranked.c.date).label("first_date"),
            func.max(ranked.c.date).label("last_date"),
            func.count().filter(in_run).label("run"),
            func.min(ranked.c.date).filter(in_run).label("run_first"),
            func.max(ranked.c.date).filter(in_run).label("run_last"),
        )
        .group_by(ranked.c.student_id, ranked.c.course)
        .cte("courses")
    )
    # A student's longest trailing run (of any course), the latest on a tie.
    longest = (
        select(courses)
        .where(courses.c.run > 0)
        .ext(distinct_on(courses.c.student_id))
        .order_by(
            courses.c.student_id,
            courses.c.run.desc(),
            courses.c.run_last.desc(),
            courses.c.course.asc().nulls_last(),
        )
        .subquery("longest")
    )
    rates = (
        select(
            courses.c.student_id,
            func.sum(courses.c.total).label("total"),
            func.sum(courses.c.missed).label("missed"),
            func.min(courses.c.first_date).label("first_date"),
            func.max(courses.c.last_date).label("last_date"),
        )
        .group_by(courses.c.student_id)
        .subquery("rates")
    )
    rate = cast(func.round(cast(rates.c.missed * 100, Numeric) / rates.c.total, 2), Float)
    # The alerts whose condition holds, one row per student and kind.
    due = union_all(
        select(
            who.c.student_id,
            who.c.group_id,
            who.c.center_id,
            who.c.enabled,
            literal("consecutive_absences").label("kind"),
            longest.c.course.label("training_course_id"),
            cast(longest.c.run, Float).label("value"),
            cast(who.c.n, Float).label("threshold"),
            longest.c.run_first.label("first_date"),
            longest.c.run_last.label("last_date"),
        )
        .select_from(who.join(longest, longest.c.student_id == who.c.student_id))
        .where(longest.c.run >= who.c.n),
        select(
            who.c.student_id,
            who.c.group_id,
            who.c.center_id,
            who.c.enabled,
            literal("absence_rate").label("kind"),
            cast(null(), Integer).label("training_course_id"),
            rate.label("value"),
            cast(who.c.threshold, Float).label("threshold"),
            rates.c.first_date,
            rates.c.last_date,
        )
        .select_from(who.join(rates, rates.c.student_id == who.c.student_id))
        .where(
            rates.c.total >= func.greatest(who.c.min_records, 1),
            rates.c.missed * 100 >= who.c.threshold * rates.c.total,
        ),
    ).cte("due")
    # A literal, not a parameter: what lets PostgreSQL match the partial unique
    # index (uq_alerts_student_kind_unresolved) in the ON CONFLICT clause and in a
    # prepared statement's generic plan.
    unresolved = A.c.status != literal_column("'resolved'", String)
    kept = ["group_id", "center_id", "training_course_id", "value", "threshold"]
    kept += ["first_date", "last_date"]
    # Raised: a condition that holds, without an unresolved alert of its kind
    # (and, under a concurrent raise, the partial unique index's conflict).
    fresh = select(
        due.c.student_id,
        due.c.kind,
        *(due.c[name] for name in kept),
        literal("open").label("status"),
    ).where(
        due.c.enabled,
        ~exists().where(A.c.student_id == due.c.student_id, A.c.kind == due.c.kind, unresolved),
    )
    inserting = insert(A).from_select(
        ["student_id", "kind", *kept, "status"], fresh, include_defaults=False
    )
    raised = (
        inserting.on_conflict_do_nothing(
            index_elements=["student_id", "kind"], index_where=unresolved
        )
        .returning(*A.c)
        .cte("raised")
    )
    # Grown: an unresolved alert whose condition still holds, with other values.
    changed = (
        update(A)
        .where(
            A.c.student_id == due.c.student_id,
            A.c.kind == due.c.kind,
            unresolved,
            or_(*(A.c[name].is_distinct_from(due.c[name]) for name in kept)),
        )
        .values(
            **{name: due.c[name] for name in kept},
            version=A.c.version + 1,
            updated_at=func.now(),
        )
        .returning(*A.c)
        .cte("changed")
    )
    # Resolved: an unresolved alert of these students whose condition is gone.
    resolved = (
        update(A)
        .where(
            A.c.student_id == any_(ids),
            unresolved,
            ~exists().where(due.c.student_id == A.c.student_id, due.c.kind == A.c.kind),
        )
        .values(
            status="resolved",
            resolved_at=func.now(),
            version=A.c.version + 1,
            updated_at=func.now(),
        )
        .returning(*A.c)
        .cte("resolved")
    )
    both = union_all(select(raised), select(changed), select(resolved)).subquery("both")
    written = select(
        both,
        _utc_text(both.c.acknowledged_at).label("acknowledged_at_text"),
        _utc_text(both.c.resolved_at).label("resolved_at_text"),
    ).cte("written")
    published = OUTBOX.upserts_of(written, "alert", ALERT_EVENT_DATA).cte("published")
    # The mode back to PostgreSQL's default for the rest of the transaction (see
    # ``_lock_statement``): an uncorrelated condition, evaluated once before the
    # rows are read, even when none was written.
    reset = select(_plan_cache_mode("auto").label("mode")).scalar_subquery()
    return fastread.Prepared.of(
        select(
            written.c.id,
            written.c.student_id,
            written.c.kind,
            written.c.status,
            written.c.version,
            OUTBOX.notify().label("woken"),
        )
        .where(reset.is_not(None))
        .add_cte(published)
    )


async def lock_students(session: AsyncSession, student_ids: Sequence[int]) -> None:
    """Until the transaction ends, no other transaction rechecks these students."""
    await _lock_statement().rows(session, student_ids=list(student_ids))


async def recheck(session: AsyncSession, student_ids: Sequence[int]) -> list[Any]:
    """Raise, update and resolve the students' alerts and write their events, in one
    statement; the alerts written (id, student_id, kind, status, version)."""
    return await recheck_statement().rows(
        session, student_ids=list(student_ids), traceparent=tracing.traceparent()
    )
