"""Every query of the schedule service.

Reads go through ``entraide_kit.fastread`` (straight on asyncpg, rows as named
tuples: a template's or an instance's columns by their names, plus the labels
of the copies' names); writes and the reads that precede them (locks) through
the ORM."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from entraide_kit import fastread
from entraide_kit.copies.centers import centers, groups, rooms
from entraide_kit.copies.programs import courses
from entraide_kit.copies.users import user_copies
from entraide_kit.filters import Filter, ListQuery, ListSpec
from entraide_kit.pagination import PageParams
from entraide_kit.repository import Repository

from .models import DAYS, STATUSES, ScheduleSession, SessionInstance

_trainer = user_copies.alias("trainer_copy")
_room = rooms.table.alias("room_copy")
_group = groups.table.alias("group_copy")
_course = courses.table.alias("course_copy")

S = ScheduleSession
I = SessionInstance  # noqa: E741 - the instance table, as S is the template's

#: the two tables the service owns
templates = Repository(ScheduleSession)
instances = Repository(SessionInstance)

# Monday first: the position of a template's day in the week (0..6).
DAY_INDEX = case({d: i for i, d in enumerate(DAYS)}, value=col(S.day))

# An instance's effective values: its own when set, else its template's.
effective_start = func.coalesce(col(I.custom_start_time), col(S.start_time))
effective_end = func.coalesce(col(I.custom_end_time), col(S.end_time))
effective_trainer = func.coalesce(col(I.custom_trainer_id), col(S.trainer_id))
effective_room = func.coalesce(col(I.custom_room_id), col(S.room_id))


def _names() -> list[Any]:
    """The copies' columns a template or an instance is shown with."""
    return [
        _trainer.c.id.label("trainer_known"),
        _trainer.c.first_name.label("trainer_first_name"),
        _trainer.c.last_name.label("trainer_last_name"),
        _trainer.c.email.label("trainer_email"),
        _room.c.id.label("room_known"),
        _room.c.name.label("room_name"),
        _room.c.type.label("room_type"),
        _room.c.capacity.label("room_capacity"),
        _group.c.id.label("group_known"),
        _group.c.name.label("group_name"),
        _group.c.description.label("group_description"),
        _course.c.id.label("course_known"),
        _course.c.program_name.label("program_name"),
        _course.c.program_duration_years.label("program_duration_years"),
        _course.c.center_name.label("center_name"),
        _course.c.academic_year.label("course_academic_year"),
    ]


def sessions_query() -> Select[Any]:
    """Templates with everything their read shape shows, from the copies (one query)."""
    return (
        select(S, *_names())
        .outerjoin(_trainer, _trainer.c.id == col(S.trainer_id))
        .outerjoin(_room, _room.c.id == col(S.room_id))
        .outerjoin(_group, _group.c.id == col(S.group_id))
        .outerjoin(_course, _course.c.id == col(S.training_course_id))
    )


def instances_query() -> Select[Any]:
    """Instances with their template's values they show, effective values and the
    copies' names (one query; the instance's columns by their names)."""
    return (
        select(
            I,
            col(S.group_id).label("group_id"),
            col(S.center_id).label("center_id"),
            col(S.training_course_id).label("training_course_id"),
            col(S.academic_year).label("academic_year"),
            effective_start.label("effective_start_time"),
            effective_end.label("effective_end_time"),
            effective_trainer.label("effective_trainer_id"),
            effective_room.label("effective_room_id"),
            *_names(),
        )
        .join(S, col(S.id) == col(I.schedule_template_id))
        .outerjoin(_trainer, _trainer.c.id == effective_trainer)
        .outerjoin(_room, _room.c.id == effective_room)
        .outerjoin(_group, _group.c.id == col(S.group_id))
        .outerjoin(_course, _course.c.id == col(S.training_course_id))
    )


def _trainer_named(pattern: str) -> ColumnElement[bool]:
    return or_(
        _trainer.c.first_name.ilike(pattern, escape="\\"),
        _trainer.c.last_name.ilike(pattern, escape="\\"),
    )


SESSION_LIST = ListSpec(
    search_fields=[
        _trainer_named,
        _room.c.name,
        _group.c.name,
        _course.c.program_name,
        _course.c.center_name,
    ],
    ordering_fields={
        "id": col(S.id),
        "day": DAY_INDEX,
        "start_time": col(S.start_time),
        "end_time": col(S.end_time),
        "academic_year": col(S.academic_year),
        "is_active": col(S.is_active),
        "created_at": col(S.created_at),
        "updated_at": col(S.updated_at),
    },
    default_ordering=("day", "start_time"),
    filters={
        "day": Filter(col(S.day), choices=DAYS),
        "academic_year": Filter(col(S.academic_year)),
        "is_active": Filter(col(S.is_active), kind=bool),
        "trainer": Filter(col(S.trainer_id), kind=int),
        "room": Filter(col(S.room_id), kind=int),
        "group": Filter(col(S.group_id), kind=int),
        "training_course": Filter(col(S.training_course_id), kind=int),
        "center": Filter(col(S.center_id), kind=int),
    },
    tiebreaker=col(S.id),
)

