"""What the content service publishes (what it consumes is in ``handlers``).

Publishes (``entraide.content.<entity>.<id>``), one typed payload per entity
(its model in ``entraide_kit.contracts``, built here with it):
- ``course``: id, name, is_active, order, program
- ``unit``: id, course, name, order
- ``section``: id, unit, course, name, order
- ``lesson``: id, section, unit, course, title, lesson_type, order, duration_minutes
Every change bumps the record's version; deletes are ``op=delete`` with the
version after the last upsert, and deleting a course, unit or section
publishes the deletion of the units, sections and lessons it held. A unit
moved to another course re-publishes its sections and lessons (their
``course`` changed); a section moved to another unit its lessons.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit import records
from entraide_kit.contracts import Course as CoursePayload
from entraide_kit.contracts import Lesson as LessonPayload
from entraide_kit.contracts import Section as SectionPayload
from entraide_kit.contracts import Unit as UnitPayload
from entraide_kit.events import Outbox

from .models import Course, Lesson, Section, Unit

OUTBOX = Outbox("content")


async def course_changed(session: AsyncSession, c: Course) -> None:
    payload = CoursePayload(
        id=c.id or 0, name=c.name, is_active=c.is_active, order=c.order, program=c.program_id
    )
    await OUTBOX.upsert(session, "course", c.id or 0, c.version, payload.model_dump())


async def unit_changed(session: AsyncSession, u: Unit) -> None:
    payload = UnitPayload(id=u.id or 0, course=u.course_id, name=u.name, order=u.order)
    await OUTBOX.upsert(session, "unit", u.id or 0, u.version, payload.model_dump())


def _section(s: Section, course_id: int) -> dict[str, Any]:
    return SectionPayload(
        id=s.id or 0, unit=s.unit_id, course=course_id, name=s.name, order=s.order
    ).model_dump()


async def section_changed(session: AsyncSession, s: Section, course_id: int) -> None:
    await OUTBOX.upsert(session, "section", s.id or 0, s.version, _section(s, course_id))


def _lesson(lesson: Lesson, unit_id: int, course_id: int) -> dict[str, Any]:
    return LessonPayload(
        id=lesson.id or 0,
        section=lesson.section_id,
        unit=unit_id,
        course=course_id,
        title=lesson.title,
        lesson_type=lesson.lesson_type,
        order=lesson.order,
        duration_minutes=lesson.duration_minutes,
    ).model_dump()


async def lesson_changed(
    session: AsyncSession, lesson: Lesson, unit_id: int, course_id: int
) -> None:
    payload = _lesson(lesson, unit_id, course_id)
    await OUTBOX.upsert(session, "lesson", lesson.id or 0, lesson.version, payload)


async def deleted(session: AsyncSession, entity: str, entity_id: int, version: int) -> None:
    # One past the last upsert, so the deletion wins over any late copy of it.
    await OUTBOX.delete(session, entity, entity_id, version + 1)


async def deleted_many(session: AsyncSession, rows: dict[str, list[tuple[int, int]]]) -> None:
    envelopes = [
        OUTBOX.envelope(entity, record_id, version + 1, None, "delete")
        for entity, pairs in rows.items()
        for record_id, version in pairs
    ]
    await OUTBOX.add(session, envelopes)


async def republish_sections(
    session: AsyncSession, sections: Iterable[Section], course_id: int
) -> None:
    """Bump and re-publish sections whose snapshot changed with their unit's course:
    one flush and one outbox write for all of them."""
    sections = list(sections)
    for s in sections:
        await records.save_unflushed(s, {})
    await session.flush()
    await OUTBOX.add(
        session,
        [
            OUTBOX.envelope("section", s.id or 0, s.version, _section(s, course_id), "upsert")
            for s in sections
        ],
    )


async def republish_lessons(
    session: AsyncSession, lessons: Iterable[tuple[Lesson, int]], course_id: int
) -> None:
    """The same for lessons (``lessons``: (lesson, its unit id))."""
    lessons = list(lessons)
    for lesson, _ in lessons:
        await records.save_unflushed(lesson, {})
    await session.flush()
    await OUTBOX.add(
        session,
        [
            OUTBOX.envelope(
                "lesson", lesson.id or 0, lesson.version, _lesson(lesson, unit, course_id), "upsert"
            )
            for lesson, unit in lessons
        ],
    )
