"""Statements of the content service: lookups with their course, lists, the
batched loaders that build a tree in one statement per level, and counts.

Reads that only build an answer go through ``entraide_kit.fastread`` (lean rows
straight from asyncpg, read by attribute as the records are: ``read_*``,
``*_rows_of``); writes, and the reads before a write, keep the ORM records
(identity map, ``version`` bumps, locks)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import SQLModel, col

from entraide_kit import fastread
from entraide_kit.pagination import PageParams
from entraide_kit.repository import Repository

from . import policies
from .models import Course, Lesson, Practice, Question, QuestionOption, Section, Unit

T = TypeVar("T", bound=SQLModel)

# One per table, in the order their children are shown.
courses = Repository(Course, order_by=(col(Course.order), col(Course.name)))
units = Repository(Unit, order_by=(col(Unit.order), col(Unit.name)))
sections = Repository(Section, order_by=(col(Section.order), col(Section.name)))
lessons = Repository(Lesson, order_by=(col(Lesson.order), col(Lesson.title)))
practices = Repository(Practice, order_by=(col(Practice.id),))
questions = Repository(Question, order_by=(col(Question.order), col(Question.id)))
options = Repository(QuestionOption, order_by=(col(QuestionOption.order), col(QuestionOption.id)))

# How each record reaches its course: the joins from the record up.
_UP: dict[type[SQLModel], list[tuple[type[SQLModel], Any]]] = {
    Course: [],
    Unit: [(Course, col(Course.id) == col(Unit.course_id))],
    Section: [
        (Unit, col(Unit.id) == col(Section.unit_id)),
        (Course, col(Course.id) == col(Unit.course_id)),
    ],
    Lesson: [
        (Section, col(Section.id) == col(Lesson.section_id)),
        (Unit, col(Unit.id) == col(Section.unit_id)),
        (Course, col(Course.id) == col(Unit.course_id)),
    ],
    Practice: [
        (Section, col(Section.id) == col(Practice.section_id)),
        (Unit, col(Unit.id) == col(Section.unit_id)),
        (Course, col(Course.id) == col(Unit.course_id)),
    ],
    Question: [
        (Practice, col(Practice.id) == col(Question.practice_id)),
        (Section, col(Section.id) == col(Practice.section_id)),
        (Unit, col(Unit.id) == col(Section.unit_id)),
        (Course, col(Course.id) == col(Unit.course_id)),
    ],
    QuestionOption: [
        (Question, col(Question.id) == col(QuestionOption.question_id)),
        (Practice, col(Practice.id) == col(Question.practice_id)),
        (Section, col(Section.id) == col(Practice.section_id)),
        (Unit, col(Unit.id) == col(Section.unit_id)),
        (Course, col(Course.id) == col(Unit.course_id)),
    ],
}


def with_course(model: type[T]) -> Select[Any]:
    """``SELECT model, course FROM model JOIN ... course``."""
    if model is Course:
        return select(Course)
    stmt: Select[Any] = select(model, Course)  # type: ignore[assignment]
    for target, on in _UP[model]:
        stmt = stmt.join(target, on)
    return stmt


def scoped(model: type[T], principal: Any) -> Select[Any]:
    """The records of ``model`` whose course the caller may read (for lists)."""
    stmt = select(model)
    for target, on in _UP[model]:
        stmt = stmt.join(target, on)
    return stmt.where(policies.visible(principal))


async def get_with_course(
    session: AsyncSession, model: type[T], pk: int, *, for_update: bool = False
) -> tuple[T, Course] | None:
    """The record and its course (one statement); ``for_update`` locks the record only."""
    stmt = with_course(model).where(model.id == pk)  # type: ignore[attr-defined]
    if for_update:
        stmt = stmt.with_for_update(of=model)
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    if model is Course:
        return row[0], row[0]
    return row[0], row[1]


async def taught_programs(session: AsyncSession, user_id: int) -> set[int]:
    rows = await fastread.rows(session, policies.taught_programs(user_id))
    return {int(row[0]) for row in rows}


async def next_order(session: AsyncSession, parent: Any, parent_id: int) -> int:
    """One past the highest ``order`` under a parent (0 for the first child)."""
    model = parent.class_
    stmt = select(func.coalesce(func.max(model.order) + 1, 0)).where(parent == parent_id)
    return int((await session.execute(stmt)).scalar_one())


async def practice_of_section(session: AsyncSession, section_id: int) -> int | None:
    stmt = select(col(Practice.id)).where(col(Practice.section_id) == section_id)
    return (await session.execute(stmt)).scalar_one_or_none()


# --------------------------------------------------------------------------- learners


def learner_ready() -> ColumnElement[bool]:
    """A question a learner may see: a multiple-choice one needs two options, one correct.
    (Over an alias of the options, so that it also filters a list of options.)"""
    options = aliased(QuestionOption)
    count = (
        select(func.count())
        .select_from(options)
        .where(col(options.question_id) == col(Question.id))
        .correlate_except(options)
        .scalar_subquery()
    )
    correct = (
        exists()
        .where(col(options.question_id) == col(Question.id), col(options.is_correct).is_(True))
        .correlate_except(options)
    )
    return or_(col(Question.question_type) != "mcq", and_(count >= 2, correct))


# --------------------------------------------------------------------------- batched loaders
# The records (for writes: a moved unit or section re-publishes what it holds).


async def sections_of(session: AsyncSession, unit_ids: Iterable[int]) -> dict[int, list[Section]]:
    return await sections.children(session, col(Section.unit_id), unit_ids)


async def lessons_of(session: AsyncSession, section_ids: Iterable[int]) -> dict[int, list[Lesson]]:
    return await lessons.children(session, col(Lesson.section_id), section_ids)


async def learner_can_see(session: AsyncSession, question_id: int) -> bool:
    """Whether a question is ready for learners (see ``learner_ready``)."""
    stmt = select(col(Question.id)).where(col(Question.id) == question_id, learner_ready())
    return await fastread.first(session, stmt) is not None


async def unit_counts(session: AsyncSession, course_ids: Iterable[int | None]) -> dict[int, int]:
    ids = {int(i) for i in course_ids if i is not None}
    if not ids:
        return {}
    stmt: Select[Any] = (
        select(col(Unit.course_id), func.count().label("units"))  # type: ignore[assignment]
        .where(fastread.any_of(col(Unit.course_id), ids))
        .group_by(col(Unit.course_id))
    )
    return {int(row.course_id): int(row.units) for row in await fastread.rows(session, stmt)}


# --------------------------------------------------------------------------- lean reads


class CourseRef(NamedTuple):
    """What the rights read of a record's course (``policies.CourseLike``)."""

    id: int
    is_active: bool
    program_id: int | None