INSTANCE_LIST = ListSpec(
    search_fields=[col(I.notes), _trainer_named, _course.c.program_name, _group.c.name],
    ordering_fields={
        "id": col(I.id),
        "specific_date": col(I.specific_date),
        "effective_start_time": effective_start,
        "start_time": effective_start,
        "status": col(I.status),
        "created_at": col(I.created_at),
        "updated_at": col(I.updated_at),
    },
    default_ordering=("specific_date", "effective_start_time"),
    filters={
        "schedule_template": Filter(col(I.schedule_template_id), kind=int),
        "specific_date": Filter(col(I.specific_date), kind=dt.date),
        "start_date": Filter(None, kind=dt.date, build=lambda v: col(I.specific_date) >= v),
        "end_date": Filter(None, kind=dt.date, build=lambda v: col(I.specific_date) <= v),
        "status": Filter(col(I.status), choices=STATUSES),
        "trainer": Filter(None, kind=int, build=lambda v: effective_trainer == v),
        "room": Filter(None, kind=int, build=lambda v: effective_room == v),
        "group": Filter(col(S.group_id), kind=int),
        "center": Filter(col(S.center_id), kind=int),
        "academic_year": Filter(col(S.academic_year)),
        "training_course": Filter(col(S.training_course_id), kind=int),
    },
    tiebreaker=col(I.id),
)


# ------------------------------------------------------------------ templates


async def session_page(
    session: AsyncSession, params: PageParams, query: ListQuery
) -> tuple[int, list[Any]]:
    """(count, a page of ``sessions_query()`` rows), the list's query applied."""
    return await fastread.page(session, SESSION_LIST.apply(sessions_query(), query), params)


async def session_row(session: AsyncSession, session_id: int) -> Any:
    return await fastread.first(session, sessions_query().where(col(S.id) == session_id))


async def session_rows(session: AsyncSession, *where: Any) -> list[Any]:
    stmt = sessions_query().where(*where).order_by(DAY_INDEX, col(S.start_time), col(S.id))
    return await fastread.rows(session, stmt)


def active_templates(
    *,
    center_id: int | None = None,
    academic_year: str | None = None,
    scope: Any | None = None,
) -> list[ColumnElement[bool]]:
    """Active templates, optionally of one centre (their training course's), of one
    academic year, and within a scope (a subquery of centre ids)."""
    where: list[ColumnElement[bool]] = [col(S.is_active).is_(True)]
    if center_id is not None:
        where.append(col(S.center_id) == center_id)
    if academic_year is not None:
        where.append(col(S.academic_year) == academic_year)
    if scope is not None:
        where.append(col(S.center_id).in_(scope))
    return where


async def trainers_teaching(session: AsyncSession, where: Sequence[Any]) -> list[Any]:
    """The users (from the copy) who are the trainer of at least one of these templates,
    by name (one statement; a trainer the copy does not know is left out)."""
    teaching = select(col(S.trainer_id)).where(*where)
    stmt = (
        select(user_copies)
        .where(user_copies.c.id.in_(teaching))
        .order_by(user_copies.c.first_name, user_copies.c.last_name, user_copies.c.id)
    )
    return await fastread.rows(session, stmt)


async def groups_taught(session: AsyncSession, where: Sequence[Any]) -> list[Any]:
    """The groups (from the copy) of at least one of these templates, by name (one
    statement; a group the copy does not know is left out)."""
    taught = select(col(S.group_id)).where(col(S.group_id).is_not(None), *where)
    stmt = (
        select(groups.table)
        .where(groups.table.c.id.in_(taught))
        .order_by(groups.table.c.name, groups.table.c.id)
    )
    return await fastread.rows(session, stmt)


