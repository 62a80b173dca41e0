"""Input and response shapes of the schedule API (wire names as in the contract)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, field_validator

from entraide_kit.pagination import Page
from entraide_kit.types import AcademicYear

Day = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
Status = Literal["scheduled", "cancelled", "completed", "rescheduled"]
Notes = Annotated[str, StringConstraints(max_length=10000)]
Reason = Annotated[str, StringConstraints(max_length=1000, strip_whitespace=True)]


def _wall_clock(value: dt.time) -> dt.time:
    # Times of day on the centres' wall clock, to the second.
    return value.replace(microsecond=0, tzinfo=None)


Time = Annotated[dt.time, AfterValidator(_wall_clock)]


class _Input(BaseModel):
    """Optional fields take null and "" alike."""

    @field_validator("*", mode="before")
    @classmethod
    def _blank_to_none(cls, value: Any) -> Any:
        return None if value == "" else value


# --------------------------------------------------------------------------- templates


class SessionUpdate(_Input):
    day: Day | None = None
    start_time: Time | None = None
    end_time: Time | None = None
    academic_year: AcademicYear | None = None
    trainer: int | None = None
    room: int | None = None
    group: int | None = None
    training_course: int | None = None
    is_active: bool | None = None


class SessionCreate(SessionUpdate):
    day: Day
    start_time: Time
    end_time: Time
    academic_year: AcademicYear
    trainer: int
    training_course: int


class ConflictCheck(_Input):
    trainer_id: int
    room_id: int | None = None
    group_id: int | None = None
    day: Day
    start_time: Time
    end_time: Time
    academic_year: AcademicYear
    exclude_id: int | None = None


class TrainerDetails(BaseModel):
    id: int
    first_name: str
    last_name: str
    email: str
    full_name: str


class RoomDetails(BaseModel):
    id: int
    name: str
    type: str
    capacity: int


class GroupDetails(BaseModel):
    id: int
    name: str
    description: str


class CourseProgram(BaseModel):
    name: str
    duration_years: int | None


class CourseCenter(BaseModel):
    name: str


class CourseDetails(BaseModel):
    id: int
    program: CourseProgram
    center: CourseCenter
    academic_year: str


class SessionRead(BaseModel):
    id: int
    day: Day
    start_time: dt.time
    end_time: dt.time
    academic_year: str
    is_active: bool
    trainer: int
    # Rendered from the read copies. A template always has a trainer and a course, so
    # these two are never null: while (or if) a copy does not hold the record, their
    # names are empty (the web client reads them without a null check).
    trainer_details: TrainerDetails
    room: int | None
    # Null when the template has none, or while (or if) the copy does not hold it.
    room_details: RoomDetails | None
    group: int | None
    group_details: GroupDetails | None
    training_course: int
    training_course_details: CourseDetails
    created_at: dt.datetime
    updated_at: dt.datetime


SessionPage = Page[SessionRead]


class GroupFull(BaseModel):
    """A group as the original backend's group actions showed it (without its
    timestamps, which the groups copy does not keep)."""

    id: int
    name: str
    description: str
    center: int


class TrainerSchedule(BaseModel):
    trainer: TrainerDetails
    schedules: list[SessionRead]


class GroupSchedule(BaseModel):
    group: GroupFull
    schedules: list[SessionRead]


class Conflict(BaseModel):
    type: Literal["trainer", "room", "group"]
    message: str
    session: SessionRead


class ConflictReport(BaseModel):
    has_conflicts: bool
    conflicts: list[Conflict]


# --------------------------------------------------------------------------- instances


class InstanceUpdate(_Input):
    schedule_template: int | None = None
    specific_date: dt.date | None = None
    custom_start_time: Time | None = None
    custom_end_time: Time | None = None
    custom_room: int | None = None
    custom_trainer: int | None = None
    status: Status | None = None
    notes: Notes | None = None


class InstanceCreate(InstanceUpdate):
    schedule_template: int
    specific_date: dt.date


class CancelBody(_Input):
    reason: Reason | None = None


class RescheduleBody(_Input):
    new_date: dt.date
    new_start_time: Time | None = None
    new_end_time: Time | None = None
    new_room_id: int | None = None
    new_trainer_id: int | None = None
    reason: Reason | None = None


class GenerateWeek(_Input):
    start_date: dt.date = Field(description="The Monday of the week to generate.")
    academic_year: AcademicYear

    @field_validator("start_date")
    @classmethod
    def _monday(cls, value: dt.date) -> dt.date:
        if value.weekday() != 0:
            raise ValueError("The start date must be a Monday.")
        return value


class InstanceRead(BaseModel):
    id: int
    schedule_template: int
    specific_date: dt.date
    custom_start_time: dt.time | None
    custom_end_time: dt.time | None
    custom_room: int | None
    custom_trainer: int | None
    status: Status
    notes: str
    effective_start_time: dt.time
    effective_end_time: dt.time
    effective_trainer: TrainerDetails | None
    effective_room: RoomDetails | None
    # The template's group and centre (what attendance keys its records on).
    group: int | None
    center: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


InstancePage = Page[InstanceRead]


class GeneratedInstance(BaseModel):
    id: int
    schedule_template: int
    specific_date: dt.date
    status: Status
    effective_start_time: dt.time
    effective_end_time: dt.time
    effective_trainer: TrainerDetails | None


class GenerateReport(BaseModel):
    message: str
    instances: list[GeneratedInstance]


class TrainerRef(BaseModel):
    id: int
    name: str
    email: str


class Period(BaseModel):
    start_date: dt.date
    end_date: dt.date


class ProgramName(BaseModel):
    name: str


class TimetableCourse(BaseModel):
    program: ProgramName


class TimetableTemplate(BaseModel):
    training_course_details: TimetableCourse


class TimetableSession(BaseModel):
    id: int
    specific_date: dt.date
    effective_start_time: dt.time
    effective_end_time: dt.time
    status: Status
    schedule_template_details: TimetableTemplate


class TrainerTimetable(BaseModel):
    trainer: TrainerRef
    period: Period
    sessions: list[TimetableSession]


class GroupTimetable(BaseModel):
    group: GroupDetails
    period: Period
    sessions: list[TimetableSession]


class StatusCounts(BaseModel):
    scheduled: int = 0
    cancelled: int = 0
    completed: int = 0
    rescheduled: int = 0


class DaySummary(BaseModel):
    date: dt.date
    day: Day
    total: int
    by_status: StatusCounts


class TrainerHours(BaseModel):
    trainer: TrainerRef
    sessions: int
    hours: float


class RoomOccupancy(BaseModel):
    room: RoomDetails
    sessions: int
    hours: float


class WeekSession(BaseModel):
    """One session of the week, with what it is shown with."""

    id: int
    schedule_template: int
    specific_date: dt.date
    effective_start_time: dt.time
    effective_end_time: dt.time
    status: Status
    effective_trainer: TrainerDetails | None
    effective_room: RoomDetails | None
    group: int | None
    group_details: GroupDetails | None
    training_course: int
    training_course_details: CourseDetails


class WeeklySummary(BaseModel):
    week_start: dt.date
    week_end: dt.date
    academic_year: str
    center_id: int | None
    total_sessions: int
    by_status: StatusCounts
    days: list[DaySummary]
    # Cancelled sessions count in the days' statuses, not in hours or occupancy.
    trainer_hours: list[TrainerHours]
    room_occupancy: list[RoomOccupancy]
    # Every session of the week (cancelled ones too), by date and start time.
    sessions: list[WeekSession]
