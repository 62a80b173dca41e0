"""Rules of the content service's writes: each gets the record it changes locked
(loaded by the router's path dependency, ``access.for_write`` or
``course_for_write``, before the body is read: a missing record is a 404 first),
checks the caller's rights on its course, writes, publishes and answers with the
record as it is read back. Writes go through the records and the outbox and never
commit (the request's session does); reads are in ``reads``, lessons and their
PDFs in ``lessons``, the lookups every rule starts from in ``access``.

Who may do what is in ``policies``: every write goes through the course's write
rights (a 403 for a visible course that is not theirs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col
from starlette.datastructures import UploadFile

from entraide_kit import records
from entraide_kit.context import Context
from entraide_kit.copies.programs import programs
from entraide_kit.errors import ValidationFailed
from entraide_kit.storage import read_image

from . import answers, events, reads, repository
from .access import Owned, for_write, invalid_pk, parent_of
from .answers import COVERS_FOLDER, Reader
from .models import Course, Practice, Question, QuestionOption, Section, Unit
from .policies import Rights
from .schemas import CourseItem, OptionRead, PracticeRead, QuestionRead, SectionRead, UnitRead

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
    "uq_practice_questions_practice_order": (
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
    "fk_question_id_practice_questions": ("question", "Invalid pk - object does not exist."),
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


def columns(data: BaseModel) -> dict[str, Any]:
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


def target_of(values: Mapping[str, Any], column: str, current: int | None) -> int:
    """The parent a write puts a record under: the one sent, else the current one."""
    target = values.get(column, current)
    assert target is not None  # a create's body requires it
    return int(target)


async def default_order(
    session: AsyncSession,
    values: dict[str, Any],
    record: SQLModel | None,
    parent: Any,
    parent_id: int,
) -> None:
    """A new record sent without ``order`` goes after its parent's last child."""
    if record is None and values.get("order") is None:
        values["order"] = await repository.next_order(session, parent, parent_id)


def _wire(column: str) -> str:
    for wire, name in RENAMES.items():
        if name == column:
            return wire
    return column


# --------------------------------------------------------------------------- courses


async def _check_program(session: AsyncSession, ctx: Context, values: dict[str, Any]) -> None:
    """A programme created a moment ago is asked of its owner once (with the caller's token)."""
    program_id = values.get("program_id")
    if program_id is not None and await programs.get(session, program_id, ctx=ctx) is None:
        raise invalid_pk("program", program_id)


async def save_course(
    session: AsyncSession,
    ctx: Context,
    r: Reader,
    *,
    data: BaseModel,
    files: Mapping[str, UploadFile],
    course: Course | None = None,
) -> CourseItem:
    """Create (no ``course``) or change a course (PUT or PATCH: the fields sent;
    ``course`` as ``course_for_write`` locked it)."""
    values = columns(data)
    await _check_program(session, ctx, values)
    upload = files.get("cover_image")
    if upload is not None:
        image = await read_image(upload, field="cover_image")
        values["cover_image"] = await r.storage.save(
            folder=COVERS_FOLDER,
            data=image.data,
            content_type=image.content_type,
            extension=image.extension,
        )
    course = await records.write(session, Course, values, record=course, constraints=CONSTRAINTS)
    await events.course_changed(session, course)
    return await reads.course_item(session, r, course)


async def course_for_write(session: AsyncSession, course_id: int) -> Course:
    """The course about to change, locked (a 404 before its body is read)."""
    return await repository.courses.require(session, course_id, for_update=True)


async def delete_course(session: AsyncSession, course_id: int) -> None:
    """Delete a course with all it holds, and say so for each published record."""
    course = await repository.courses.require(session, course_id, for_update=True)
    await events.deleted_many(session, await repository.subtree(session, Course, course_id))
    await events.deleted(session, "course", course_id, course.version)
    await records.remove(session, course)


# --------------------------------------------------------------------------- units


async def _write_unit(
    session: AsyncSession, caller: Rights, data: BaseModel, owned: Owned[Unit] | None
) -> Unit:
    values = columns(data)
    unit = owned.record if owned else None
    target = target_of(values, "course_id", unit.course_id if unit else None)
    if unit is None or target != unit.course_id:
        await parent_of(session, caller, Course, target, "course")
    await default_order(session, values, unit, col(Unit.course_id), target)
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


async def save_unit(
    session: AsyncSession,
    r: Reader,
    caller: Rights,
    *,
    data: BaseModel,
    owned: Owned[Unit] | None = None,
) -> UnitRead:
    """Add a unit to a course, or change one (PUT or PATCH: the fields sent; ``owned``
    as ``access.for_write`` locked it)."""
    unit = await _write_unit(session, caller, data, owned)
    return await reads.get_unit(session, r, caller, unit.id or 0)


