"""Rules of the content service, for reads and writes alike. Writes go through the
records and the outbox and never commit (the request's session does).

Who may do what is in ``policies``; every read of a record goes through its
course (a record of a course the caller may not see is a 404), every write
through the course's write rights (a 403 for a visible course that is not
theirs). Trees are built bottom-up, one statement per level, whatever their size.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col
from starlette.datastructures import UploadFile

from entraide_kit import records
from entraide_kit.auth import Principal, Role
from entraide_kit.copies.programs import programs
from entraide_kit.errors import NotFound, PayloadTooLarge, PermissionDenied, ValidationFailed
from entraide_kit.filters import ListQuery, ListSpec
from entraide_kit.pagination import PageParams
from entraide_kit.storage import Storage, read_image

from . import events, repository, views
from .links import PdfLinks
from .models import Course, Lesson, Practice, Question, QuestionOption, Section, Unit
from .policies import Rights
from .schemas import (
    CourseItem,
    CourseRead,
    LessonRead,
    OptionRead,
    PracticeRead,
    QuestionRead,
    SectionRead,
    UnitRead,
)
from .views import COVERS_FOLDER, PDF_FOLDER, Reader

T = TypeVar("T", bound=SQLModel)

CONSTRAINTS = {
    "uq_courses_name": ("name", "course with this name already exists."),
    "uq_units_course_order": ("order", "A unit with this order already exists in this course."),
    "uq_sections_unit_order": (
        "order",
        "A section with this order already exists in this unit.",
    ),
    "uq_lessons_section_order": (
        "order",
        "A lesson with this order already exists in this section.",
    ),
    "uq_practices_section": ("section", "This section already has a practice."),
    "uq_questions_practice_order": (
        "order",
        "A question with this order already exists in this practice.",
    ),
    "uq_question_options_question_order": (
        "order",
        "An option with this order already exists for this question.",
    ),
    "fk_course_id_courses": ("course", "Invalid pk - object does not exist."),
    "fk_unit_id_units": ("unit", "Invalid pk - object does not exist."),
    "fk_section_id_sections": ("section", "Invalid pk - object does not exist."),
    "fk_practice_id_practices": ("practice", "Invalid pk - object does not exist."),
    "fk_question_id_questions": ("question", "Invalid pk - object does not exist."),
}
RENAMES = {
    "course": "course_id",
    "unit": "unit_id",
    "section": "section_id",
    "practice": "practice_id",
    "question": "question_id",
    "program": "program_id",
}
TEXT_FIELDS = {"description", "about", "instructions", "explanation", "text_content"}
URL_FIELDS = {"video_url", "external_url"}
NOT_NULL = (
    "name",
    "title",
    "order",
    "is_active",
    "lesson_type",
    "question_text",
    "question_type",
    "points",
    "option_text",
    "is_correct",
    "course_id",
    "unit_id",
    "section_id",
    "practice_id",
    "question_id",
)
# The field each lesson type needs; the others stay empty.
LESSON_FIELDS = {
    "video": "video_url",
    "pdf": "pdf_file",
    "text": "text_content",
    "link": "external_url",
}
PDF_ERROR = "Upload a valid PDF file. The file you uploaded is not a PDF document."


def _invalid_pk(field: str, pk: Any) -> ValidationFailed:
    return ValidationFailed({field: [f'Invalid pk "{pk}" - object does not exist.']})


def _columns(data: BaseModel) -> dict[str, Any]:
    """The columns a body writes: sent fields only, renamed; empty text is ""."""
    values: dict[str, Any] = {}
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and (name in TEXT_FIELDS or name in URL_FIELDS):
            value = ""
        values[RENAMES.get(name, name)] = value
    nulls = {
        _wire(n): ["This field may not be null."]
        for n in NOT_NULL
        if n in values and values[n] is None
    }
    if nulls:
        raise ValidationFailed(nulls)
    return values


def _target(values: Mapping[str, Any], column: str, current: int | None) -> int:
    """The parent a write puts a record under: the one sent, else the current one."""
    target = values.get(column, current)
    assert target is not None  # a create's body requires it
    return int(target)


def _wire(column: str) -> str:
    for wire, name in RENAMES.items():
        if name == column:
            return wire
    return column


# --------------------------------------------------------------------------- callers


async def rights(session: AsyncSession, principal: Principal) -> Rights:
    """The caller's rights, with the programmes a trainer teaches loaded once."""
    taught: set[int] = set()
    if principal.role is Role.trainer:
        taught = await repository.taught_programs(session, principal.id)
    return Rights(principal, taught)


