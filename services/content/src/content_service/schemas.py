"""Request and response shapes of the content API (wire names as the web client uses them).

References are written as ids (``course``, ``unit``, ``section``, ``practice``,
``question``); reads nest children in order: a course its units, a unit its
sections, a section its lessons and practice, a practice its questions, a
question its options.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    field_validator,
)

from entraide_kit.pagination import Page
from entraide_kit.types import Url as HttpUrlAsSent

LessonType = Literal["video", "pdf", "text", "link"]
QuestionType = Literal["mcq", "true_false", "short_answer"]


Name = Annotated[str, StringConstraints(min_length=1, max_length=255, strip_whitespace=True)]
OptionText = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=100_000)]
RequiredText = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


def _at_most_500(value: str) -> str:
    if len(value) > 500:
        raise ValueError("Ensure this field has no more than 500 characters.")
    return value


Url = Annotated[HttpUrlAsSent, AfterValidator(_at_most_500)]


def _not_a_bool(value: Any) -> Any:
    # Lax parsing would take false for 0 (found by bench/fuzz.py): a bool is no number.
    if isinstance(value, bool):
        raise ValueError("A valid integer is required.")
    return value


Number = Annotated[int, BeforeValidator(_not_a_bool)]
Order = Annotated[Number, Field(ge=0, le=1_000_000)]
Minutes = Annotated[Number, Field(ge=0, le=100_000)]
Points = Annotated[Number, Field(ge=0, le=1000)]
Ref = Annotated[Number, Field(ge=1)]


class _Input(BaseModel):
    """Optional text takes null and "" alike (a form sends "" for an empty field)."""

    @field_validator("*", mode="before")
    @classmethod
    def _blank_to_none(cls, value: Any) -> Any:
        return None if value == "" else value


# --------------------------------------------------------------------------- writes


class CourseUpdate(_Input):
    name: Name | None = None
    description: Text | None = None
    is_active: bool | None = None
    order: Order | None = None
    program: Ref | None = None


class CourseCreate(CourseUpdate):
    name: Name


class UnitUpdate(_Input):
    course: Ref | None = None
    name: Name | None = None
    description: Text | None = None
    order: Order | None = None


class UnitCreate(UnitUpdate):
    course: Ref
    name: Name


class SectionUpdate(_Input):
    unit: Ref | None = None
    name: Name | None = None
    description: Text | None = None
    about: Text | None = None
    order: Order | None = None


class SectionCreate(SectionUpdate):
    unit: Ref
    name: Name


class LessonUpdate(_Input):
    section: Ref | None = None
    title: Name | None = None
    lesson_type: LessonType | None = None
    text_content: Text | None = None
    video_url: Url | None = None
    external_url: Url | None = None
    order: Order | None = None
    duration_minutes: Minutes | None = None


class LessonCreate(LessonUpdate):
    section: Ref
    title: Name
    lesson_type: LessonType


class PracticeUpdate(_Input):
    section: Ref | None = None
    instructions: Text | None = None


class PracticeCreate(PracticeUpdate):
    section: Ref


class QuestionUpdate(_Input):
    practice: Ref | None = None
    question_text: RequiredText | None = None
    question_type: QuestionType | None = None
    points: Points | None = None
    order: Order | None = None
    explanation: Text | None = None


class QuestionCreate(QuestionUpdate):
    practice: Ref
    question_text: RequiredText


class OptionUpdate(_Input):
    question: Ref | None = None
    option_text: OptionText | None = None
    is_correct: bool | None = None
    order: Order | None = None


class OptionCreate(OptionUpdate):
    question: Ref
    option_text: OptionText


# --------------------------------------------------------------------------- reads
# Students get questions without ``explanation`` and options without
# ``is_correct``: those keys are left unset and the answer drops unset keys.


class OptionRead(BaseModel):
    id: int
    question: int
    option_text: str
    is_correct: bool | None = None
    order: int
    created_at: dt.datetime
    updated_at: dt.datetime


class QuestionRead(BaseModel):
    id: int
    practice: int
    question_text: str
    question_type: QuestionType
    points: int
    order: int
    explanation: str | None = None
    options: list[OptionRead]
    options_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PracticeRead(BaseModel):
    id: int
    section: int
    instructions: str
    questions: list[QuestionRead]
    questions_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


class LessonRead(BaseModel):
    id: int
    section: int
    title: str
    lesson_type: LessonType
    text_content: str
    video_url: str
    pdf_file: str | None = Field(
        description="A PDF lesson's file: a signed link to `pdf_proxy/` that works without "
        "a token (a new browser tab) until it expires; null for other types."
    )
    pdf_proxy_url: str | None = Field(description="The same signed link.")
    pdf_link_expires_at: dt.datetime | None = None
    external_url: str
    order: int
    duration_minutes: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SectionRead(BaseModel):
    id: int
    unit: int
    course: int
    name: str
    description: str
    about: str
    order: int
    lessons: list[LessonRead]
    lessons_count: int
    practice: PracticeRead | None
    created_at: dt.datetime
    updated_at: dt.datetime


class UnitRead(BaseModel):
    id: int
    course: int
    name: str
    description: str
    order: int
    sections: list[SectionRead]
    sections_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CourseItem(BaseModel):
    """A course in a list: without its content."""

    id: int
    name: str
    description: str
    cover_image: str | None
    is_active: bool
    order: int
    units_count: int
    program: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CourseRead(CourseItem):
    """A course with its whole content, in order."""

    units: list[UnitRead]


CoursePage = Page[CourseItem]
UnitPage = Page[UnitRead]
SectionPage = Page[SectionRead]
LessonPage = Page[LessonRead]
PracticePage = Page[PracticeRead]
QuestionPage = Page[QuestionRead]
OptionPage = Page[OptionRead]