async def template_conflicts(
    session: AsyncSession,
    *,
    academic_year: str,
    day: str,
    start: dt.time,
    end: dt.time,
    trainer_id: int | None,
    room_id: int | None,
    group_id: int | None,
    exclude_id: int | None = None,
) -> list[Any]:
    """Active templates of that year and day overlapping [start, end) that share the
    trainer, the room or the group (rows of ``sessions_query``)."""
    shared = [
        col(column) == value
        for column, value in (
            (S.trainer_id, trainer_id),
            (S.room_id, room_id),
            (S.group_id, group_id),
        )
        if value is not None
    ]
    if not shared:
        return []
    stmt = sessions_query().where(
        col(S.is_active),
        col(S.academic_year) == academic_year,
        col(S.day) == day,
        col(S.start_time) < end,
        col(S.end_time) > start,
        or_(*shared),
    )
    if exclude_id is not None:
        stmt = stmt.where(col(S.id) != exclude_id)
    return await fastread.rows(session, stmt.order_by(col(S.start_time), col(S.id)))


async def instance_ids_of(
    session: AsyncSession, template_ids: Sequence[int]
) -> list[tuple[int, int]]:
    """(id, version) of the templates' instances (to publish their deletion)."""
    if not template_ids:
        return []
    rows = await session.execute(
        select(col(I.id), col(I.version)).where(col(I.schedule_template_id).in_(template_ids))
    )
    return [(int(r[0] or 0), int(r[1])) for r in rows]


async def instances_of(session: AsyncSession, template_ids: Sequence[int]) -> list[SessionInstance]:
    if not template_ids:
        return []
    rows = await session.execute(
        select(I)
        .where(col(I.schedule_template_id).in_(template_ids))
        .order_by(col(I.id))
        .with_for_update()
    )
    return list(rows.scalars())


async def sessions_of_course(session: AsyncSession, course_id: int) -> list[ScheduleSession]:
    rows = await session.execute(
        select(S)
        .where(col(S.training_course_id) == course_id)
        .order_by(col(S.id))
        .with_for_update()
    )
    return list(rows.scalars())


# ------------------------------------------------------------------ instances


async def instance_page(
    session: AsyncSession, params: PageParams, query: ListQuery
) -> tuple[int, list[Any]]:
    """(count, a page of ``instances_query()`` rows), the list's query applied."""
    return await fastread.page(session, INSTANCE_LIST.apply(instances_query(), query), params)


async def instance_row(session: AsyncSession, instance_id: int) -> Any:
    return await fastread.first(session, instances_query().where(col(I.id) == instance_id))


async def instance_rows(session: AsyncSession, *where: Any) -> list[Any]:
    stmt = (
        instances_query().where(*where).order_by(col(I.specific_date), effective_start, col(I.id))
    )
    return await fastread.rows(session, stmt)


async def center_supervisors(session: AsyncSession, center_ids: Iterable[int]) -> dict[int, Any]:
    """The supervisor (a user id, or None) of each of these centres the copy knows."""
    table = centers.table
    wanted = set(center_ids)
    if not wanted:
        return {}
    stmt = select(table.c.id, table.c.supervisor).where(table.c.id.in_(wanted))
    return {r.id: r.supervisor for r in await fastread.rows(session, stmt)}


async def user_row(session: AsyncSession, user_id: int) -> Any:
    """A user of the users copy (a row of its columns), or None."""
    return await fastread.first(session, select(user_copies).where(user_copies.c.id == user_id))


async def group_row(session: AsyncSession, group_id: int) -> Any:
    """A group of the groups copy (a row of its columns), or None."""
    return await fastread.first(session, select(groups.table).where(groups.table.c.id == group_id))


