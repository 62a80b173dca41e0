"""Tables of the programs service (tables only; queries live in repository.py).

References to records other services own (a centre, a group, a trainer's
user) are plain ids, checked against the read copies (copies.py) when written:
no foreign key to a copy table, so rebuilding the copies never touches them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Text, func
from sqlmodel import Field, SQLModel


def _ts() -> Column[dt.datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Program(SQLModel, table=True):
    """A training programme (wire name ``trainingprogrames``)."""

    __tablename__ = "training_programs"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    description: str = Field(default="", sa_type=Text)
    duration_years: int = 1
    logo: str | None = Field(default=None, max_length=500)
    version: int = 1
    created_at: dt.datetime = Field(sa_column=_ts())
    updated_at: dt.datetime = Field(sa_column=_ts())


class AnnualDistribution(SQLModel, table=True):
    """An annual course distribution of a programme (wire field ``programe``)."""

    __tablename__ = "annual_course_distributions"

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="training_programs.id", index=True)
    academic_year: str = Field(max_length=9, index=True)
    trainer_id: int | None = Field(default=None, index=True)
    version: int = 1
    created_at: dt.datetime = Field(sa_column=_ts())
    updated_at: dt.datetime = Field(sa_column=_ts())


class WeeklyPlan(SQLModel, table=True):
    """A weekly course plan inside an annual distribution."""

    __tablename__ = "weekly_course_plans"

    id: int | None = Field(default=None, primary_key=True)
    annual_distribution_id: int = Field(foreign_key="annual_course_distributions.id", index=True)
    month: int = 1
    week_number: int = 1
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    trainer_id: int | None = Field(default=None, index=True)
    version: int = 1
    created_at: dt.datetime = Field(sa_column=_ts())
    updated_at: dt.datetime = Field(sa_column=_ts())


class TrainingCourse(SQLModel, table=True):
    """A programme taught in a centre by a trainer during an academic year."""

    __tablename__ = "training_courses"

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="training_programs.id", index=True)
    center_id: int = Field(index=True)
    trainer_id: int = Field(index=True)
    academic_year: str = Field(max_length=9, index=True)
    version: int = 1
    created_at: dt.datetime = Field(sa_column=_ts())
    updated_at: dt.datetime = Field(sa_column=_ts())


class Teacher(SQLModel, table=True):
    """A trainer's staff record; its user lives in auth (role trainer)."""

    __tablename__ = "teachers"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(unique=True)
    center_id: int = Field(index=True)
    program_id: int | None = Field(default=None, foreign_key="training_programs.id", index=True)
    contract_with: str = Field(default="entraide", max_length=20)
    contract_start_date: dt.date | None = None
    contract_end_date: dt.date | None = None
    version: int = 1
    created_at: dt.datetime = Field(sa_column=_ts())
    updated_at: dt.datetime = Field(sa_column=_ts())


class TeacherGroup(SQLModel, table=True):
    """A group (of the centers service) a teacher teaches."""

    __tablename__ = "teacher_groups"

    teacher_id: int = Field(foreign_key="teachers.id", primary_key=True)
    group_id: int = Field(primary_key=True, index=True)
