"""Every query of the attendance service. Aggregates are computed in SQL, on
indexes that lead with the scope (group, trainer, student, centre) and the date.

Reads go through ``entraide_kit.fastread`` (straight on asyncpg, rows as named
tuples: a record's columns by their names, plus the labels); writes and the
reads that lock before them through the ORM."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import fastread, tracing
from entraide_kit.copies.programs import courses
from entraide_kit.copies.students import students
from entraide_kit.copies.users import user_copies
from entraide_kit.filters import Filter, ListQuery, ListSpec
from entraide_kit.pagination import PageParams
from entraide_kit.repository import Repository

from .copies import instances, sessions
from .events import OUTBOX
from .justification_repository import approved_cover
from .models import AttendanceRecord as R

S = students.table
I = instances.table  # noqa: E741
# A record's weekly template: its own, or its instance's (exactly one of the two
# is set), with the template's training course and that course's trainer.
T = sessions.table.alias("tpl")
C = courses.table.alias("tpl_course")
U = user_copies.alias("tpl_course_trainer")

#: the table the service owns
attendance_records = Repository(R)

RECORD_LIST = ListSpec(
    search_fields=[col(R.notes), S.c.first_name, S.c.last_name, S.c.exam_id],
    ordering_fields={
        "id": col(R.id),
        "date": col(R.date),
        "status": col(R.status),
        "student": col(R.student_id),
        "created_at": col(R.created_at),
        "edited_at": col(R.updated_at),
    },
    default_ordering=("-date",),
    filters={
        "date": Filter(col(R.date), kind=dt.date),
        "student": Filter(col(R.student_id), kind=int),
        "status": Filter(col(R.status), choices={"present", "absent", "late"}),
        "session_instance": Filter(col(R.session_instance_id), kind=int),
        "session_template": Filter(col(R.session_template_id), kind=int),
        "group": Filter(col(R.group_id), kind=int),
        "trainer": Filter(col(R.trainer_id), kind=int),
        "is_justified": Filter(
            col(R.is_justified),
            kind=bool,
            description="true: the absences an approved justification covers.",
        ),
    },
    tiebreaker=col(R.id),
)


def records_query() -> Select:
    """Records with their student's, instance's and template's details (one query)."""
    return (
        select(
            R,
            S.c.exam_id.label("exam_id"),
            S.c.first_name.label("first_name"),
            S.c.last_name.label("last_name"),
            S.c.email.label("email"),
            I.c.specific_date.label("specific_date"),
            I.c.effective_start_time.label("effective_start_time"),
            I.c.effective_end_time.label("effective_end_time"),
            I.c.status.label("instance_status"),
            T.c.id.label("tpl_id"),
            T.c.day.label("tpl_day"),
            T.c.start_time.label("tpl_start_time"),
            T.c.end_time.label("tpl_end_time"),
            C.c.id.label("course_id"),
            C.c.program.label("course_program"),
            C.c.program_name.label("course_program_name"),
            C.c.center_name.label("course_center_name"),
            U.c.first_name.label("course_trainer_first_name"),
            U.c.last_name.label("course_trainer_last_name"),
        )
        .outerjoin(S, S.c.id == col(R.student_id))
        .outerjoin(I, I.c.id == col(R.session_instance_id))
        .outerjoin(T, T.c.id == func.coalesce(col(R.session_template_id), I.c.schedule_template))
        .outerjoin(C, C.c.id == T.c.training_course)
        .outerjoin(U, U.c.id == C.c.trainer)
    )


def taught_by(trainer_id: int) -> ColumnElement[bool]:
    """Records whose template (or whose instance's template) has this trainer
    (needs ``records_query()``'s joins)."""
    return T.c.trainer == trainer_id  # type: ignore[no-any-return,unused-ignore]


def in_period(start: dt.date | None, end: dt.date | None) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if start is not None:
        clauses.append(col(R.date) >= start)
    if end is not None:
        clauses.append(col(R.date) <= end)
    return clauses


