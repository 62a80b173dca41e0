"""Body and response shapes of the students API (wire names as in the contract)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_validator

from entraide_kit.pagination import Page
from entraide_kit.types import AcademicYear

Name = Annotated[str, StringConstraints(min_length=1, max_length=30, strip_whitespace=True)]
OptName = Annotated[str, StringConstraints(max_length=30, strip_whitespace=True)]
ExamId = Annotated[str, StringConstraints(min_length=1, max_length=20, strip_whitespace=True)]
Code = Annotated[str, StringConstraints(max_length=20, strip_whitespace=True)]
Text100 = Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)]
Text255 = Annotated[str, StringConstraints(max_length=255, strip_whitespace=True)]

# Fields of the student's account, passed to auth when it is made.
PROFILE_FIELDS = (
    "arabic_first_name",
    "arabic_last_name",
    "CIN_id",
    "phone_number",
    "birth_date",
    "birth_city",
    "address",
    "city",
)


class _Input(BaseModel):
    @field_validator("*", mode="before")
    @classmethod
    def _blank_to_none(cls, value: Any) -> Any:
        return None if value == "" else value


class StudentUpdate(_Input):
    exam_id: ExamId | None = None
    center_code: Code | None = None
    center: int | None = None
    program: int | None = None
    academic_year: AcademicYear | None = None
    joining_date: dt.date | None = None
    training_course: int | None = None
    group: int | None = None


class Profile(_Input):
    arabic_first_name: OptName | None = None
    arabic_last_name: OptName | None = None
    CIN_id: Annotated[str, StringConstraints(max_length=20, strip_whitespace=True)] | None = None
    phone_number: Annotated[str, StringConstraints(max_length=15, strip_whitespace=True)] | None = (
        None
    )
    birth_date: dt.date | None = None
    birth_city: Text100 | None = None
    address: Text255 | None = None
    city: Text100 | None = None


class StudentNew(StudentUpdate, Profile):
    """A student to create; without exam_id (the web client's path) one is generated."""

    first_name: Name
    last_name: Name
    center: int
    program: int
    academic_year: AcademicYear
    joining_date: dt.date


class StudentCreate(StudentNew):
    # The contract's create requires it (a missing exam_id is a 400 there).
    exam_id: ExamId


class StudentPut(StudentUpdate):
    exam_id: ExamId
    center: int
    program: int
    academic_year: AcademicYear
    joining_date: dt.date


class UserSummary(BaseModel):
    id: int
    email: str
    first_name: str
    last_name: str
    is_active: bool


class StudentRead(BaseModel):
    id: int
    exam_id: str
    center_code: str
    center: int
    center_name: str | None
    program: int
    program_name: str | None
    academic_year: str
    joining_date: dt.date
    training_course: int | None
    group: int | None
    group_name: str | None
    user_info: str
    user: UserSummary
    created_at: dt.datetime
    updated_at: dt.datetime


class StudentCreated(StudentRead):
    # Shown once: the account's one-time password, to be changed at first login.
    initial_password: str


StudentPage = Page[StudentRead]


class ImportAccount(BaseModel):
    row: int
    student: int | None
    exam_id: str
    email: str | None
    initial_password: str | None


class ImportReport(BaseModel):
    dry_run: bool
    total_rows: int
    successful: int
    failed: int
    errors: list[str]
    accounts: list[ImportAccount] = Field(default_factory=list)
