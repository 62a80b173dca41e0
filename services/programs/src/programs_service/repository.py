"""Every query of the programs service."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, delete, exists, insert, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from entraide_kit import fastread
from entraide_kit.copies.centers import centers, groups
from entraide_kit.copies.profiles import profiles
from entraide_kit.copies.users import user_copies
from entraide_kit.filters import Filter, ListQuery, ListSpec
from entraide_kit.pagination import PageParams
from entraide_kit.repository import Repository

from .models import (
    AnnualDistribution,
    Program,
    Teacher,
    TeacherGroup,
    TrainingCourse,
    WeeklyPlan,
)

center_copies = centers.table
group_copies = groups.table

CONTRACTS = {"entraide", "association"}

# The tables this service owns.
programs = Repository(Program)
distributions = Repository(AnnualDistribution)
weekly_plans = Repository(WeeklyPlan)
courses = Repository(TrainingCourse)
teachers = Repository(Teacher)


def _stamps(model: Any) -> dict[str, Any]:
    return {n: col(getattr(model, n)) for n in ("id", "created_at", "updated_at")}


PROGRAM_LIST = ListSpec(
    search_fields=[col(Program.name), col(Program.description)],
    ordering_fields={
        **_stamps(Program),
        "name": col(Program.name),
        "duration_years": col(Program.duration_years),
    },
    default_ordering=("name",),
    filters={
        "name": Filter(col(Program.name)),
        "duration_years": Filter(col(Program.duration_years), kind=int),
    },
    tiebreaker=col(Program.id),
)

DISTRIBUTION_LIST = ListSpec(
    search_fields=[col(Program.name), col(AnnualDistribution.academic_year)],
    ordering_fields={
        **_stamps(AnnualDistribution),
        "academic_year": col(AnnualDistribution.academic_year),
        "programe": col(Program.name),
        "programe__name": col(Program.name),
    },
    default_ordering=("-academic_year", "programe"),
    filters={
        "programe": Filter(col(AnnualDistribution.program_id), kind=int),
        "academic_year": Filter(col(AnnualDistribution.academic_year)),
        "trainer": Filter(col(AnnualDistribution.trainer_id), kind=int),
    },
    tiebreaker=col(AnnualDistribution.id),
)

WEEKLY_PLAN_LIST = ListSpec(
    search_fields=[col(WeeklyPlan.title), col(WeeklyPlan.description)],
    ordering_fields={
        **_stamps(WeeklyPlan),
        "month": col(WeeklyPlan.month),
        "week_number": col(WeeklyPlan.week_number),
        "title": col(WeeklyPlan.title),
        "academic_year": col(AnnualDistribution.academic_year),
    },
    default_ordering=("month", "week_number"),
    filters={
        "annual_distribution": Filter(col(WeeklyPlan.annual_distribution_id), kind=int),
        "programe": Filter(col(AnnualDistribution.program_id), kind=int),
        "academic_year": Filter(col(AnnualDistribution.academic_year)),
        "month": Filter(col(WeeklyPlan.month), kind=int),
        "week_number": Filter(col(WeeklyPlan.week_number), kind=int),
        "trainer": Filter(col(WeeklyPlan.trainer_id), kind=int),
    },
    tiebreaker=col(WeeklyPlan.id),
)

COURSE_LIST = ListSpec(
    search_fields=[
        col(Program.name),
        center_copies.c.name,
        user_copies.c.first_name,
        user_copies.c.last_name,
        col(TrainingCourse.academic_year),
    ],
    ordering_fields={
        **_stamps(TrainingCourse),
        "academic_year": col(TrainingCourse.academic_year),
        "program": col(Program.name),
        "program__name": col(Program.name),
        "center": center_copies.c.name,
        "center__name": center_copies.c.name,
    },
    default_ordering=("-academic_year", "program"),
    filters={
        "program": Filter(col(TrainingCourse.program_id), kind=int),
        "center": Filter(col(TrainingCourse.center_id), kind=int),
        "trainer": Filter(col(TrainingCourse.trainer_id), kind=int),
        "academic_year": Filter(col(TrainingCourse.academic_year)),
    },
    tiebreaker=col(TrainingCourse.id),
)


def _in_group(group_id: int) -> ColumnElement[bool]:
    return exists().where(
        col(TeacherGroup.teacher_id) == col(Teacher.id), col(TeacherGroup.group_id) == group_id
    )


TEACHER_LIST = ListSpec(
    search_fields=[
        user_copies.c.first_name,
        user_copies.c.last_name,
        user_copies.c.email,
        center_copies.c.name,
        col(Program.name),
    ],
    ordering_fields={
        **_stamps(Teacher),
        "first_name": user_copies.c.first_name,
        "last_name": user_copies.c.last_name,
        "contract_start_date": col(Teacher.contract_start_date),
        "contract_end_date": col(Teacher.contract_end_date),
    },
    default_ordering=("last_name", "first_name"),
    filters={
        "center": Filter(col(Teacher.center_id), kind=int),
        "program": Filter(col(Teacher.program_id), kind=int),
        "user": Filter(col(Teacher.user_id), kind=int),
        "contract_with": Filter(col(Teacher.contract_with), choices=CONTRACTS),
        "group": Filter(None, kind=int, build=_in_group),
    },
    tiebreaker=col(Teacher.id),
)


# ------------------------------------------------------------------ reads with their joins
# Each read is one query: the nested objects come from joins, never one query per row.

CENTER_COLUMNS = [
    center_copies.c.id.label("center_ref"),
    center_copies.c.name.label("center_name"),
    center_copies.c.city.label("center_city"),
    center_copies.c.supervisor.label("center_supervisor"),
    center_copies.c.is_active.label("center_is_active"),
]
TRAINER_COLUMNS = [
    user_copies.c.id.label("trainer_ref"),
    user_copies.c.email.label("trainer_email"),
    user_copies.c.username.label("trainer_username"),
    user_copies.c.first_name.label("trainer_first_name"),
    user_copies.c.last_name.label("trainer_last_name"),
    user_copies.c.role.label("trainer_role"),
    user_copies.c.is_active.label("trainer_is_active"),
]


def prefixed(model: type[SQLModel], prefix: str) -> list[Any]:
    """A joined record's columns as ``<prefix><column>`` (``program__name``): the rows of
    a join read flat (``entraide_kit.fastread``), beside the main record's columns."""
    table: Any = model.__table__  # type: ignore[attr-defined]
    return [c.label(f"{prefix}{c.key}") for c in table.c]


