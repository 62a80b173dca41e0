"""Tables of the students service (tables only; queries live in repository.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, func
from sqlmodel import Field, SQLModel


def _ts() -> Column[dt.datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Student(SQLModel, table=True):
    __tablename__ = "students"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(unique=True)
    exam_id: str = Field(max_length=20, unique=True)
    center_code: str = Field(default="", max_length=20)
    center_id: int = Field(index=True)
    program_id: int = Field(index=True)
    academic_year: str = Field(max_length=9)
    joining_date: dt.date
    training_course_id: int | None = Field(default=None, index=True)
    group_id: int | None = Field(default=None, index=True)
    # The student's national id, kept here to refuse duplicates at import.
    cin_id: str | None = Field(default=None, max_length=20)
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