def by_scope(
    *, student_id: int | None = None, group_id: int | None = None, trainer_id: int | None = None
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if student_id is not None:
        clauses.append(col(R.student_id) == student_id)
    if group_id is not None:
        clauses.append(col(R.group_id) == group_id)
    if trainer_id is not None:
        clauses.append(col(R.trainer_id) == trainer_id)
    return clauses


def _counts() -> list[Any]:
    return [
        func.count().label("total"),
        func.count().filter(col(R.status) == "present").label("present"),
        func.count().filter(col(R.status) == "absent").label("absent"),
        func.count().filter(col(R.status) == "late").label("late"),
        # From the same index as the others (it includes status and is_justified).
        func.count()
        .filter(col(R.status) == "absent", col(R.is_justified).is_(True))
        .label("justified"),
    ]


async def stats(session: AsyncSession, where: Sequence[ColumnElement[bool]]) -> Any:
    """(total, present, absent, late) of the records in scope (one row, zeros for none)."""
    return (await fastread.rows(session, select(*_counts()).where(*where)))[0]


async def stats_per_student(
    session: AsyncSession, where: Sequence[ColumnElement[bool]]
) -> dict[int, Any]:
    rows = await fastread.rows(
        session, select(col(R.student_id), *_counts()).where(*where).group_by(col(R.student_id))
    )
    return {r.student_id: r for r in rows}


async def recent_per_student(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], *, limit: int = 10
) -> dict[int, list[Any]]:
    """The ``limit`` most recent records of every student in scope, in one query."""
    ranked = (
        select(
            col(R.id),
            col(R.student_id),
            col(R.date),
            col(R.status),
            col(R.notes),
            col(R.is_justified),
            func.row_number()
            .over(partition_by=col(R.student_id), order_by=(col(R.date).desc(), col(R.id).desc()))
            .label("n"),
        )
        .where(*where)
        .subquery()
    )
    rows = await fastread.rows(
        session,
        select(ranked).where(ranked.c.n <= limit).order_by(ranked.c.student_id, ranked.c.n),
    )
    out: dict[int, list[Any]] = {}
    for r in rows:
        out.setdefault(r.student_id, []).append(r)
    return out


async def students_of_group(session: AsyncSession, group_id: int) -> list[Any]:
    """The group's students (the copy's columns) with their Arabic names, by name."""
    return await fastread.rows(
        session,
        select(S, user_copies.c.arabic_first_name, user_copies.c.arabic_last_name)
        .outerjoin(user_copies, user_copies.c.id == S.c.user)
        .where(S.c.group == group_id)
        .order_by(S.c.last_name, S.c.first_name, S.c.id),
    )


async def students_by_ids(session: AsyncSession, ids: Iterable[int]) -> dict[int, Any]:
    """Students of the copy (rows of its columns) by id, in one statement."""
    wanted = {int(i) for i in ids}
    if not wanted:
        return {}
    rows = await fastread.rows(session, select(S).where(S.c.id.in_(wanted)))
    return {r.id: r for r in rows}


async def justified(session: AsyncSession, student_id: int, date: dt.date) -> bool:
    """Whether an approved justification of the student covers ``date`` (what a
    single record's ``is_justified`` is when it is an absence)."""
    found = await fastread.rows(session, select(approved_cover(student_id, date).label("covered")))
    return bool(found[0].covered)


async def instance_copy(session: AsyncSession, instance_id: int) -> Any:
    """An instance of the instances copy (a row of its columns), or None."""
    return await fastread.first(session, select(I).where(I.c.id == instance_id))


async def session_copy(session: AsyncSession, template_id: int) -> Any:
    """A template of the templates copy (a row of its columns), or None. Its centre,
    when the copy has none (a template learnt from schedule's answer, which shows
    no centre id), is its training course's."""
    table = sessions.table
    course = courses.table
    stmt = (
        select(
            *(c for c in table.c if c.name != "center"),
            func.coalesce(table.c.center, course.c.center).label("center"),
        )
        .select_from(table.outerjoin(course, course.c.id == table.c.training_course))
        .where(table.c.id == template_id)
    )
    return await fastread.first(session, stmt)


