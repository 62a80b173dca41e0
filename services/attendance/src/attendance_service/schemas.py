"""Input and response shapes of the attendance API (wire names as in the contract)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from entraide_kit.pagination import Page

Status = Literal["present", "absent", "late"]
Notes = Annotated[str, StringConstraints(max_length=2000)]


class RecordUpdate(BaseModel):
    date: dt.date | None = None
    student: int | None = None
    session_template: int | None = None
    session_instance: int | None = None
    status: Status | None = None
    notes: Notes | None = None


class RecordCreate(RecordUpdate):
    date: dt.date
    student: int
    status: Status


class BulkEntry(BaseModel):
    student_id: int | str
    status: Status
    notes: Notes | None = None


class BulkIn(BaseModel):
    session_instance_id: int | None = None
    session_template_id: int | None = None
    date: dt.date
    attendance_records: Annotated[list[BulkEntry], Field(min_length=1, max_length=500)]


class UserNames(BaseModel):
    first_name: str
    last_name: str
    email: str


class StudentDetails(BaseModel):
    id: int
    exam_id: str
    user: UserNames


class ProgramRef(BaseModel):
    id: int | None
    name: str


class CourseDetails(BaseModel):
    id: int
    # "programme - centre - trainer", the training course's text form.
    name: str
    program: ProgramRef


class TemplateDetails(BaseModel):
    """The weekly template a record is for (rendered from the read copies)."""

    id: int
    day: str
    start_time: dt.time | None
    end_time: dt.time | None
    # Null while (or if) the copy of the training course is missing.
    training_course_details: CourseDetails | None


class InstanceDetails(BaseModel):
    id: int
    specific_date: dt.date | None
    effective_start_time: dt.time | None
    effective_end_time: dt.time | None
    status: str
    # The instance's template; null while (or if) its copy is missing.
    schedule_template_details: TemplateDetails | None


class RecordRead(BaseModel):
    id: int
    date: dt.date
    student: int
    student_details: StudentDetails | None
    session_template: int | None
    session_template_details: TemplateDetails | None
    session_instance: int | None
    session_instance_details: InstanceDetails | None
    status: Status
    notes: str
    # An absence covered by an approved justification (issue 20).
    is_justified: bool
    created_at: dt.datetime
    edited_at: dt.datetime


RecordPage = Page[RecordRead]


class BulkRecord(BaseModel):
    id: int
    date: dt.date
    student: int
    status: Status
    notes: str
    is_justified: bool


class BulkOut(BaseModel):
    message: str
    created: int
    updated: int
    errors: list[str]
    records: list[BulkRecord]


class Stats(BaseModel):
    total_sessions: int
    present_count: int
    absent_count: int
    late_count: int
    attendance_rate: float
    # Absences covered by an approved justification (counted in absent_count too;
    # the rate is unchanged).
    justified_absences: int


class RecentRecord(BaseModel):
    id: int
    date: dt.date
    status: Status
    notes: str
    is_justified: bool


class StudentStats(BaseModel):
    student: StudentDetails
    stats: Stats
    recent_attendance: list[RecentRecord]


class Period(BaseModel):
    start_date: dt.date
    end_date: dt.date


class ReportInstance(BaseModel):
    effective_start_time: dt.time | None
    effective_end_time: dt.time | None


class ReportRecord(BaseModel):
    id: int
    student: int
    status: Status
    is_justified: bool
    session_instance_details: ReportInstance | None


class DayStatistics(BaseModel):
    total: int
    present: int
    absent: int
    late: int
    justified_absences: int


class ReportDay(BaseModel):
    date: dt.date
    statistics: DayStatistics
    records: list[ReportRecord]


class Report(BaseModel):
    period: Period
    report: list[ReportDay]


def rate(present: int, late: int, total: int) -> float:
    """(present + late) / total * 100, rounded to 2 decimals; 0.0 without records."""
    return round((present + late) / total * 100, 2) if total else 0.0