@dataclass(frozen=True, slots=True)
class Owned(Generic[T]):
    """A record about to change, locked, with its course (whose rights it follows)."""

    record: T
    course: Course
    rights: Rights


async def for_write(session: AsyncSession, caller: Rights, model: type[T], pk: int) -> Owned[T]:
    found = await repository.get_with_course(session, model, pk, for_update=True)
    if found is None:
        raise NotFound()
    record, course = found
    caller.write(course)
    return Owned(record, course, caller)


async def _visible(
    session: AsyncSession, caller: Rights, model: type[T], pk: int
) -> tuple[T, Course]:
    found = await repository.get_with_course(session, model, pk)
    if found is None:
        raise NotFound()
    caller.read(found[1])
    return found


async def _parent(
    session: AsyncSession, caller: Rights, model: type[T], pk: int, field: str
) -> tuple[T, Course]:
    """The parent a body names: 400 when it does not exist (for this caller), 403
    when its course's content is not theirs to change."""
    found = await repository.get_with_course(session, model, pk)
    if found is None or not caller.can_read(found[1]):
        raise _invalid_pk(field, pk)
    caller.write(found[1])
    return found


# --------------------------------------------------------------------------- trees


async def _questions(
    session: AsyncSession, r: Reader, questions: Sequence[Question]
) -> list[QuestionRead]:
    options = await repository.options_of(session, [q.id or 0 for q in questions])
    return [views.question(r, q, options[q.id or 0]) for q in questions]


async def _practices(
    session: AsyncSession, r: Reader, practices: Sequence[Practice]
) -> dict[int, PracticeRead]:
    """Per section id."""
    questions = await repository.questions_of(
        session, [p.id or 0 for p in practices], learner=r.learner
    )
    built = await _questions(session, r, [q for p in practices for q in questions[p.id or 0]])
    by_id = {q.id: q for q in built}
    return {
        p.section_id: views.practice(p, [by_id[q.id or 0] for q in questions[p.id or 0]])
        for p in practices
    }


async def _sections(
    session: AsyncSession, r: Reader, sections: Sequence[Section], course_of: Mapping[int, int]
) -> list[SectionRead]:
    """``course_of``: the course id of each section's unit."""
    ids = [s.id or 0 for s in sections]
    lessons = await repository.lessons_of(session, ids)
    practices = await repository.practices_of(session, ids)
    built = await _practices(session, r, [p for s in ids for p in practices[s]])
    return [
        views.section(
            s,
            course_of[s.unit_id],
            [views.lesson(r, lesson) for lesson in lessons[s.id or 0]],
            built.get(s.id or 0),
        )
        for s in sections
    ]


async def _units(session: AsyncSession, r: Reader, units: Sequence[Unit]) -> list[UnitRead]:
    sections = await repository.sections_of(session, [u.id or 0 for u in units])
    course_of = {u.id or 0: u.course_id for u in units}
    built = await _sections(session, r, [s for u in units for s in sections[u.id or 0]], course_of)
    by_id = {s.id: s for s in built}
    return [views.unit(u, [by_id[s.id or 0] for s in sections[u.id or 0]]) for u in units]


# --------------------------------------------------------------------------- lists


async def _page(
    session: AsyncSession,
    stmt: Select[Any],
    spec: ListSpec,
    query: ListQuery,
    page: PageParams,
    *,
    pairs: bool = False,
) -> tuple[int, list[Any]]:
    """The count and one page of a list; rows are records, or (record, column) pairs."""
    stmt = spec.apply(stmt, query)
    count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
    count = int((await session.execute(count_stmt)).scalar_one())
    rows: list[Any] = []
    if count and page.offset < count:
        result = await session.execute(stmt.limit(page.page_size).offset(page.offset))
        rows = [tuple(r) for r in result.all()] if pairs else list(result.scalars())
    return count, rows


