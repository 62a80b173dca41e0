"""Statements of the content service: lookups with their course, lists, the
batched loaders that build a tree in one statement per level, and counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import SQLModel, col

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
    rows = await session.execute(policies.taught_programs(user_id))
    return {int(program) for (program,) in rows.all()}


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


async def units_of(session: AsyncSession, course_ids: Iterable[int]) -> dict[int, list[Unit]]:
    return await units.children(session, col(Unit.course_id), course_ids)


async def sections_of(session: AsyncSession, unit_ids: Iterable[int]) -> dict[int, list[Section]]:
    return await sections.children(session, col(Section.unit_id), unit_ids)


async def lessons_of(session: AsyncSession, section_ids: Iterable[int]) -> dict[int, list[Lesson]]:
    return await lessons.children(session, col(Lesson.section_id), section_ids)


async def practices_of(
    session: AsyncSession, section_ids: Iterable[int]
) -> dict[int, list[Practice]]:
    return await practices.children(session, col(Practice.section_id), section_ids)


async def questions_of(
    session: AsyncSession, practice_ids: Iterable[int], *, learner: bool
) -> dict[int, list[Question]]:
    """A learner sees only the questions ready for them (``learner_ready``)."""
    if not learner:
        return await questions.children(session, col(Question.practice_id), practice_ids)
    ids = {int(i) for i in practice_ids}
    out: dict[int, list[Question]] = defaultdict(list)
    if not ids:
        return out
    stmt = (
        select(Question)
        .where(col(Question.practice_id).in_(ids), learner_ready())
        .order_by(*questions.order_by)
    )
    for q in (await session.execute(stmt)).scalars():
        out[q.practice_id].append(q)
    return out


async def options_of(
    session: AsyncSession, question_ids: Iterable[int]
) -> dict[int, list[QuestionOption]]:
    return await options.children(session, col(QuestionOption.question_id), question_ids)


async def learner_can_see(session: AsyncSession, question_id: int) -> bool:
    """Whether a question is ready for learners (see ``learner_ready``)."""
    stmt = select(col(Question.id)).where(col(Question.id) == question_id, learner_ready())
    return (await session.execute(stmt)).first() is not None


async def unit_counts(session: AsyncSession, course_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(course_ids))
    if not ids:
        return {}
    stmt = (
        select(col(Unit.course_id), func.count())
        .where(col(Unit.course_id).in_(ids))
        .group_by(col(Unit.course_id))
    )
    return {cid: int(n) for cid, n in (await session.execute(stmt)).all()}


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