async def delete_unit(session: AsyncSession, caller: Rights, unit_id: int) -> None:
    """Delete a unit with its sections, lessons and practices."""
    unit = (await for_write(session, caller, Unit, unit_id)).record
    await events.deleted_many(session, await repository.subtree(session, Unit, unit_id))
    await events.deleted(session, "unit", unit_id, unit.version)
    await records.remove(session, unit)


# --------------------------------------------------------------------------- sections


async def _write_section(
    session: AsyncSession, caller: Rights, data: BaseModel, owned: Owned[Section] | None
) -> Section:
    values = columns(data)
    section = owned.record if owned else None
    course = owned.course if owned else None
    target = target_of(values, "unit_id", section.unit_id if section else None)
    if section is None or target != section.unit_id:
        _, course = await parent_of(session, caller, Unit, target, "unit")
    assert course is not None
    await default_order(session, values, section, col(Section.unit_id), target)
    moved = section is not None and target != section.unit_id
    section = await records.write(session, Section, values, record=section, constraints=CONSTRAINTS)
    await events.section_changed(session, section, course.id or 0)
    if moved:
        lessons = (await repository.lessons_of(session, [section.id or 0]))[section.id or 0]
        await events.republish_lessons(
            session, [(lesson, section.unit_id) for lesson in lessons], course.id or 0
        )
    return section


async def save_section(
    session: AsyncSession,
    r: Reader,
    caller: Rights,
    *,
    data: BaseModel,
    owned: Owned[Section] | None = None,
) -> SectionRead:
    """Add a section to a unit, or change one (PUT or PATCH: the fields sent)."""
    section = await _write_section(session, caller, data, owned)
    return await reads.get_section(session, r, caller, section.id or 0)


async def delete_section(session: AsyncSession, caller: Rights, section_id: int) -> None:
    """Delete a section with its lessons and practice."""
    section = (await for_write(session, caller, Section, section_id)).record
    await events.deleted_many(session, await repository.subtree(session, Section, section_id))
    await events.deleted(session, "section", section_id, section.version)
    await records.remove(session, section)


# --------------------------------------------------------------------------- practices


async def save_practice(
    session: AsyncSession,
    r: Reader,
    caller: Rights,
    *,
    data: BaseModel,
    owned: Owned[Practice] | None = None,
) -> PracticeRead:
    """Add the practice of a section, or change one (PUT or PATCH: the fields sent)."""
    values = columns(data)
    practice = owned.record if owned else None
    target = target_of(values, "section_id", practice.section_id if practice else None)
    if practice is None or target != practice.section_id:
        await parent_of(session, caller, Section, target, "section")
    practice = await records.write(
        session, Practice, values, record=practice, constraints=CONSTRAINTS
    )
    return await reads.get_practice(session, r, caller, practice.id or 0)


# --------------------------------------------------------------------------- questions


async def save_question(
    session: AsyncSession,
    r: Reader,
    caller: Rights,
    *,
    data: BaseModel,
    owned: Owned[Question] | None = None,
) -> QuestionRead:
    """Add a question to a practice, or change one (PUT or PATCH: the fields sent)."""
    values = columns(data)
    question = owned.record if owned else None
    target = target_of(values, "practice_id", question.practice_id if question else None)
    if question is None or target != question.practice_id:
        await parent_of(session, caller, Practice, target, "practice")
    await default_order(session, values, question, col(Question.practice_id), target)
    question = await records.write(
        session, Question, values, record=question, constraints=CONSTRAINTS
    )
    return await reads.get_question(session, r, caller, question.id or 0)


# --------------------------------------------------------------------------- options


async def save_option(
    session: AsyncSession,
    r: Reader,
    caller: Rights,
    *,
    data: BaseModel,
    owned: Owned[QuestionOption] | None = None,
) -> OptionRead:
    """Add an option to a question, or change one (PUT or PATCH: the fields sent)."""
    values = columns(data)
    option = owned.record if owned else None
    target = target_of(values, "question_id", option.question_id if option else None)
    if option is None or target != option.question_id:
        question, _ = await parent_of(session, caller, Question, target, "question")
        if question.question_type == "short_answer":
            raise ValidationFailed({"question": ["A short-answer question takes no options."]})
    await default_order(session, values, option, col(QuestionOption.question_id), target)
    option = await records.write(
        session, QuestionOption, values, record=option, constraints=CONSTRAINTS
    )
    return answers.option(r, option)


async def remove(
    session: AsyncSession,
    caller: Rights,
    model: type[Practice | Question | QuestionOption],
    pk: int,
) -> None:
    """Delete a practice, question or option (with what it holds): none is published."""
    record: SQLModel = (await for_write(session, caller, model, pk)).record
    await records.remove(session, record)