def _scoped(model: type[T], caller: Rights) -> Select[Any]:
    stmt = repository.scoped(model, caller.principal)
    if caller.learner and model in (Question, QuestionOption):
        stmt = stmt.where(repository.learner_ready())
    return stmt


async def list_courses(
    session: AsyncSession, r: Reader, caller: Rights, query: ListQuery, page: PageParams
) -> tuple[int, list[CourseItem]]:
    count, rows = await _page(session, _scoped(Course, caller), repository.COURSE_LIST, query, page)
    counts = await repository.unit_counts(session, [c.id for c in rows])
    return count, [views.course_item(r, c, counts.get(c.id, 0)) for c in rows]


async def list_units(
    session: AsyncSession,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
    *,
    course_id: int | None = None,
) -> tuple[int, list[UnitRead]]:
    stmt = _scoped(Unit, caller)
    if course_id is not None:
        await _visible(session, caller, Course, course_id)
        stmt = stmt.where(col(Unit.course_id) == course_id)
    count, rows = await _page(session, stmt, repository.UNIT_LIST, query, page)
    return count, await _units(session, r, rows)


async def list_sections(
    session: AsyncSession,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
    *,
    unit_id: int | None = None,
) -> tuple[int, list[SectionRead]]:
    stmt = _scoped(Section, caller)
    if unit_id is not None:
        await _visible(session, caller, Unit, unit_id)
        stmt = stmt.where(col(Section.unit_id) == unit_id)
    stmt = stmt.add_columns(col(Unit.course_id))
    count, rows = await _page(session, stmt, repository.SECTION_LIST, query, page, pairs=True)
    sections = [s for s, _ in rows]
    return count, await _sections(session, r, sections, {s.unit_id: c for s, c in rows})


async def list_lessons(
    session: AsyncSession,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
    *,
    section_id: int | None = None,
) -> tuple[int, list[LessonRead]]:
    stmt = _scoped(Lesson, caller)
    if section_id is not None:
        await _visible(session, caller, Section, section_id)
        stmt = stmt.where(col(Lesson.section_id) == section_id)
    count, rows = await _page(session, stmt, repository.LESSON_LIST, query, page)
    return count, [views.lesson(r, lesson) for lesson in rows]


async def list_practices(
    session: AsyncSession, r: Reader, caller: Rights, query: ListQuery, page: PageParams
) -> tuple[int, list[PracticeRead]]:
    count, rows = await _page(
        session, _scoped(Practice, caller), repository.PRACTICE_LIST, query, page
    )
    built = await _practices(session, r, rows)
    return count, [built[p.section_id] for p in rows]


async def list_questions(
    session: AsyncSession,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
    *,
    practice_id: int | None = None,
) -> tuple[int, list[QuestionRead]]:
    stmt = _scoped(Question, caller)
    if practice_id is not None:
        await _visible(session, caller, Practice, practice_id)
        stmt = stmt.where(col(Question.practice_id) == practice_id)
    count, rows = await _page(session, stmt, repository.QUESTION_LIST, query, page)
    return count, await _questions(session, r, rows)


async def list_options(
    session: AsyncSession,
    r: Reader,
    caller: Rights,
    query: ListQuery,
    page: PageParams,
    *,
    question_id: int | None = None,
) -> tuple[int, list[OptionRead]]:
    stmt = _scoped(QuestionOption, caller)
    if question_id is not None:
        await get_question(session, r, caller, question_id)
        stmt = stmt.where(col(QuestionOption.question_id) == question_id)
    count, rows = await _page(session, stmt, repository.OPTION_LIST, query, page)
    return count, [views.option(r, o) for o in rows]


# --------------------------------------------------------------------------- details


async def get_course(
    session: AsyncSession, r: Reader, caller: Rights, course_id: int
) -> CourseRead:
    course = caller.read(await records.get(session, Course, course_id))
    units = (await repository.units_of(session, [course_id]))[course_id]
    return views.course(r, course, await _units(session, r, units))


async def course_item(session: AsyncSession, r: Reader, course: Course) -> CourseItem:
    counts = await repository.unit_counts(session, [course.id or 0])
    return views.course_item(r, course, counts.get(course.id or 0, 0))


async def get_unit(session: AsyncSession, r: Reader, caller: Rights, unit_id: int) -> UnitRead:
    unit, _ = await _visible(session, caller, Unit, unit_id)
    return (await _units(session, r, [unit]))[0]