async def day_counts(session: AsyncSession, where: Sequence[ColumnElement[bool]]) -> list[Any]:
    return await fastread.rows(
        session,
        select(col(R.date), *_counts()).where(*where).group_by(col(R.date)).order_by(col(R.date)),
    )


async def report_records(session: AsyncSession, where: Sequence[ColumnElement[bool]]) -> list[Any]:
    return await fastread.rows(
        session,
        select(
            col(R.id),
            col(R.date),
            col(R.student_id),
            col(R.status),
            col(R.is_justified),
            I.c.effective_start_time,
            I.c.effective_end_time,
            col(R.session_instance_id),
        )
        .outerjoin(I, I.c.id == col(R.session_instance_id))
        .where(*where)
        .order_by(col(R.date), col(R.id)),
    )


async def record_page(
    session: AsyncSession, params: PageParams, stmt: Select[Any], query: ListQuery
) -> tuple[int, list[Any]]:
    """(count, a page of ``records_query()`` rows), the list's query applied."""
    return await fastread.page(session, RECORD_LIST.apply(stmt, query), params)


async def get_row(session: AsyncSession, record_id: int, *where: Any) -> Any:
    """A record with its details (``records_query()``), if ``where`` lets it be seen."""
    return await fastread.first(session, records_query().where(col(R.id) == record_id, *where))


async def rows(session: AsyncSession, *where: Any) -> list[Any]:
    """Records with their details, most recent first."""
    stmt = records_query().where(*where).order_by(col(R.date).desc(), col(R.id))
    return await fastread.rows(session, stmt)


async def lock_record(session: AsyncSession, record_id: int, *where: Any) -> R | None:
    """The record, locked until the transaction ends, if ``where`` (a scope on its
    own columns) lets it be seen (one statement)."""
    stmt = select(R).where(col(R.id) == record_id, *where).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


# Payload field -> column of the upserted rows: the record's event, built in SQL.
_EVENT_DATA = {
    "id": "id",
    "date": "date",
    "student": "student_id",
    "session_template": "session_template_id",
    "session_instance": "session_instance_id",
    "status": "status",
    "group": "group_id",
    "trainer": "trainer_id",
    "center": "center_id",
    "is_justified": "is_justified",
}