# Labelled apart from the record's own columns (a unit's ``id`` is not its course's).
_COURSE_REF: tuple[Any, ...] = (
    col(Course.id).label("course__id"),
    col(Course.is_active).label("course__is_active"),
    col(Course.program_id).label("course__program_id"),
)


async def read_with_course(
    session: AsyncSession, model: type[SQLModel], pk: int
) -> tuple[Any, policies.CourseLike] | None:
    """The record as a lean row and its course's rights fields, in one statement."""
    if model is Course:
        row = await fastread.first(session, select(Course).where(col(Course.id) == pk))
        return None if row is None else (row, row)
    stmt = select(model, *_COURSE_REF)
    for target, on in _UP[model]:
        stmt = stmt.join(target, on)
    row = await fastread.first(session, stmt.where(model.id == pk))  # type: ignore[attr-defined]
    if row is None:
        return None
    return row, CourseRef(row.course__id, row.course__is_active, row.course__program_id)


async def read_page(
    session: AsyncSession, stmt: Select[Any], params: PageParams
) -> tuple[int, list[Any]]:
    """(count, the page's lean rows) of a list, in one statement."""
    return await fastread.page(session, stmt, params)


async def _rows_of(
    session: AsyncSession,
    repo: Repository[Any],
    column: Any,
    parent_ids: Iterable[int | None],
    *where: ColumnElement[bool],
) -> dict[int, list[Any]]:
    """The lean rows of many parents in one statement, grouped by parent, in the
    repository's order."""
    return await fastread.children(
        session, repo.model, column, parent_ids, *repo.order_by, where=where
    )


async def unit_rows_of(session: AsyncSession, course_ids: Iterable[int]) -> dict[int, list[Any]]:
    return await _rows_of(session, units, col(Unit.course_id), course_ids)


async def section_rows_of(session: AsyncSession, unit_ids: Iterable[int]) -> dict[int, list[Any]]:
    return await _rows_of(session, sections, col(Section.unit_id), unit_ids)


async def lesson_rows_of(session: AsyncSession, section_ids: Iterable[int]) -> dict[int, list[Any]]:
    return await _rows_of(session, lessons, col(Lesson.section_id), section_ids)


async def practice_rows_of(
    session: AsyncSession, section_ids: Iterable[int]
) -> dict[int, list[Any]]:
    return await _rows_of(session, practices, col(Practice.section_id), section_ids)


async def question_rows_of(
    session: AsyncSession, practice_ids: Iterable[int], *, learner: bool
) -> dict[int, list[Any]]:
    """A learner sees only the questions ready for them (``learner_ready``)."""
    where = (learner_ready(),) if learner else ()
    return await _rows_of(session, questions, col(Question.practice_id), practice_ids, *where)


async def option_rows_of(
    session: AsyncSession, question_ids: Iterable[int]
) -> dict[int, list[Any]]:
    return await _rows_of(session, options, col(QuestionOption.question_id), question_ids)


# --------------------------------------------------------------------------- deletions


async def subtree(
    session: AsyncSession, model: type[SQLModel], pk: int
) -> dict[str, list[tuple[int, int]]]:
    """(id, version) of the published records that deleting ``model`` ``pk`` takes
    with it: a course its units, sections and lessons; a unit its sections and
    lessons; a section its lessons (at most three statements)."""
    out: dict[str, list[tuple[int, int]]] = {}
    sections: ColumnElement[bool] | None
    if model is Course:
        out["unit"] = await _versions(session, Unit, col(Unit.course_id) == pk)
        sections = col(Section.unit_id).in_(select(col(Unit.id)).where(col(Unit.course_id) == pk))
    elif model is Unit:
        sections = col(Section.unit_id) == pk
    elif model is Section:
        sections = None
    else:
        return out
    lessons: ColumnElement[bool]
    if sections is not None:
        out["section"] = await _versions(session, Section, sections)
        lessons = col(Lesson.section_id).in_(select(col(Section.id)).where(sections))
    else:
        lessons = col(Lesson.section_id) == pk
    out["lesson"] = await _versions(session, Lesson, lessons)
    return out


async def _versions(
    session: AsyncSession, model: type[SQLModel], where: ColumnElement[bool]
) -> list[tuple[int, int]]:
    stmt = select(model.id, model.version).where(where)  # type: ignore[attr-defined]
    return [(int(i), int(v)) for i, v in (await session.execute(stmt)).all()]