async def get_section(
    session: AsyncSession, r: Reader, caller: Rights, section_id: int
) -> SectionRead:
    section, course = await _visible(session, caller, Section, section_id)
    return (await _sections(session, r, [section], {section.unit_id: course.id or 0}))[0]


async def get_lesson(
    session: AsyncSession, r: Reader, caller: Rights, lesson_id: int
) -> LessonRead:
    lesson, _ = await _visible(session, caller, Lesson, lesson_id)
    return views.lesson(r, lesson)


async def get_practice(
    session: AsyncSession, r: Reader, caller: Rights, practice_id: int
) -> PracticeRead:
    practice, _ = await _visible(session, caller, Practice, practice_id)
    return (await _practices(session, r, [practice]))[practice.section_id]


async def get_question(
    session: AsyncSession, r: Reader, caller: Rights, question_id: int
) -> QuestionRead:
    question, _ = await _visible(session, caller, Question, question_id)
    built = (await _questions(session, r, [question]))[0]
    if r.learner:
        ready = (
            await session.execute(
                select(col(Question.id)).where(
                    col(Question.id) == question_id, repository.learner_ready()
                )
            )
        ).first()
        if ready is None:
            raise NotFound()
    return built


async def get_option(
    session: AsyncSession, r: Reader, caller: Rights, option_id: int
) -> OptionRead:
    option, _ = await _visible(session, caller, QuestionOption, option_id)
    if r.learner:
        await get_question(session, r, caller, option.question_id)
    return views.option(r, option)


# --------------------------------------------------------------------------- courses


async def _check_program(
    session: AsyncSession, values: dict[str, Any], lookup: Request | None
) -> None:
    program_id = values.get("program_id")
    if program_id is not None and await programs.get(session, program_id, request=lookup) is None:
        raise _invalid_pk("program", program_id)


async def save_course(
    session: AsyncSession,
    storage: Storage,
    *,
    data: BaseModel,
    files: Mapping[str, UploadFile],
    course: Course | None = None,
    lookup: Request | None = None,
) -> Course:
    """Create (``course`` None) or change a course; ``lookup`` lets a programme created
    a moment ago be asked of its owner once (with the caller's token)."""
    values = _columns(data)
    await _check_program(session, values, lookup)
    upload = files.get("cover_image")
    if upload is not None:
        image = await read_image(upload, field="cover_image")
        values["cover_image"] = await storage.save(
            folder=COVERS_FOLDER,
            data=image.data,
            content_type=image.content_type,
            extension=image.extension,
        )
    course = await records.write(session, Course, values, record=course, constraints=CONSTRAINTS)
    await events.course_changed(session, course)
    return course


async def delete_course(session: AsyncSession, course: Course) -> None:
    """Delete a course with all it holds, and say so for each published record."""
    course_id = course.id or 0
    await events.deleted_many(session, await repository.subtree(session, Course, course_id))
    await events.deleted(session, "course", course_id, course.version)
    await records.remove(session, course)


# --------------------------------------------------------------------------- units


async def save_unit(
    session: AsyncSession, caller: Rights, *, data: BaseModel, owned: Owned[Unit] | None = None
) -> Unit:
    values = _columns(data)
    unit = owned.record if owned else None
    target = _target(values, "course_id", unit.course_id if unit else None)
    if unit is None or target != unit.course_id:
        await _parent(session, caller, Course, target, "course")
    if unit is None and values.get("order") is None:
        values["order"] = await repository.next_order(session, col(Unit.course_id), target)
    moved = unit is not None and target != unit.course_id
    unit = await records.write(session, Unit, values, record=unit, constraints=CONSTRAINTS)
    await events.unit_changed(session, unit)
    if moved:
        # Sections and lessons publish their course: it changed with the unit.
        sections = (await repository.sections_of(session, [unit.id or 0]))[unit.id or 0]
        await events.republish_sections(session, sections, unit.course_id)
        lessons = await repository.lessons_of(session, [s.id or 0 for s in sections])
        await events.republish_lessons(
            session,
            [(lesson, unit.id or 0) for s in sections for lesson in lessons[s.id or 0]],
            unit.course_id,
        )
    return unit


