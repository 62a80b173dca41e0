"""Tables of the attendance service (tables only; queries live in repository.py)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
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
    # An absence covered by an approved justification (issue 20).
    is_justified: bool = False
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class Justification(SQLModel, table=True):
    """A student's justification of their absences from ``date_from`` to ``date_to``."""

    __tablename__ = "justifications"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int
    center_id: int | None = None
    group_id: int | None = None
    date_from: dt.date
    date_to: dt.date
    reason: str = Field(sa_type=Text)
    document: str | None = Field(default=None, max_length=500)
    status: str = Field(default="pending", max_length=10)
    created_by: int
    decided_by: int | None = None
    decided_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    comment: str = Field(default="", sa_type=Text)
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class AlertRule(SQLModel, table=True):
    """A centre's alert rules (a centre without a row has the defaults)."""

    __tablename__ = "alert_rules"

    center_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    consecutive_absences: int = 3
    absence_rate_threshold: float = 20.0
    min_records: int = 10
    enabled: bool = True
    updated_by: int | None = None
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


class Alert(SQLModel, table=True):
    """A student's attendance alert: open, acknowledged, then resolved by itself."""

    __tablename__ = "alerts"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int
    group_id: int | None = None
    center_id: int | None = None
    training_course_id: int | None = None
    kind: str = Field(max_length=30)
    value: float
    threshold: float
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    status: str = Field(default="open", max_length=15)
    acknowledged_by: int | None = None
    acknowledged_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    note: str = Field(default="", sa_type=Text)
    resolved_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    version: int = 1
    created_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())
    updated_at: dt.datetime = Field(default_factory=_now, sa_column=_ts())


#: Records counted per centre, group and day, kept by triggers on the records
#: (migration 0007): what the network roll-ups add up instead of the records.
day_counts = sa.Table(
    "attendance_day_counts",
    SQLModel.metadata,
    sa.Column("center_id", sa.Integer, nullable=True),
    sa.Column("group_id", sa.Integer, nullable=True),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("present", sa.Integer, nullable=False),
    sa.Column("late", sa.Integer, nullable=False),
    sa.Column("absent", sa.Integer, nullable=False),
    sa.Column("justified", sa.Integer, nullable=False),
)
