"""Copies of the schedule service's weekly templates and session instances
(only attendance keeps them, so they live here, not in the kit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from entraide_kit.copies.base import CopyTable


def _id_of(value: Any) -> int | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return int(value) if value is not None else None


def _time(value: Any) -> dt.time | None:
    if value is None or isinstance(value, dt.time):
        return value
    return dt.time.fromisoformat(str(value))


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _session_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.String(10), nullable=False, server_default=""),
        sa.Column("start_time", sa.Time, nullable=True),
        sa.Column("end_time", sa.Time, nullable=True),
        sa.Column("academic_year", sa.String(9), nullable=False, server_default=""),
        sa.Column("trainer", sa.Integer, nullable=True),
        sa.Column("group", sa.Integer, nullable=True),
        sa.Column("center", sa.Integer, nullable=True),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        # The template's training course (records show its programme and name).
        sa.Column("training_course", sa.Integer, nullable=True),
    ]


def _session_values(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "day": data.get("day") or "",
        "start_time": _time(data.get("start_time")),
        "end_time": _time(data.get("end_time")),
        "academic_year": data.get("academic_year") or "",
        "trainer": _id_of(data.get("trainer")),
        "group": _id_of(data.get("group")),
        "center": _id_of(data.get("center")),
        "is_active": bool(data.get("is_active", True)),
        "training_course": _id_of(data.get("training_course")),
    }


def _instance_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("schedule_template", sa.Integer, nullable=True),
        sa.Column("specific_date", sa.Date, nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="scheduled"),
        sa.Column("effective_start_time", sa.Time, nullable=True),
        sa.Column("effective_end_time", sa.Time, nullable=True),
        sa.Column("effective_trainer", sa.Integer, nullable=True),
        sa.Column("group", sa.Integer, nullable=True),
        sa.Column("center", sa.Integer, nullable=True),
    ]


def _instance_values(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "schedule_template": _id_of(data.get("schedule_template")),
        "specific_date": _date(data.get("specific_date")),
        "status": data.get("status") or "scheduled",
        "effective_start_time": _time(data.get("effective_start_time")),
        "effective_end_time": _time(data.get("effective_end_time")),
        "effective_trainer": _id_of(data.get("effective_trainer")),
        "group": _id_of(data.get("group")),
        "center": _id_of(data.get("center")),
    }


sessions = CopyTable(
    "session_copies",
    subject="entraide.schedule.session.*",
    columns=_session_columns,
    from_snapshot=_session_values,
    owner_url_setting="schedule_url",
    owner_path="/api/schedule/api/sessions/{id}/",
)

instances = CopyTable(
    "instance_copies",
    subject="entraide.schedule.instance.*",
    columns=_instance_columns,
    from_snapshot=_instance_values,
    owner_url_setting="schedule_url",
    owner_path="/api/schedule/api/instances/{id}/",
    indexes=[("ix_instance_copies_template_date", ["schedule_template", "specific_date"])],
)
