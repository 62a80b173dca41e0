"""Tables of the content service (tables only; statements live in repository.py).

A course holds units, a unit sections, a section lessons and at most one
practice, a practice questions, a question options. Each child's ``order`` is
unique within its parent; deleting a parent deletes what it holds (ON DELETE
CASCADE).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Text, func
from sqlmodel import Field, SQLModel

LESSON_TYPES = ("video", "pdf", "text", "link")
QUESTION_TYPES = ("mcq", "true_false", "short_answer")


def _ts() -> Column[dt.datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Course(SQLModel, table=True):
    __tablename__ = "courses"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255)
    description: str = Field(default="", sa_type=Text)
    cover_image: str | None = Field(default=None, max_length=512)  # a storage key
    is_active: bool = True
    order: int = 0
    program_id: int | None = None  # a training programme of the programs service
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class Unit(SQLModel, table=True):
    __tablename__ = "units"

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="courses.id")
    name: str = Field(max_length=255)
    description: str = Field(default="", sa_type=Text)
    order: int = 0
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class Section(SQLModel, table=True):
    __tablename__ = "sections"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="units.id")
    name: str = Field(max_length=255)
    description: str = Field(default="", sa_type=Text)
    about: str = Field(default="", sa_type=Text)
    order: int = 0
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class Lesson(SQLModel, table=True):
    __tablename__ = "lessons"

    id: int | None = Field(default=None, primary_key=True)
    section_id: int = Field(foreign_key="sections.id")
    title: str = Field(max_length=255)
    lesson_type: str = Field(max_length=10)
    text_content: str = Field(default="", sa_type=Text)
    video_url: str = Field(default="", max_length=500)
    pdf_file: str | None = Field(default=None, max_length=512)  # a storage key
    external_url: str = Field(default="", max_length=500)
    order: int = 0
    duration_minutes: int | None = None
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class Practice(SQLModel, table=True):
    __tablename__ = "practices"

    id: int | None = Field(default=None, primary_key=True)
    section_id: int = Field(foreign_key="sections.id")  # unique: one per section
    instructions: str = Field(default="", sa_type=Text)
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class Question(SQLModel, table=True):
    __tablename__ = "practice_questions"

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practices.id")
    question_text: str = Field(sa_type=Text)
    question_type: str = Field(default="mcq", max_length=20)
    points: int = 1
    order: int = 0
    explanation: str = Field(default="", sa_type=Text)
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class QuestionOption(SQLModel, table=True):
    __tablename__ = "question_options"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="practice_questions.id")
    option_text: str = Field(max_length=500)
    is_correct: bool = False
    order: int = 0
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
