"""Read shapes built from rows (children loaded in bulk beforehand), and the answer
written once as JSON bytes (no second validation by a response model).

A row is a lean row of its table (``entraide_kit.fastread``, on reads) or the
record itself (the answer of a write): both are read by attribute, the columns'
names, so the annotations name the records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Response
from pydantic import BaseModel

from entraide_kit.storage import Storage

from .links import PdfLinks
from .models import Course, Lesson, Practice, Question, QuestionOption, Section, Unit
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

# Cover images are served by this service under its public prefix, through the
# gateway (PDFs never are: only through a lesson's pdf_proxy/).
MEDIA_PATH = "/api/courses/media"
COVERS_FOLDER = "content/covers"
PDF_FOLDER = "content/pdfs"


@dataclass(frozen=True, slots=True)
class Reader:
    """How answers are written for one caller: links on the host they called,
    and whether they are a learner (no answers shown)."""

    base_url: str
    storage: Storage
    links: PdfLinks
    learner: bool

    def media(self, key: str | None) -> str | None:
        if not key:
            return None
        return self.storage.url(key, base_url=self.base_url)


def answer(model: BaseModel, status_code: int = 200) -> Response:
    """The JSON of an answer; keys left unset (hidden from learners) are left out."""
    return Response(
        model.model_dump_json(exclude_unset=True),
        status_code=status_code,
        media_type="application/json",
    )


def option(r: Reader, o: QuestionOption) -> OptionRead:
    fields: dict[str, Any] = {
        "id": o.id or 0,
        "question": o.question_id,
        "option_text": o.option_text,
        "order": o.order,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    }
    if not r.learner:
        fields["is_correct"] = o.is_correct
    return OptionRead(**fields)


def question(r: Reader, q: Question, options: list[QuestionOption]) -> QuestionRead:
    fields: dict[str, Any] = {
        "id": q.id or 0,
        "practice": q.practice_id,
        "question_text": q.question_text,
        "question_type": q.question_type,
        "points": q.points,
        "order": q.order,
        "options": [option(r, o) for o in options],
        "options_count": len(options),
        "created_at": q.created_at,
        "updated_at": q.updated_at,
    }
    if not r.learner:
        fields["explanation"] = q.explanation
    return QuestionRead(**fields)


def practice(p: Practice, questions: list[QuestionRead]) -> PracticeRead:
    return PracticeRead(
        id=p.id or 0,
        section=p.section_id,
        instructions=p.instructions,
        questions=questions,
        questions_count=len(questions),
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def lesson(r: Reader, lesson: Lesson) -> LessonRead:
    link = expires = None
    if lesson.lesson_type == "pdf" and lesson.pdf_file:
        query, expires = r.links.sign(lesson.id or 0, lesson.pdf_file)
        link = f"{r.base_url}/api/courses/lessons/{lesson.id}/pdf_proxy/?{query}"
    return LessonRead(
        id=lesson.id or 0,
        section=lesson.section_id,
        title=lesson.title,
        lesson_type=lesson.lesson_type,
        text_content=lesson.text_content,
        video_url=lesson.video_url,
        pdf_file=link,
        pdf_proxy_url=link,
        pdf_link_expires_at=expires,
        external_url=lesson.external_url,
        order=lesson.order,
        duration_minutes=lesson.duration_minutes,
        created_at=lesson.created_at,
        updated_at=lesson.updated_at,
    )


def section(
    s: Section, course_id: int, lessons: list[LessonRead], practice: PracticeRead | None
) -> SectionRead:
    return SectionRead(
        id=s.id or 0,
        unit=s.unit_id,
        course=course_id,
        name=s.name,
        description=s.description,
        about=s.about,
        order=s.order,
        lessons=lessons,
        lessons_count=len(lessons),
        practice=practice,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


def unit(u: Unit, sections: list[SectionRead]) -> UnitRead:
    return UnitRead(
        id=u.id or 0,
        course=u.course_id,
        name=u.name,
        description=u.description,
        order=u.order,
        sections=sections,
        sections_count=len(sections),
        created_at=u.created_at,
        updated_at=u.updated_at,
    )


def _course_fields(r: Reader, c: Course, units_count: int) -> dict[str, Any]:
    return {
        "id": c.id or 0,
        "name": c.name,
        "description": c.description,
        "cover_image": r.media(c.cover_image),
        "is_active": c.is_active,
        "order": c.order,
        "units_count": units_count,
        "program": c.program_id,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def course_item(r: Reader, c: Course, units_count: int) -> CourseItem:
    return CourseItem(**_course_fields(r, c, units_count))


def course(r: Reader, c: Course, units: list[UnitRead]) -> CourseRead:
    return CourseRead(**_course_fields(r, c, len(units)), units=units)
