"""Input and response shapes of attendance alerts and their rules (issue 20)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from entraide_kit.pagination import Page

AlertKind = Literal["consecutive_absences", "absence_rate"]
AlertStatus = Literal["open", "acknowledged", "resolved"]
Note = Annotated[str, StringConstraints(max_length=2000)]


class AlertRulesIn(BaseModel):
    """A centre's rules; a field left out keeps its current value (the default
    until the centre's rules were first set)."""

    consecutive_absences: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="Unjustified absences in a row, in one course, that raise an alert.",
    )
    absence_rate_threshold: float | None = Field(
        default=None,
        description="Percent of unjustified absences over the academic year that raises an "
        "alert (above 0, at most 100).",
    )
    min_records: int | None = Field(
        default=None,
        ge=0,
        le=10000,
        description="Records of the academic year below which no rate alert is raised.",
    )
    enabled: bool | None = Field(
        default=None, description="false: no new alert is raised (open ones still resolve)."
    )

    @field_validator("absence_rate_threshold")
    @classmethod
    def _percent(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and 0 < value <= 100):
            raise ValueError("Enter a percentage above 0 and at most 100.")
        return value


class AlertRulesRead(BaseModel):
    center: int
    consecutive_absences: int
    absence_rate_threshold: float
    min_records: int
    enabled: bool
    # Null while the centre has the defaults (its rules were never set).
    updated_by: int | None
    updated_at: dt.datetime | None


class AcknowledgeIn(BaseModel):
    note: Note | None = None


class AlertRead(BaseModel):
    id: int
    student: int
    student_name: str | None
    group: int | None
    center: int | None
    # consecutive_absences: the course whose latest records are the absences.
    training_course: int | None
    kind: AlertKind
    # The run's length, or the academic year's unjustified-absence rate (percent).
    value: float
    threshold: float
    # The run's first and last dates, or those of the academic year's records.
    first_date: dt.date | None
    last_date: dt.date | None
    status: AlertStatus
    created_at: dt.datetime
    acknowledged_by: int | None
    acknowledged_at: dt.datetime | None
    note: str
    resolved_at: dt.datetime | None


AlertPage = Page[AlertRead]
