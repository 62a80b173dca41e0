"""Every query of the students service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import fastread
from entraide_kit.copies.centers import centers, groups
from entraide_kit.copies.profiles import PROFILE_FIELDS, profiles
from entraide_kit.copies.programs import programs
from entraide_kit.copies.users import FIELDS as USER_FIELDS
from entraide_kit.copies.users import UserCopy, user_copies
from entraide_kit.filters import Filter, ListQuery, ListSpec
from entraide_kit.pagination import PageParams
from entraide_kit.repository import Repository

from .copies import sessions, taught_groups
from .models import Student

_center = centers.table
_group = groups.table
_program = programs.table
_profile = profiles.table

# The table this service owns.
students = Repository(Student)

STUDENT_LIST = ListSpec(
    search_fields=[
        col(Student.exam_id),
        col(Student.center_code),
        user_copies.c.first_name,
        user_copies.c.last_name,
        user_copies.c.email,
    ],
    ordering_fields={
        "id": col(Student.id),
        "exam_id": col(Student.exam_id),
        "academic_year": col(Student.academic_year),
        "joining_date": col(Student.joining_date),
        "created_at": col(Student.created_at),
        "updated_at": col(Student.updated_at),
        "first_name": user_copies.c.first_name,
        "last_name": user_copies.c.last_name,
    },
    default_ordering=("id",),
    filters={
        "center": Filter(col(Student.center_id), kind=int),
        "program": Filter(col(Student.program_id), kind=int),
        "group": Filter(col(Student.group_id), kind=int),
        "training_course": Filter(col(Student.training_course_id), kind=int),
        "academic_year": Filter(col(Student.academic_year)),
        "id__in": Filter(
            col(Student.id),
            build=lambda value: col(Student.id).in_(_ids(value)),
            description="Only these students: ids separated by commas (at most 100).",
        ),
    },
    tiebreaker=col(Student.id),
)


def _ids(value: str) -> list[int]:
    """``1,2,3`` as ids; what is not a whole number is left out."""
    parts = (p.strip() for p in str(value).split(","))
    return [int(p) for p in parts if p.isdigit() and len(p) < 10][:100]


def students_query() -> Select:
    """Students with their user's names and the names of what they belong to (one query)."""
    return (
        select(
            Student,
            user_copies.c.email.label("email"),
            user_copies.c.first_name.label("first_name"),
            user_copies.c.last_name.label("last_name"),
            user_copies.c.is_active.label("is_active"),
            _center.c.name.label("center_name"),
            _program.c.name.label("program_name"),
            _group.c.name.label("group_name"),
        )
        .outerjoin(user_copies, user_copies.c.id == col(Student.user_id))
        .outerjoin(_center, _center.c.id == col(Student.center_id))
        .outerjoin(_program, _program.c.id == col(Student.program_id))
        .outerjoin(_group, _group.c.id == col(Student.group_id))
    )


# Reads (GET answers, and the answers of writes once flushed) run on asyncpg
# (``entraide_kit.fastread``): rows are flat named tuples, the student's columns
# (``row.id``, ``row.center_id``...) beside the labels of ``students_query()``.


async def page_rows(
    session: AsyncSession, params: PageParams, stmt: Select, query: ListQuery
) -> tuple[int, list[Any]]:
    """(count, the page's rows) of ``stmt`` with the list's filters, in one statement."""
    return await fastread.page(session, STUDENT_LIST.apply(stmt, query), params)


async def get_row(session: AsyncSession, student_id: int) -> Any:
    """One ``students_query()`` row, with its centre's supervisor (``center_supervisor``,
    None without a centre in the copy), or None."""
    await session.flush()  # a write's answer reads what it wrote
    stmt = students_query().add_columns(_center.c.supervisor.label("center_supervisor"))
    return await fastread.first(session, stmt.where(col(Student.id) == student_id))


async def users_with_profiles(
    session: AsyncSession, user_ids: Sequence[int]
) -> dict[int, tuple[UserCopy, dict[str, Any] | None]]:
    """Many users from the copy, each with its profile's copy (None without one), in
    one statement."""
    wanted = {int(i) for i in user_ids if i is not None}
    if not wanted:
        return {}
    stmt = (
        select(
            user_copies,
            _profile.c.id.label("profile_id"),
            *(_profile.c[name] for name in PROFILE_FIELDS),
        )
        .outerjoin(_profile, _profile.c.id == user_copies.c.id)
        .where(user_copies.c.id.in_(wanted))
    )
    found: dict[int, tuple[UserCopy, dict[str, Any] | None]] = {}
    for r in await fastread.rows(session, stmt):
        user = UserCopy(id=r.id, **{name: getattr(r, name) for name in USER_FIELDS})
        profile = (
            {name: getattr(r, name) for name in PROFILE_FIELDS}
            if r.profile_id is not None
            else None
        )
        found[r.id] = (user, profile)
    return found


async def by_user(session: AsyncSession, user_id: int) -> Student | None:
    stmt = select(Student).where(col(Student.user_id) == user_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def taken(
    session: AsyncSession, *, exam_ids: Sequence[str], cin_ids: Sequence[str]
) -> tuple[set[str], set[str]]:
    """Which of these exam ids and CINs existing students already have (two queries)."""
    exams: set[str] = set()
    cins: set[str] = set()
    if exam_ids:
        rows = await session.execute(
            select(col(Student.exam_id)).where(col(Student.exam_id).in_(exam_ids))
        )
        exams = {r[0] for r in rows}
    if cin_ids:
        rows = await session.execute(
            select(col(Student.cin_id)).where(col(Student.cin_id).in_(cin_ids))
        )
        cins = {r[0] for r in rows if r[0]}
    return exams, cins


async def next_exam_numbers(session: AsyncSession, count: int) -> list[int]:
    rows = await session.execute(
        text("SELECT nextval('exam_id_seq') FROM generate_series(1, :n)"), {"n": count}
    )
    return [int(r[0]) for r in rows]


async def teaches(session: AsyncSession, trainer_id: int, group_id: int | None) -> bool:
    """Whether the trainer has an active weekly template with this group."""
    if group_id is None:
        return False
    stmt = taught_groups(trainer_id).where(sessions.table.c.group_id == group_id)
    return await fastread.first(session, stmt) is not None


async def next_center_numbers(session: AsyncSession, center_id: int, count: int) -> list[int]:
    """The next ``count`` numbers of the centre's exam id sequence. The counter row is
    locked until the transaction ends, so two creates in one centre never get the same
    number; a centre's first counter starts after the students it already has."""
    row = await session.execute(
        text(
            "INSERT INTO exam_id_counters AS c (center_id, last) "
            "VALUES (:c, (SELECT count(*) FROM students WHERE center_id = :c) + :n) "
            "ON CONFLICT (center_id) DO UPDATE SET last = c.last + :n RETURNING c.last"
        ),
        {"c": center_id, "n": count},
    )
    last = int(row.scalar_one())
    return list(range(last - count + 1, last + 1))


async def supervised_center_ids(session: AsyncSession, user_id: int, *, limit: int) -> list[int]:
    """Up to ``limit`` ids of the centres the user supervises (in the copy)."""
    rows = await session.execute(
        _center.select().where(_center.c.supervisor == user_id).limit(limit)
    )
    return [int(r.id) for r in rows]
