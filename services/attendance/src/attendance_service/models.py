"""Tables of the attendance service (tables only; queries live in repository.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Text, func
from sqlmodel import Field, SQLModel


def _ts() -> Column[dt.datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AttendanceRecord(SQLModel, table=True):
    __tablename__ = "attendance_records"

    id: int | None = Field(default=None, primary_key=True)
    date: dt.date
    student_id: int
    session_template_id: int | None = None
    session_instance_id: int | None = None
    status: str = Field(default="absent", max_length=10)
    notes: str = Field(default="", sa_type=Text)
    # From the session when recorded (kept current by schedule's events): what
    # statistics filter on, without joining.
    group_id: int | None = None
    trainer_id: int | None = None
    center_id: int | None = None
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
