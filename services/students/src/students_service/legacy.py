"""The original backend's representation of students, for the existing web client's own
paths (``/api/students/students/...``; see ``legacy_router``).

Only names and shapes live here: reads come from the same queries and writes go
through the same service functions as the documented ``/api/students/`` paths.

Read shape (the original's ``StudentSerializer``): ``center`` is the centre's
name, ``program_name`` beside the programme's id, and ``user`` the whole user
object (``entraide_kit.legacy.user_object``: ``is_active``, ``username``,
``Arabic_first_name``, ``CIN_id``, ``role_display``...). Writes take the
original's field names (``Arabic_first_name``), read the text ``null`` as no
value, never take ``exam_id`` or ``center_code`` (generated on create), and
apply user fields (and ``{"user": {"is_active": false}}``) to the linked account.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from entraide_kit.copies import users
from entraide_kit.legacy import LegacyUser, null_text, picture_url, user_object
from entraide_kit.types import AcademicYear

from .schemas import Name, OptName, StudentNew, Text100, Text255

Cin = Annotated[str, StringConstraints(max_length=20, strip_whitespace=True)]
Phone = Annotated[str, StringConstraints(max_length=15, strip_whitespace=True)]

# Fields of the linked account the client sends beside the student's, by auth's names.
ACCOUNT_FIELDS = (
    "first_name",
    "last_name",
    "arabic_first_name",
    "arabic_last_name",
    "CIN_id",
    "phone_number",
    "birth_date",
    "birth_city",
    "address",
    "city",
)
STUDENT_FIELDS = ("center", "program", "academic_year", "joining_date", "training_course", "group")


class _LegacyInput(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_value(cls, value: Any) -> Any:
        value = null_text(value)
        return None if value == "" else value


class UserFlags(_LegacyInput):
    is_active: bool | None = None


class LegacyStudentPatch(_LegacyInput):
    first_name: Name | None = None
    last_name: Name | None = None
    arabic_first_name: OptName | None = Field(
        None, validation_alias=AliasChoices("Arabic_first_name", "arabic_first_name")
    )
    arabic_last_name: OptName | None = None
    center: int | None = None
    program: int | None = None
    academic_year: AcademicYear | None = None
    joining_date: dt.date | None = None
    training_course: int | None = None
    group: int | None = None
    CIN_id: Cin | None = None
    phone_number: Phone | None = None
    birth_date: dt.date | None = None
    birth_city: Text100 | None = None
    address: Text255 | None = None
    city: Text100 | None = None
    # {"user": {"is_active": false}} deactivates the linked account.
    user: UserFlags | None = None


class LegacyStudentPut(LegacyStudentPatch):
    center: int
    program: int
    academic_year: AcademicYear
    joining_date: dt.date


class LegacyStudentCreate(LegacyStudentPatch):
    first_name: Name
    last_name: Name
    center: int
    program: int
    academic_year: AcademicYear
    joining_date: dt.date


def to_new(body: LegacyStudentCreate) -> StudentNew:
    """The documented create's input, without exam_id and center_code (generated)."""
    values = body.model_dump(exclude={"user"}, exclude_none=True)
    return StudentNew.model_validate(values)


def split(body: LegacyStudentPatch) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the student's changes, the account's changes) of an update, by our names."""
    sent = body.model_fields_set
    student = {k: getattr(body, k) for k in STUDENT_FIELDS if k in sent}
    account: dict[str, Any] = {k: getattr(body, k) for k in ACCOUNT_FIELDS if k in sent}
    for name in ("first_name", "last_name"):
        # A name cannot be emptied: left as it is.
        if account.get(name, "") is None:
            del account[name]
    if body.user is not None and body.user.is_active is not None:
        account["is_active"] = body.user.is_active
    return student, account


class LegacyStudentRead(BaseModel):
    id: int
    user: LegacyUser | None
    center: str | None = Field(description="the centre's name")
    program: int
    program_name: str | None
    training_course: int | None
    group: int | None
    exam_id: str
    center_code: str
    academic_year: str
    joining_date: dt.date
    created_at: dt.datetime
    updated_at: dt.datetime


class LegacyStudentCreated(LegacyStudentRead):
    # Shown once: the account's one-time password (the client shows none; see C9).
    initial_password: str


class LegacyStudentPage(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[LegacyStudentRead]


def student_fields(
    row: Any, user: users.UserCopy | None, profile: Any, base_url: str
) -> dict[str, Any]:
    """One student's fields as the original backend answered them, from a (flat) row of
    ``repository.students_query()`` and its user's copies (``base_url``: the public
    one, for the user's picture)."""
    obj = user_object(user, profile, media_url=lambda v: picture_url(v, base_url))
    return {
        "id": row.id,
        "user": LegacyUser.model_validate(obj) if obj is not None else None,
        "center": row.center_name,
        "program": row.program_id,
        "program_name": row.program_name,
        "training_course": row.training_course_id,
        "group": row.group_id,
        "exam_id": row.exam_id,
        "center_code": row.center_code,
        "academic_year": row.academic_year,
        "joining_date": row.joining_date,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