async def delete_unit(session: AsyncSession, unit: Unit) -> None:
    unit_id = unit.id or 0
    await events.deleted_many(session, await repository.subtree(session, Unit, unit_id))
    await events.deleted(session, "unit", unit_id, unit.version)
    await records.remove(session, unit)


# --------------------------------------------------------------------------- sections


async def save_section(
    session: AsyncSession,
    caller: Rights,
    *,
    data: BaseModel,
    owned: Owned[Section] | None = None,
) -> tuple[Section, Course]:
    values = _columns(data)
    section = owned.record if owned else None
    course = owned.course if owned else None
    target = _target(values, "unit_id", section.unit_id if section else None)
    if section is None or target != section.unit_id:
        _, course = await _parent(session, caller, Unit, target, "unit")
    assert course is not None
    if section is None and values.get("order") is None:
        values["order"] = await repository.next_order(session, col(Section.unit_id), target)
    moved = section is not None and target != section.unit_id
    section = await records.write(session, Section, values, record=section, constraints=CONSTRAINTS)
    await events.section_changed(session, section, course.id or 0)
    if moved:
        lessons = (await repository.lessons_of(session, [section.id or 0]))[section.id or 0]
        await events.republish_lessons(
            session, [(lesson, section.unit_id) for lesson in lessons], course.id or 0
        )
    return section, course


async def delete_section(session: AsyncSession, section: Section) -> None:
    section_id = section.id or 0
    await events.deleted_many(session, await repository.subtree(session, Section, section_id))
    await events.deleted(session, "section", section_id, section.version)
    await records.remove(session, section)


# --------------------------------------------------------------------------- lessons


def _is_pdf(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\x00\t\n\r\f ")
    return head.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]


async def read_pdf(upload: UploadFile, *, max_bytes: int) -> bytes:
    """An uploaded PDF: 413 past ``max_bytes``, 400 on ``pdf_file`` when empty or not a PDF
    (by its content, whatever its name or declared type)."""
    if upload.size is not None and upload.size > max_bytes:
        raise PayloadTooLarge(
            f'The file in "pdf_file" is too large; the limit is {max_bytes // (1024 * 1024)} MB.'
        )
    with contextlib.suppress(Exception):
        await upload.seek(0)
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f'The file in "pdf_file" is too large; the limit is {max_bytes // (1024 * 1024)} MB.'
        )
    if not data:
        raise ValidationFailed({"pdf_file": ["The submitted file is empty."]})
    if not _is_pdf(data):
        raise ValidationFailed({"pdf_file": [PDF_ERROR]})
    return data


def _lesson_content(values: dict[str, Any], lesson: Lesson | None, uploading: bool) -> None:
    """The field the lesson's type needs is set, the others are empty: a field of
    another type sent with content is a 400; on a change of type, the old type's
    field is emptied."""
    kind: str = values.get("lesson_type") or (lesson.lesson_type if lesson else "")
    errors: dict[str, list[str]] = {}
    for other_kind, field in LESSON_FIELDS.items():
        if other_kind == kind:
            continue
        sent = uploading if field == "pdf_file" else bool(values.get(field))
        if sent:
            errors[field] = [f"Leave this empty for a {kind} lesson."]
        elif lesson is not None and getattr(lesson, field):
            values[field] = None if field == "pdf_file" else ""
    needed = LESSON_FIELDS[kind]
    if needed == "pdf_file":
        present = uploading or (lesson is not None and bool(lesson.pdf_file))
    elif needed in values:
        present = bool(values[needed])
    else:
        present = lesson is not None and bool(getattr(lesson, needed))
    if not present:
        what = "A PDF file" if needed == "pdf_file" else "This field"
        errors[needed] = [f"{what} is required for a {kind} lesson."]
    if errors:
        raise ValidationFailed(errors)