async def taken_date(
    session: AsyncSession, template_id: int, day: dt.date, exclude_id: int | None
) -> bool:
    """Whether the template already has an instance on that date (another than this one)."""
    stmt = select(col(I.id)).where(
        col(I.schedule_template_id) == template_id, col(I.specific_date) == day
    )
    if exclude_id is not None:
        stmt = stmt.where(col(I.id) != exclude_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def lock_date(session: AsyncSession, day: dt.date) -> None:
    """Serialise the instance writes of one date (their conflict checks are not a
    constraint); released at commit."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, :key)"),
        {"space": 0x5C4ED, "key": day.toordinal()},
    )


async def instance_conflicts(
    session: AsyncSession,
    *,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    trainer_id: int | None,
    room_id: int | None,
    group_id: int | None,
    academic_year: str,
    exclude_instance: int | None,
    exclude_template: int | None,
) -> list[Any]:
    """What already occupies [start, end) on that date with the same trainer, room or
    group: the date's instances that are not cancelled, and the active templates of
    that weekday whose instance for the date is not generated yet."""
    weekday = DAYS[day.weekday()]
    busy_instances: Select = (
        select(
            col(I.id).label("instance_id"),
            col(S.id).label("template_id"),
            effective_start.label("start_time"),
            effective_end.label("end_time"),
            effective_trainer.label("trainer_id"),
            effective_room.label("room_id"),
            col(S.group_id).label("group_id"),
        )
        .join(S, col(S.id) == col(I.schedule_template_id))
        .where(col(I.specific_date) == day, col(I.status) != "cancelled")
    )
    if exclude_instance is not None:
        busy_instances = busy_instances.where(col(I.id) != exclude_instance)
    pending: Select = select(
        null().label("instance_id"),
        col(S.id).label("template_id"),
        col(S.start_time).label("start_time"),
        col(S.end_time).label("end_time"),
        col(S.trainer_id).label("trainer_id"),
        col(S.room_id).label("room_id"),
        col(S.group_id).label("group_id"),
    ).where(
        col(S.is_active),
        col(S.day) == weekday,
        col(S.academic_year) == academic_year,
        ~exists().where(col(I.schedule_template_id) == col(S.id), col(I.specific_date) == day),
    )
    if exclude_template is not None:
        pending = pending.where(col(S.id) != exclude_template)
    busy = union_all(busy_instances, pending).subquery("busy")
    shared = [
        busy.c[name] == value
        for name, value in (
            ("trainer_id", trainer_id),
            ("room_id", room_id),
            ("group_id", group_id),
        )
        if value is not None
    ]
    if not shared:
        return []
    stmt = (
        select(
            busy,
            _trainer.c.first_name.label("trainer_first_name"),
            _trainer.c.last_name.label("trainer_last_name"),
            _room.c.name.label("room_name"),
            _group.c.name.label("group_name"),
        )
        .outerjoin(_trainer, _trainer.c.id == busy.c.trainer_id)
        .outerjoin(_room, _room.c.id == busy.c.room_id)
        .outerjoin(_group, _group.c.id == busy.c.group_id)
        .where(busy.c.start_time < end, busy.c.end_time > start, or_(*shared))
        .order_by(busy.c.start_time, busy.c.template_id)
    )
    return list((await session.execute(stmt)).all())


async def generate_week(
    session: AsyncSession, *, monday: dt.date, academic_year: str, scope: Any | None
) -> list[Any]:
    """Create the week's instance of every active template of the year, in one statement
    (``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING``); returns only the
    instances it created, each with its template's values."""
    source = select(
        col(S.id), cast(literal(monday, Date) + DAY_INDEX, Date).label("specific_date")
    ).where(col(S.is_active), col(S.academic_year) == academic_year)
    if scope is not None:
        source = source.where(col(S.center_id).in_(scope))
    table = SessionInstance.__table__  # type: ignore[attr-defined,unused-ignore]
    created = (
        pg_insert(table)
        .from_select(["schedule_template_id", "specific_date"], source)
        .on_conflict_do_nothing(constraint="uq_session_instances_template_date")
        .returning(
            table.c.id,
            table.c.schedule_template_id,
            table.c.specific_date,
            table.c.status,
            table.c.version,
        )
        .cte("created")
    )
    stmt = (
        select(
            created,
            col(S.start_time),
            col(S.end_time),
            col(S.trainer_id),
            col(S.room_id),
            col(S.group_id),
            col(S.center_id),
        )
        .join(S, col(S.id) == created.c.schedule_template_id)
        .order_by(created.c.specific_date, col(S.start_time), created.c.id)
    )
    return list((await session.execute(stmt)).all())


async def week_rows(
    session: AsyncSession,
    *,
    start: dt.date,
    end: dt.date,
    academic_year: str,
    center_id: int | None,
) -> list[Any]:
    where = [
        col(I.specific_date) >= start,
        col(I.specific_date) <= end,
        col(S.academic_year) == academic_year,
    ]
    if center_id is not None:
        where.append(col(S.center_id) == center_id)
    return await instance_rows(session, *where)


def timetable_of_trainer(trainer_id: int, start: dt.date, end: dt.date) -> list[Any]:
    return [
        effective_trainer == trainer_id,
        col(I.specific_date) >= start,
        col(I.specific_date) <= end,
    ]


def timetable_of_group(group_id: int, start: dt.date, end: dt.date) -> list[Any]:
    return [
        col(S.group_id) == group_id,
        col(I.specific_date) >= start,
        col(I.specific_date) <= end,
    ]


# ------------------------------------------------------------------ writes


def touch(obj: SQLModel, values: dict[str, Any]) -> None:
    """Apply changes and bump ``version`` and ``updated_at``, without flushing (the caller
    flushes once for many records, or inside its savepoint)."""
    for key, value in values.items():
        setattr(obj, key, value)
    obj.version += 1  # type: ignore[attr-defined,unused-ignore]
    obj.updated_at = dt.datetime.now(dt.UTC)  # type: ignore[attr-defined,unused-ignore]
