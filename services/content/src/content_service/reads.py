"""Reads of the content service: lists, details, and the trees they nest, built
bottom-up with one statement per level whatever their size. Every record is read
through its course: a record of a course the caller may not see is a 404.

Rows are lean (``entraide_kit.fastread``: named tuples straight from asyncpg,
read by attribute as the records are), each answer model built once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from entraide_kit.context import Context
from entraide_kit.errors import NotFound
from entraide_kit.filters import ListQuery, ListSpec
from entraide_kit.pagination import PageParams, build_page

from . import answers, lists, repository
from .access import readable
from .answers import Reader
from .models import Course, Lesson, Practice, Question, QuestionOption, Section, Unit
from .policies import CourseLike, Rights
from .schemas import (
    CourseItem,
    CoursePage,
    CourseRead,
    LessonPage,
    LessonRead,
    OptionPage,
    OptionRead,
    PracticePage,
    PracticeRead,
    QuestionPage,
    QuestionRead,
    SectionPage,
    SectionRead,
    UnitPage,
    UnitRead,
)

T = TypeVar("T", bound=SQLModel)

# --------------------------------------------------------------------------- trees
# Rows: lean rows of their tables (``repository.*_rows_of``), or records.


async def _questions(
    session: AsyncSession, r: Reader, questions: Sequence[Any]
) -> list[QuestionRead]:
    options = await repository.option_rows_of(session, [q.id for q in questions])
    return [answers.question(r, q, options[q.id]) for q in questions]


async def _practices(
    session: AsyncSession, r: Reader, practices: Sequence[Any]
) -> dict[int, PracticeRead]:
    """Per section id."""
    questions = await repository.question_rows_of(
        session, [p.id for p in practices], learner=r.learner
    )
    built = await _questions(session, r, [q for p in practices for q in questions[p.id]])
    by_id = {q.id: q for q in built}
    return {
        p.section_id: answers.practice(p, [by_id[q.id] for q in questions[p.id]]) for p in practices
    }


async def _sections(
    session: AsyncSession, r: Reader, sections: Sequence[Any], course_of: Mapping[int, int]
) -> list[SectionRead]:
    """``course_of``: the course id of each section's unit."""
    ids = [s.id for s in sections]
    lessons = await repository.lesson_rows_of(session, ids)
    practices = await repository.practice_rows_of(session, ids)
    built = await _practices(session, r, [p for s in ids for p in practices[s]])
    return [
        answers.section(
            s,
            course_of[s.unit_id],
            [answers.lesson(r, lesson) for lesson in lessons[s.id]],
            built.get(s.id),
        )
        for s in sections
    ]


async def _units(session: AsyncSession, r: Reader, units: Sequence[Any]) -> list[UnitRead]:
    sections = await repository.section_rows_of(session, [u.id for u in units])
    course_of = {u.id: u.course_id for u in units}
    built = await _sections(session, r, [s for u in units for s in sections[u.id]], course_of)
    by_id = {s.id: s for s in built}
    return [answers.unit(u, [by_id[s.id] for s in sections[u.id]]) for u in units]


# --------------------------------------------------------------------------- lists


async def _page(
    session: AsyncSession, stmt: Select[Any], spec: ListSpec, query: ListQuery, page: PageParams
) -> tuple[int, list[Any]]:
    """The count and one page of a list (lean rows), in one statement."""
    return await repository.read_page(session, spec.apply(stmt, query), page)


def _scoped(model: type[T], caller: Rights) -> Select[Any]:
    stmt = repository.scoped(model, caller.principal)
    if caller.learner and model in (Question, QuestionOption):
        stmt = stmt.where(repository.learner_ready())
    return stmt


async def list_courses(
    session: AsyncSession,
    ctx: Context,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
) -> CoursePage:
    count, rows = await _page(session, _scoped(Course, caller), lists.COURSE_LIST, query, page)
    counts = await repository.unit_counts(session, [c.id for c in rows])
    items = [answers.course_item(r, c, counts.get(c.id, 0)) for c in rows]
    return CoursePage(**build_page(ctx, page, count, items))


async def list_units(
    session: AsyncSession,
    ctx: Context,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
    *,
    course_id: int | None = None,
) -> UnitPage:
    stmt = _scoped(Unit, caller)
    if course_id is not None:
        await readable(session, caller, Course, course_id)
        stmt = stmt.where(col(Unit.course_id) == course_id)
    count, rows = await _page(session, stmt, lists.UNIT_LIST, query, page)
    return UnitPage(**build_page(ctx, page, count, await _units(session, r, rows)))