def programs_query() -> Select:
    return select(Program)


def distributions_query() -> Select:
    """Distributions (their columns) with their programme (``program__*``)."""
    return select(AnnualDistribution, *prefixed(Program, "program__")).join(
        Program, col(Program.id) == col(AnnualDistribution.program_id)
    )


def weekly_plans_query() -> Select:
    """Weekly plans (their columns) with their distribution (``distribution__*``) and its
    programme (``program__*``)."""
    return (
        select(
            WeeklyPlan,
            *prefixed(AnnualDistribution, "distribution__"),
            *prefixed(Program, "program__"),
        )
        .join(
            AnnualDistribution,
            col(AnnualDistribution.id) == col(WeeklyPlan.annual_distribution_id),
        )
        .join(Program, col(Program.id) == col(AnnualDistribution.program_id))
    )


def courses_query() -> Select:
    """Courses (their columns) with their programme (``program__*``), centre and trainer."""
    return (
        select(TrainingCourse, *prefixed(Program, "program__"), *CENTER_COLUMNS, *TRAINER_COLUMNS)
        .join(Program, col(Program.id) == col(TrainingCourse.program_id))
        .outerjoin(center_copies, center_copies.c.id == col(TrainingCourse.center_id))
        .outerjoin(user_copies, user_copies.c.id == col(TrainingCourse.trainer_id))
    )