async def save_lesson(
    session: AsyncSession,
    caller: Rights,
    storage: Storage,
    *,
    data: BaseModel,
    files: Mapping[str, UploadFile],
    max_pdf_bytes: int,
    owned: Owned[Lesson] | None = None,
) -> Lesson:
    values = _columns(data)
    lesson = owned.record if owned else None
    target = _target(values, "section_id", lesson.section_id if lesson else None)
    section: Section | None = None
    course = owned.course if owned else None
    if lesson is None or target != lesson.section_id:
        section, course = await _parent(session, caller, Section, target, "section")
    assert course is not None
    upload = files.get("pdf_file")
    _lesson_content(values, lesson, upload is not None)
    if upload is not None:
        pdf = await read_pdf(upload, max_bytes=max_pdf_bytes)
        values["pdf_file"] = await storage.save(
            folder=PDF_FOLDER, data=pdf, content_type="application/pdf", extension="pdf"
        )
    if lesson is None and values.get("order") is None:
        values["order"] = await repository.next_order(session, col(Lesson.section_id), target)
    lesson = await records.write(session, Lesson, values, record=lesson, constraints=CONSTRAINTS)
    if section is None:
        section = await records.get_or_404(session, Section, lesson.section_id)
    await events.lesson_changed(session, lesson, section.unit_id, course.id or 0)
    return lesson


async def delete_lesson(session: AsyncSession, lesson: Lesson) -> None:
    await events.deleted(session, "lesson", lesson.id or 0, lesson.version)
    await records.remove(session, lesson)


async def pdf_of(
    session: AsyncSession,
    storage: Storage,
    *,
    lesson_id: int,
    caller: Rights | None,
    link: tuple[str, str] | None = None,
    links: PdfLinks | None = None,
) -> tuple[bytes, str]:
    """A PDF lesson's file and title: to a caller who may read the lesson, or (no
    caller) to the holder of a valid signed link ``(expires, signature)``."""
    found = await repository.get_with_course(session, Lesson, lesson_id)
    if caller is not None:
        if found is None:
            raise NotFound()
        caller.read(found[1])
    elif (
        found is None
        or link is None
        or links is None
        or not found[0].pdf_file
        or not links.valid(lesson_id, found[0].pdf_file, *link)
    ):
        raise PermissionDenied("This link has expired or is not valid for this lesson.")
    lesson = found[0]
    if lesson.lesson_type != "pdf" or not lesson.pdf_file:
        raise NotFound()
    stored = await storage.load(lesson.pdf_file)
    if stored is None:
        raise NotFound()
    return stored[0], lesson.title


# --------------------------------------------------------------------------- practices


async def save_practice(
    session: AsyncSession,
    caller: Rights,
    *,
    data: BaseModel,
    owned: Owned[Practice] | None = None,
) -> Practice:
    values = _columns(data)
    practice = owned.record if owned else None
    target = _target(values, "section_id", practice.section_id if practice else None)
    if practice is None or target != practice.section_id:
        await _parent(session, caller, Section, target, "section")
    return await records.write(session, Practice, values, record=practice, constraints=CONSTRAINTS)


# --------------------------------------------------------------------------- questions


async def save_question(
    session: AsyncSession,
    caller: Rights,
    *,
    data: BaseModel,
    owned: Owned[Question] | None = None,
) -> Question:
    values = _columns(data)
    question = owned.record if owned else None
    target = _target(values, "practice_id", question.practice_id if question else None)
    if question is None or target != question.practice_id:
        await _parent(session, caller, Practice, target, "practice")
    if question is None and values.get("order") is None:
        values["order"] = await repository.next_order(session, col(Question.practice_id), target)
    return await records.write(session, Question, values, record=question, constraints=CONSTRAINTS)


# --------------------------------------------------------------------------- options


async def save_option(
    session: AsyncSession,
    caller: Rights,
    *,
    data: BaseModel,
    owned: Owned[QuestionOption] | None = None,
) -> QuestionOption:
    values = _columns(data)
    option = owned.record if owned else None
    target = _target(values, "question_id", option.question_id if option else None)
    if option is None or target != option.question_id:
        question, _ = await _parent(session, caller, Question, target, "question")
        if question.question_type == "short_answer":
            raise ValidationFailed({"question": ["A short-answer question takes no options."]})
    if option is None and values.get("order") is None:
        values["order"] = await repository.next_order(
            session, col(QuestionOption.question_id), target
        )
    return await records.write(
        session, QuestionOption, values, record=option, constraints=CONSTRAINTS
    )


async def remove(session: AsyncSession, record: SQLModel) -> None:
    """Delete a practice, question or option (with what it holds): none is published."""
    await records.remove(session, record)