@cache
def _bulk_statement(session_column: str) -> fastread.Prepared:
    """A class list in one statement, compiled once: the entries (one array per
    field, so the text is the same for any number of records) of students of
    the copy in the session's group (any, for a session without one) upserted,
    an outbox row per record written and the relay woken; the saved rows come
    back in the entries' order. No event is built in Python (issue 18)."""
    entries = (
        func.unnest(
            bindparam("student_ids", type_=ARRAY(Integer)),
            bindparam("statuses", type_=ARRAY(String)),
            bindparam("notes", type_=ARRAY(Text)),
        )
        .table_valued("student_id", "status", "notes", with_ordinality="n")
        .render_derived()
    )
    given = select(entries).cte("entries")
    group = bindparam("group_id", type_=Integer)
    date = bindparam("date", type_=Date)
    # An absence on a day an approved justification of the student covers is
    # justified when written (issue 20): an EXISTS on justifications'
    # (student_id, date_from) index, inside this one statement.
    justified = and_(given.c.status == "absent", approved_cover(given.c.student_id, date))
    members = (
        select(
            date,
            given.c.student_id,
            bindparam("session_template_id", type_=Integer),
            bindparam("session_instance_id", type_=Integer),
            given.c.status,
            given.c.notes,
            group,
            bindparam("trainer_id", type_=Integer),
            bindparam("center_id", type_=Integer),
            justified.label("is_justified"),
        )
        .select_from(given.join(S, S.c.id == given.c.student_id))
        .where(or_(group.is_(None), S.c.group == group))
    )
    names = [
        "date",
        "student_id",
        "session_template_id",
        "session_instance_id",
        "status",
        "notes",
        "group_id",
        "trainer_id",
        "center_id",
        "is_justified",
    ]
    table = R.__table__  # type: ignore[attr-defined,unused-ignore]
    # The database's defaults (version 1, timestamps now()): nothing is computed
    # in Python per call of the compiled statement.
    stmt = insert(table).from_select(names, members, include_defaults=False)
    saved = (
        stmt.on_conflict_do_update(
            index_elements=["student_id", session_column, "date"],
            index_where=col(getattr(R, session_column)).is_not(None),
            set_={
                "status": stmt.excluded.status,
                "notes": stmt.excluded.notes,
                "is_justified": stmt.excluded.is_justified,
                "version": col(R.version) + 1,
                "updated_at": func.now(),
            },
        )
        .returning(
            col(R.id),
            col(R.date),
            col(R.student_id),
            col(R.status),
            col(R.notes),
            col(R.version),
            col(R.session_template_id),
            col(R.session_instance_id),
            col(R.group_id),
            col(R.trainer_id),
            col(R.center_id),
            col(R.is_justified),
            (literal_column("xmax") == 0).label("inserted"),
            # PostgreSQL 18's OLD in RETURNING: whether the marks alerts depend on
            # moved (a new record: its OLD is all null), so a class list entered
            # again as it was rechecks no alert.
            literal_column(
                "old.status IS DISTINCT FROM new.status"
                " OR old.is_justified IS DISTINCT FROM new.is_justified"
            ).label("marks_changed"),
        )
        .cte("saved")
    )
    published = OUTBOX.upserts_of(saved, "record", _EVENT_DATA).cte("published")
    return fastread.Prepared.of(
        select(*(c for c in saved.c), OUTBOX.notify().label("woken"))
        .select_from(saved.join(given, given.c.student_id == saved.c.student_id))
        .add_cte(published)
        .order_by(given.c.n)
    )


async def upsert_class_list(
    session: AsyncSession,
    entries: Sequence[tuple[int, str, str]],
    *,
    date: dt.date,
    template_id: int | None,
    instance_id: int | None,
    group_id: int | None,
    trainer_id: int | None,
    center_id: int | None,
) -> list[Any]:
    """Insert or update a session's records for the ``(student, status, notes)``
    entries whose student the copy knows in the session's group, and write their
    events, in one statement; (id, ..., inserted) rows. Entries that are not
    saved are the caller's to explain."""
    if not entries:
        return []
    statement = _bulk_statement(
        "session_instance_id" if instance_id is not None else "session_template_id"
    )
    return await statement.rows(
        session,
        student_ids=[e[0] for e in entries],
        statuses=[e[1] for e in entries],
        notes=[e[2] for e in entries],
        date=date,
        session_template_id=template_id,
        session_instance_id=instance_id,
        group_id=group_id,
        trainer_id=trainer_id,
        center_id=center_id,
        traceparent=tracing.traceparent(),
    )


async def follow_instance(
    session: AsyncSession, instance_id: int, values: dict[str, Any]
) -> list[Any]:
    """Keep the scope columns of an instance's records current when the instance
    changes: the records whose values differ get them, a new version and
    ``updated_at``; those rows come back (for their events)."""
    differs = or_(*(getattr(R, name).is_distinct_from(value) for name, value in values.items()))
    result = await session.execute(
        update(R)
        .where(col(R.session_instance_id) == instance_id, differs)
        .values(**values, version=col(R.version) + 1, updated_at=func.now())
        .returning(
            col(R.id),
            col(R.date),
            col(R.student_id),
            col(R.session_template_id),
            col(R.session_instance_id),
            col(R.status),
            col(R.group_id),
            col(R.trainer_id),
            col(R.center_id),
            col(R.is_justified),
            col(R.version),
        )
    )
    return list(result.all())