def teachers_query() -> Select:
    return (
        select(
            Teacher,
            user_copies.c.id.label("user_ref"),
            user_copies.c.email.label("user_email"),
            user_copies.c.username.label("user_username"),
            user_copies.c.first_name.label("user_first_name"),
            user_copies.c.last_name.label("user_last_name"),
            user_copies.c.arabic_first_name.label("user_arabic_first_name"),
            user_copies.c.arabic_last_name.label("user_arabic_last_name"),
            user_copies.c.role.label("user_role"),
            user_copies.c.is_active.label("user_is_active"),
            center_copies.c.name.label("center_name"),
            col(Program.name).label("program_name"),
        )
        .outerjoin(user_copies, user_copies.c.id == col(Teacher.user_id))
        .outerjoin(center_copies, center_copies.c.id == col(Teacher.center_id))
        .outerjoin(Program, col(Program.id) == col(Teacher.program_id))
    )


# Reads (GET answers, and the answers of writes once flushed) run on asyncpg
# (``entraide_kit.fastread``): flat named tuples, the main record's columns
# (``row.id``) beside the joined ones (``row.program__name``, ``row.center_name``).


async def page_rows(
    session: AsyncSession, params: PageParams, stmt: Select, spec: ListSpec, query: ListQuery
) -> tuple[int, list[Any]]:
    """(count, the page's rows) of ``stmt`` with the list's filters, in one statement."""
    return await fastread.page(session, spec.apply(stmt, query), params)


async def _first(session: AsyncSession, stmt: Select[Any]) -> Any:
    await session.flush()  # a write's answer reads what it wrote
    return await fastread.first(session, stmt)


async def program_row(session: AsyncSession, pk: int) -> Any:
    return await _first(session, programs_query().where(col(Program.id) == pk))


async def distribution_row(session: AsyncSession, pk: int) -> Any:
    return await _first(session, distributions_query().where(col(AnnualDistribution.id) == pk))


async def weekly_plan_row(session: AsyncSession, pk: int) -> Any:
    return await _first(session, weekly_plans_query().where(col(WeeklyPlan.id) == pk))


async def course_row(session: AsyncSession, pk: int) -> Any:
    return await _first(session, courses_query().where(col(TrainingCourse.id) == pk))


async def teacher_row(session: AsyncSession, pk: int) -> Any:
    return await _first(session, teachers_query().where(col(Teacher.id) == pk))


async def plain_teacher(session: AsyncSession, pk: int) -> Any:
    """The teacher's own columns (a read: no lock), or None."""
    return await fastread.first(session, select(Teacher).where(col(Teacher.id) == pk))


async def profiles_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The profiles' copies of many users, in one statement."""
    wanted = {int(i) for i in ids if i is not None}
    if not wanted:
        return {}
    t = profiles.table
    rows = await fastread.rows(session, select(t).where(t.c.id.in_(wanted)))
    return {r.id: r._asdict() for r in rows}


class GroupOf(NamedTuple):
    """A teacher's group, with what the groups copy knows of it (None: not in the copy)."""

    id: int
    name: str | None
    description: str | None
    center: int | None


async def groups_of_teachers(
    session: AsyncSession, teacher_ids: Sequence[int]
) -> dict[int, list[GroupOf]]:
    """The groups of many teachers, with their names from the copy, in one query."""
    by_teacher: dict[int, list[GroupOf]] = defaultdict(list)
    if teacher_ids:
        rows = await fastread.rows(
            session,
            select(
                col(TeacherGroup.teacher_id),
                col(TeacherGroup.group_id),
                group_copies.c.name,
                group_copies.c.description,
                group_copies.c.center,
            )
            .outerjoin(group_copies, group_copies.c.id == col(TeacherGroup.group_id))
            .where(col(TeacherGroup.teacher_id).in_(teacher_ids))
            .order_by(col(TeacherGroup.teacher_id), col(TeacherGroup.group_id)),
        )
        for teacher_id, group_id, name, description, center in rows:
            by_teacher[int(teacher_id)].append(GroupOf(int(group_id), name, description, center))
    return by_teacher