async def list_sections(
    session: AsyncSession,
    ctx: Context,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
    *,
    unit_id: int | None = None,
) -> SectionPage:
    stmt = _scoped(Section, caller)
    if unit_id is not None:
        await readable(session, caller, Unit, unit_id)
        stmt = stmt.where(col(Section.unit_id) == unit_id)
    # Each row reads as its section plus its unit's course_id.
    stmt = stmt.add_columns(col(Unit.course_id))
    count, rows = await _page(session, stmt, lists.SECTION_LIST, query, page)
    built = await _sections(session, r, rows, {row.unit_id: row.course_id for row in rows})
    return SectionPage(**build_page(ctx, page, count, built))


async def list_lessons(
    session: AsyncSession,
    ctx: Context,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
    *,
    section_id: int | None = None,
) -> LessonPage:
    stmt = _scoped(Lesson, caller)
    if section_id is not None:
        await readable(session, caller, Section, section_id)
        stmt = stmt.where(col(Lesson.section_id) == section_id)
    count, rows = await _page(session, stmt, lists.LESSON_LIST, query, page)
    items = [answers.lesson(r, lesson) for lesson in rows]
    return LessonPage(**build_page(ctx, page, count, items))


async def list_practices(
    session: AsyncSession,
    ctx: Context,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
) -> PracticePage:
    count, rows = await _page(session, _scoped(Practice, caller), lists.PRACTICE_LIST, query, page)
    built = await _practices(session, r, rows)
    items = [built[p.section_id] for p in rows]
    return PracticePage(**build_page(ctx, page, count, items))


async def list_questions(
    session: AsyncSession,
    ctx: Context,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
    *,
    practice_id: int | None = None,
) -> QuestionPage:
    stmt = _scoped(Question, caller)
    if practice_id is not None:
        await readable(session, caller, Practice, practice_id)
        stmt = stmt.where(col(Question.practice_id) == practice_id)
    count, rows = await _page(session, stmt, lists.QUESTION_LIST, query, page)
    return QuestionPage(**build_page(ctx, page, count, await _questions(session, r, rows)))


async def list_options(
    session: AsyncSession,
    ctx: Context,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
    *,
    question_id: int | None = None,
) -> OptionPage:
    stmt = _scoped(QuestionOption, caller)
    if question_id is not None:
        await get_question(session, r, caller, question_id)
        stmt = stmt.where(col(QuestionOption.question_id) == question_id)
    count, rows = await _page(session, stmt, lists.OPTION_LIST, query, page)
    items = [answers.option(r, o) for o in rows]
    return OptionPage(**build_page(ctx, page, count, items))


# --------------------------------------------------------------------------- details


def _id(course: CourseLike) -> int:
    return course.id or 0


async def get_course(
    session: AsyncSession, r: Reader, caller: Rights, course_id: int
) -> CourseRead:
    course, _ = await readable(session, caller, Course, course_id)
    units = (await repository.unit_rows_of(session, [course_id]))[course_id]
    return answers.course(r, course, await _units(session, r, units))


async def course_item(session: AsyncSession, r: Reader, course: Course) -> CourseItem:
    counts = await repository.unit_counts(session, [course.id])
    return answers.course_item(r, course, counts.get(course.id or 0, 0))


async def get_unit(session: AsyncSession, r: Reader, caller: Rights, unit_id: int) -> UnitRead:
    unit, _ = await readable(session, caller, Unit, unit_id)
    return (await _units(session, r, [unit]))[0]


async def get_section(
    session: AsyncSession, r: Reader, caller: Rights, section_id: int
) -> SectionRead:
    section, course = await readable(session, caller, Section, section_id)
    return (await _sections(session, r, [section], {section.unit_id: _id(course)}))[0]


async def get_lesson(
    session: AsyncSession, r: Reader, caller: Rights, lesson_id: int
) -> LessonRead:
    lesson, _ = await readable(session, caller, Lesson, lesson_id)
    return answers.lesson(r, lesson)


async def get_practice(
    session: AsyncSession, r: Reader, caller: Rights, practice_id: int
) -> PracticeRead:
    practice, _ = await readable(session, caller, Practice, practice_id)
    return (await _practices(session, r, [practice]))[practice.section_id]


async def get_question(
    session: AsyncSession, r: Reader, caller: Rights, question_id: int
) -> QuestionRead:
    question, _ = await readable(session, caller, Question, question_id)
    built = (await _questions(session, r, [question]))[0]
    if r.learner and not await repository.learner_can_see(session, question_id):
        raise NotFound()
    return built


async def get_option(
    session: AsyncSession, r: Reader, caller: Rights, option_id: int
) -> OptionRead:
    option, _ = await readable(session, caller, QuestionOption, option_id)
    if r.learner:
        await get_question(session, r, caller, option.question_id)
    return answers.option(r, option)
