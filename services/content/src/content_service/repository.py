"""Statements of the content service: lookups with their course, lists, the
batched loaders that build a tree in one statement per level, and counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import SQLModel, col

from entraide_kit.filters import Filter, ListSpec

from . import policies
from .models import Course, Lesson, Practice, Question, QuestionOption, Section, Unit

T = TypeVar("T", bound=SQLModel)

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


async def _children(
    session: AsyncSession,
    model: type[T],
    parent: Any,
    parent_ids: Iterable[int],
    order_by: Sequence[Any],
    where: ColumnElement[bool] | None = None,
) -> dict[int, list[T]]:
    ids = sorted(set(parent_ids))
    out: dict[int, list[T]] = defaultdict(list)
    if not ids:
        return out
    stmt = select(model).where(parent.in_(ids)).order_by(*order_by)
    if where is not None:
        stmt = stmt.where(where)
    for obj in (await session.execute(stmt)).scalars():
        out[getattr(obj, parent.key)].append(obj)
    return out


async def units_of(session: AsyncSession, course_ids: Iterable[int]) -> dict[int, list[Unit]]:
    return await _children(
        session, Unit, col(Unit.course_id), course_ids, [col(Unit.order), col(Unit.name)]
    )


async def sections_of(session: AsyncSession, unit_ids: Iterable[int]) -> dict[int, list[Section]]:
    return await _children(
        session,
        Section,
        col(Section.unit_id),
        unit_ids,
        [col(Section.order), col(Section.name)],
    )


async def lessons_of(session: AsyncSession, section_ids: Iterable[int]) -> dict[int, list[Lesson]]:
    return await _children(
        session,
        Lesson,
        col(Lesson.section_id),
        section_ids,
        [col(Lesson.order), col(Lesson.title)],
    )


async def practices_of(
    session: AsyncSession, section_ids: Iterable[int]
) -> dict[int, list[Practice]]:
    return await _children(
        session, Practice, col(Practice.section_id), section_ids, [col(Practice.id)]
    )


async def questions_of(
    session: AsyncSession, practice_ids: Iterable[int], *, learner: bool
) -> dict[int, list[Question]]:
    return await _children(
        session,
        Question,
        col(Question.practice_id),
        practice_ids,
        [col(Question.order), col(Question.id)],
        where=learner_ready() if learner else None,
    )


async def options_of(
    session: AsyncSession, question_ids: Iterable[int]
) -> dict[int, list[QuestionOption]]:
    return await _children(
        session,
        QuestionOption,
        col(QuestionOption.question_id),
        question_ids,
        [col(QuestionOption.order), col(QuestionOption.id)],
    )


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


# --------------------------------------------------------------------------- list specs


COURSE_LIST = ListSpec(
    search_fields=[col(Course.name), col(Course.description)],
    ordering_fields={
        "order": col(Course.order),
        "name": col(Course.name),
        "created_at": col(Course.created_at),
        "updated_at": col(Course.updated_at),
    },
    default_ordering=["order", "name"],
    filters={
        "is_active": Filter(col(Course.is_active), bool, "Active courses only (true/false)."),
        "program": Filter(col(Course.program_id), int, "A training programme's id."),
    },
    tiebreaker=col(Course.id),
)

UNIT_LIST = ListSpec(
    search_fields=[col(Unit.name), col(Unit.description)],
    ordering_fields={
        "order": col(Unit.order),
        "name": col(Unit.name),
        "created_at": col(Unit.created_at),
    },
    default_ordering=["order", "name"],
    filters={"course": Filter(col(Unit.course_id), int, "A course's id.")},
    tiebreaker=col(Unit.id),
)

SECTION_LIST = ListSpec(
    search_fields=[col(Section.name), col(Section.description), col(Section.about)],
    ordering_fields={
        "order": col(Section.order),
        "name": col(Section.name),
        "created_at": col(Section.created_at),
    },
    default_ordering=["order", "name"],
    filters={
        "unit": Filter(col(Section.unit_id), int, "A unit's id."),
        "course": Filter(col(Unit.course_id), int, "A course's id."),
        "unit__course": Filter(col(Unit.course_id), int, "A course's id (same as course)."),
    },
    tiebreaker=col(Section.id),
)

LESSON_LIST = ListSpec(
    search_fields=[col(Lesson.title), col(Lesson.text_content)],
    ordering_fields={
        "order": col(Lesson.order),
        "title": col(Lesson.title),
        "created_at": col(Lesson.created_at),
        "duration_minutes": col(Lesson.duration_minutes),
    },
    default_ordering=["order", "title"],
    filters={
        "section": Filter(col(Lesson.section_id), int, "A section's id."),
        "lesson_type": Filter(
            col(Lesson.lesson_type),
            str,
            "video, pdf, text or link.",
            choices=("video", "pdf", "text", "link"),
        ),
        "unit": Filter(col(Section.unit_id), int, "A unit's id."),
        "section__unit": Filter(col(Section.unit_id), int, "A unit's id (same as unit)."),
        "course": Filter(col(Unit.course_id), int, "A course's id."),
        "section__unit__course": Filter(
            col(Unit.course_id), int, "A course's id (same as course)."
        ),
    },
    tiebreaker=col(Lesson.id),
)

PRACTICE_LIST = ListSpec(
    search_fields=[col(Practice.instructions)],
    ordering_fields={"created_at": col(Practice.created_at), "id": col(Practice.id)},
    default_ordering=["id"],
    filters={
        "section": Filter(col(Practice.section_id), int, "A section's id."),
        "unit": Filter(col(Section.unit_id), int, "A unit's id."),
        "course": Filter(col(Unit.course_id), int, "A course's id."),
    },
    tiebreaker=col(Practice.id),
)

QUESTION_LIST = ListSpec(
    search_fields=[col(Question.question_text)],
    ordering_fields={
        "order": col(Question.order),
        "points": col(Question.points),
        "created_at": col(Question.created_at),
    },
    default_ordering=["order"],
    filters={
        "practice": Filter(col(Question.practice_id), int, "A practice's id."),
        "question_type": Filter(
            col(Question.question_type),
            str,
            "mcq, true_false or short_answer.",
            choices=("mcq", "true_false", "short_answer"),
        ),
        "section": Filter(col(Practice.section_id), int, "A section's id."),
        "course": Filter(col(Unit.course_id), int, "A course's id."),
    },
    tiebreaker=col(Question.id),
)

OPTION_LIST = ListSpec(
    search_fields=[col(QuestionOption.option_text)],
    ordering_fields={
        "order": col(QuestionOption.order),
        "created_at": col(QuestionOption.created_at),
    },
    default_ordering=["order"],
    filters={"question": Filter(col(QuestionOption.question_id), int, "A question's id.")},
    tiebreaker=col(QuestionOption.id),
)
