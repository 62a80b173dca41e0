"""Copies of the schedule service's weekly templates and session instances
(only attendance keeps them, so they live here, not in the kit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from entraide_kit import contracts
from entraide_kit.copies.base import CopyTable, answer_as, id_of


def _time(value: str | None) -> dt.time | None:
    return None if value is None else dt.time.fromisoformat(value)


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


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


def _session_values(s: contracts.Session) -> dict[str, Any]:
    return {
        "day": s.day,
        "start_time": _time(s.start_time),
        "end_time": _time(s.end_time),
        "academic_year": s.academic_year or "",
        "trainer": s.trainer,
        "group": s.group,
        "center": s.center,
        "is_active": s.is_active,
        "training_course": s.training_course,
    }


def _session_from_api(answer: Mapping[str, Any]) -> contracts.Session:
    """schedule's ``SessionRead``: the event's names (details objects aside), but no
    centre (the contract's answer shows only its name): the copy keeps none, and
    ``repository.session_copy`` reads the template's course's centre instead."""
    return answer_as(contracts.Session, answer, center=None)


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


def _instance_values(i: contracts.Instance) -> dict[str, Any]:
    return {
        "schedule_template": i.schedule_template,
        "specific_date": _date(i.specific_date),
        "status": i.status,
        "effective_start_time": _time(i.effective_start_time),
        "effective_end_time": _time(i.effective_end_time),
        "effective_trainer": i.effective_trainer,
        "group": i.group,
        "center": i.center,
    }


def _instance_from_api(answer: Mapping[str, Any]) -> contracts.Instance:
    """schedule's ``InstanceRead``: the effective trainer and room as objects."""
    return answer_as(
        contracts.Instance,
        answer,
        effective_trainer=id_of(answer["effective_trainer"]),
        effective_room=id_of(answer["effective_room"]),
    )


sessions = CopyTable(
    "session_copies",
    subject="entraide.schedule.session.*",
    columns=_session_columns,
    model=contracts.Session,
    from_payload=_session_values,
    from_api=_session_from_api,
    owner_url_setting="schedule_url",
    owner_path="/api/schedule/api/sessions/{id}/",
)

instances = CopyTable(
    "instance_copies",
    subject="entraide.schedule.instance.*",
    columns=_instance_columns,
    model=contracts.Instance,
    from_payload=_instance_values,
    from_api=_instance_from_api,
    owner_url_setting="schedule_url",
    owner_path="/api/schedule/api/instances/{id}/",
    indexes=[("ix_instance_copies_template_date", ["schedule_template", "specific_date"])],
)
