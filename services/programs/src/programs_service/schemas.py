"""Body and response shapes of the programs API (wire names as in the contract).

References are written as ids and read back nested where the contract shows
it: a distribution's ``programe``, a weekly plan's ``annual_distribution``
(with its programme), a training course's ``program``, ``center`` and ``trainer``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from entraide_kit.pagination import Page
from entraide_kit.types import AcademicYear, Url

ContractWith = Literal["entraide", "association"]

Name200 = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=10000)]
RequiredText = Annotated[str, StringConstraints(min_length=1, max_length=10000)]
Duration = Annotated[int, Field(ge=1, le=10)]
Month = Annotated[int, Field(ge=1, le=12)]
Week = Annotated[int, Field(ge=1, le=52)]
PersonName = Annotated[str, StringConstraints(min_length=1, max_length=30, strip_whitespace=True)]
OptName = Annotated[str, StringConstraints(max_length=30, strip_whitespace=True)]
Text100 = Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)]
Text255 = Annotated[str, StringConstraints(max_length=255, strip_whitespace=True)]


class _Input(BaseModel):
    """Optional text takes null and "" alike."""

    @field_validator("*", mode="before")
    @classmethod
    def _blank_to_none(cls, value: Any) -> Any:
        return None if value == "" else value


# --------------------------------------------------------------------------- programmes


class ProgramUpdate(_Input):
    name: Name200 | None = None
    description: RequiredText | None = None
    duration_years: Duration | None = None
    logo: Url | None = None


class ProgramCreate(ProgramUpdate):
    name: Name200
    description: RequiredText
    duration_years: Duration


# --------------------------------------------------------------------------- distributions


class DistributionUpdate(_Input):
    programe: int | None = None
    academic_year: AcademicYear | None = None
    trainer: int | None = None


class DistributionCreate(DistributionUpdate):
    programe: int
    academic_year: AcademicYear


# --------------------------------------------------------------------------- weekly plans


class WeeklyPlanUpdate(_Input):
    annual_distribution: int | None = None
    month: Month | None = None
    week_number: Week | None = None
    title: Name200 | None = None
    description: Text | None = None
    trainer: int | None = None


class WeeklyPlanCreate(WeeklyPlanUpdate):
    annual_distribution: int
    month: Month
    week_number: Week
    title: Name200


# --------------------------------------------------------------------------- training courses


class CourseUpdate(_Input):
    program: int | None = None
    center: int | None = None
    trainer: int | None = None
    academic_year: AcademicYear | None = None


class CourseCreate(CourseUpdate):
    program: int
    center: int
    trainer: int
    academic_year: AcademicYear


# --------------------------------------------------------------------------- teachers


class TeacherUpdate(_Input):
    """The teacher record's own fields (the user's are changed in auth)."""

    model_config = ConfigDict(populate_by_name=True)

    center: int | None = None
    program: int | None = None
    groups: list[int] | None = None
    # The first implementation spelt it "contarct_with": both are accepted.
    contract_with: ContractWith | None = Field(
        None, validation_alias=AliasChoices("contract_with", "contarct_with")
    )
    contract_start_date: dt.date | None = None
    contract_end_date: dt.date | None = None


class TeacherCreate(TeacherUpdate):
    """A teacher and its user (role trainer), made in auth from the names given."""

    first_name: PersonName
    last_name: PersonName
    arabic_first_name: OptName | None = None
    arabic_last_name: OptName | None = None
    birth_date: dt.date | None = None
    birth_city: Text100 | None = None
    CIN_id: Annotated[str, StringConstraints(max_length=20, strip_whitespace=True)] | None = None
    phone_number: Annotated[str, StringConstraints(max_length=15, strip_whitespace=True)] | None = (
        None
    )
    address: Text255 | None = None
    city: Text100 | None = None
    center: int
    program: int


class TeacherPut(TeacherUpdate):
    center: int
    program: int


USER_FIELDS = (
    "first_name",
    "last_name",
    "arabic_first_name",
    "arabic_last_name",
    "birth_date",
    "birth_city",
    "CIN_id",
    "phone_number",
    "address",
    "city",
)


# --------------------------------------------------------------------------- reads


class ProgramRead(BaseModel):
    id: int
    name: str
    description: str
    duration_years: int
    logo: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class DistributionRead(BaseModel):
    id: int
    programe: ProgramRead
    academic_year: str
    trainer: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class WeeklyPlanRead(BaseModel):
    id: int
    annual_distribution: DistributionRead
    month: int
    week_number: int
    title: str
    description: str
    trainer: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CenterSummary(BaseModel):
    id: int
    name: str
    city: str
    supervisor: int | None
    is_active: bool


class UserSummary(BaseModel):
    id: int
    email: str
    username: str
    first_name: str
    last_name: str
    role: str
    is_active: bool


class CourseRead(BaseModel):
    id: int
    # "programme - centre - trainer", as the original backend wrote a course (the web
    # client's dropdown label); a part the copies do not hold is left out.
    name: str
    # Centre and trainer come from the read copies; null while (or if) the copy
    # does not hold them (a centre deleted in the centers service).
    program: ProgramRead
    center: CenterSummary | None
    trainer: UserSummary | None
    academic_year: str
    created_at: dt.datetime
    updated_at: dt.datetime


class TeacherUser(BaseModel):
    id: int
    email: str
    first_name: str
    last_name: str
    # The web client keeps only teachers whose user is active.
    is_active: bool


class GroupSummary(BaseModel):
    id: int
    name: str


class TeacherRead(BaseModel):
    id: int
    user: TeacherUser | None
    center: int
    center_name: str | None
    program: int | None
    program_name: str | None
    groups: list[int]
    groups_details: list[GroupSummary]
    contract_with: ContractWith
    contract_start_date: dt.date | None
    contract_end_date: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TeacherCreated(TeacherRead):
    # Shown once: the user must change it at first login.
    initial_password: str


ProgramPage = Page[ProgramRead]
DistributionPage = Page[DistributionRead]
WeeklyPlanPage = Page[WeeklyPlanRead]
CoursePage = Page[CourseRead]
TeacherPage = Page[TeacherRead]