async def group_ids(session: AsyncSession, teacher_id: int) -> list[int]:
    rows = await session.execute(
        select(col(TeacherGroup.group_id))
        .where(col(TeacherGroup.teacher_id) == teacher_id)
        .order_by(col(TeacherGroup.group_id))
    )
    return [int(r[0]) for r in rows]


async def set_groups(session: AsyncSession, teacher_id: int, wanted: Sequence[int]) -> None:
    await session.execute(delete(TeacherGroup).where(col(TeacherGroup.teacher_id) == teacher_id))
    if wanted:
        await session.execute(
            insert(TeacherGroup), [{"teacher_id": teacher_id, "group_id": g} for g in wanted]
        )


async def teachers_in_group(session: AsyncSession, group_id: int) -> list[Teacher]:
    rows = await session.execute(
        select(Teacher)
        .where(
            col(Teacher.id).in_(
                select(col(TeacherGroup.teacher_id)).where(col(TeacherGroup.group_id) == group_id)
            )
        )
        .order_by(col(Teacher.id))
        .with_for_update()
    )
    return list(rows.scalars())


async def remove_group(session: AsyncSession, group_id: int) -> None:
    await session.execute(delete(TeacherGroup).where(col(TeacherGroup.group_id) == group_id))


async def teachers_of_program(session: AsyncSession, program_id: int) -> list[Teacher]:
    rows = await session.execute(
        select(Teacher)
        .where(col(Teacher.program_id) == program_id)
        .order_by(col(Teacher.id))
        .with_for_update()
    )
    return list(rows.scalars())


async def courses_where(session: AsyncSession, *where: ColumnElement[bool]) -> list[TrainingCourse]:
    rows = await session.execute(
        select(TrainingCourse).where(*where).order_by(col(TrainingCourse.id)).with_for_update()
    )
    return list(rows.scalars())


async def plans_of_distribution(session: AsyncSession, distribution_id: int) -> list[WeeklyPlan]:
    rows = await session.execute(
        select(WeeklyPlan)
        .where(col(WeeklyPlan.annual_distribution_id) == distribution_id)
        .order_by(col(WeeklyPlan.id))
        .with_for_update()
    )
    return list(rows.scalars())


async def versions(session: AsyncSession, stmt: Select) -> list[tuple[int, int]]:
    """(id, version) pairs, to publish the deletion of records a cascade removes."""
    return [(int(r[0]), int(r[1])) for r in await session.execute(stmt)]


async def cascade_of_program(
    session: AsyncSession, program_id: int
) -> dict[str, list[tuple[int, int]]]:
    """What deleting a programme removes with it: its distributions, their weekly plans,
    its training courses."""
    in_program = select(col(AnnualDistribution.id)).where(
        col(AnnualDistribution.program_id) == program_id
    )
    return {
        "weeklyplan": await versions(
            session,
            select(col(WeeklyPlan.id), col(WeeklyPlan.version)).where(
                col(WeeklyPlan.annual_distribution_id).in_(in_program)
            ),
        ),
        "annualdistribution": await versions(
            session,
            select(col(AnnualDistribution.id), col(AnnualDistribution.version)).where(
                col(AnnualDistribution.program_id) == program_id
            ),
        ),
        "trainingcourse": await versions(
            session,
            select(col(TrainingCourse.id), col(TrainingCourse.version)).where(
                col(TrainingCourse.program_id) == program_id
            ),
        ),
    }


def supervised_centers(user_id: int) -> Select:
    """The ids of the centres a centre supervisor supervises (in the copy), as a subquery."""
    return select(center_copies.c.id).where(center_copies.c.supervisor == user_id)


async def centers_taught_by(session: AsyncSession, user_id: int) -> set[int]:
    """The centres a trainer teaches in: those of their teacher record and of the
    training courses they train, in one query."""
    rows = await session.execute(
        union(
            select(col(Teacher.center_id)).where(col(Teacher.user_id) == user_id),
            select(col(TrainingCourse.center_id)).where(col(TrainingCourse.trainer_id) == user_id),
        )
    )
    return {int(r[0]) for r in rows}
