"""Tables of the schedule service (tables only; queries live in repository.py).

``schedule_sessions`` also has a generated ``span`` column (seconds of the day,
``[start, end)``) that only the migration knows: the exclusion constraints use
it, the code never reads it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Text, func
from sqlmodel import Field, SQLModel

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
STATUSES = ("scheduled", "cancelled", "completed", "rescheduled")


def _ts() -> Column[dt.datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ScheduleSession(SQLModel, table=True):
    """A weekly template: every <day>, <start>-<end>, a trainer teaches a course."""

    __tablename__ = "schedule_sessions"

    id: int | None = Field(default=None, primary_key=True)
    day: str = Field(max_length=9)
    start_time: dt.time
    end_time: dt.time
    academic_year: str = Field(max_length=9)
    is_active: bool = True
    trainer_id: int = Field(index=True)
    room_id: int | None = Field(default=None, index=True)
    group_id: int | None = Field(default=None, index=True)
    training_course_id: int = Field(index=True)
    # The training course's centre (from the course copy), kept current by its events.
    center_id: int | None = Field(default=None, index=True)
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class SessionInstance(SQLModel, table=True):
    """One occurrence of a template on a date (cancelled, moved, completed...)."""

    __tablename__ = "session_instances"

    id: int | None = Field(default=None, primary_key=True)
    schedule_template_id: int = Field(foreign_key="schedule_sessions.id")
    specific_date: dt.date = Field(index=True)
    custom_start_time: dt.time | None = None
    custom_end_time: dt.time | None = None
    custom_room_id: int | None = Field(default=None, index=True)
    custom_trainer_id: int | None = Field(default=None, index=True)
    status: str = Field(default="scheduled", max_length=12)
    notes: str = Field(default="", sa_type=Text)
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
