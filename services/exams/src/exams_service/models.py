"""Tables of the exams service (tables only; queries live in repository.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, DateTime, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Column[dt.datetime]:
    return Column(
        DateTime(timezone=True), nullable=nullable, server_default=None if nullable else func.now()
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Question(SQLModel, table=True):
    __tablename__ = "questions"

    id: int | None = Field(default=None, primary_key=True)
    training_id: int
    week_id: int | None = None
    type: str = Field(max_length=3)
    question_text: str = Field(sa_type=Text)
    options: Any = Field(default=None, sa_type=JSONB)
    correct_answer: Any = Field(default=None, sa_type=JSONB)
    points: float = 1.0
    added_by: int
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class Exam(SQLModel, table=True):
    __tablename__ = "exams"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(default="", max_length=255)
    exam_type: str = Field(max_length=20)
    student_id: int  # the student's user id
    training_id: int
    status: str = Field(default="draft", max_length=10)
    score: float | None = None
    total_points: float = 0.0
    created_by: int
    completed_at: dt.datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class ExamQuestion(SQLModel, table=True):
    __tablename__ = "exam_questions"

    exam_id: int = Field(primary_key=True, foreign_key="exams.id")
    question_id: int = Field(primary_key=True, foreign_key="questions.id")
    position: int = 0


class Submission(SQLModel, table=True):
    __tablename__ = "submissions"

    id: int | None = Field(default=None, primary_key=True)
    exam_id: int = Field(foreign_key="exams.id")
    question_id: int = Field(foreign_key="questions.id")
    student_id: int
    student_answer: Any = Field(default=None, sa_type=JSONB)
    # None until graded (SA and LA wait for a trainer).
    points: float | None = None
    graded_by: int | None = None
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
