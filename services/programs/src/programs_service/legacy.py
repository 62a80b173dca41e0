"""The original backend's representation of teachers, for the existing web client's
own paths (``/api/teachers/teachers/``, see legacy_router.py).

Only the shape differs from the documented ``/api/teachers/`` paths: the reads,
checks and writes are the same functions of teachers.py. Read: ``contarct_with``
(sic), ``center`` as the centre's name, ``groups`` as objects, the whole ``user``
(``Arabic_first_name``, ``CIN_id``, ``is_active``...; ``entraide_kit.legacy``).
Written: the same names (and ours), the text ``null`` as no value, the user's
fields and ``user.is_active`` applied to the linked account in auth.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, Field, StringConstraints, field_validator

from entraide_kit.errors import ValidationFailed
from entraide_kit.legacy import LegacyUser, null_text, picture_url, user_object
from entraide_kit.pagination import Page

from . import answers
from .repository import GroupOf
from .schemas import OptName, PersonName, TeacherCreate, TeacherUpdate, Text100, Text255

#: our names of fields, by the original backend's (in bodies and in field errors)
OURS = {"Arabic_first_name": "arabic_first_name", "contarct_with": "contract_with"}
THEIRS = {ours: theirs for theirs, ours in OURS.items()}
PICTURE = "profile_picture"

# --------------------------------------------------------------------------- reads


class LegacyGroup(BaseModel):
    id: int
    name: str
    description: str
    center: int | None
    # The groups copy does not hold the centers service's timestamps.
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


class LegacyTeacher(BaseModel):
    id: int
    user: LegacyUser | None
    center: str | None
    program: int | None
    program_name: str | None
    groups: list[LegacyGroup]
    contarct_with: str
    contract_start_date: dt.date | None
    contract_end_date: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class LegacyTeacherCreated(LegacyTeacher):
    # Shown once (our accounts get a one-time password; the original had a fixed one).
    initial_password: str


LegacyTeacherPage = Page[LegacyTeacher]


def _group(g: GroupOf) -> dict[str, Any]:
    return {
        "id": g.id,
        "name": g.name or "",
        "description": g.description or "",
        "center": g.center,
        "created_at": None,
        "updated_at": None,
    }


def teacher_fields(
    base_url: str, row: Any, groups: Sequence[GroupOf], profile: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``row``: a teachers_query row (as the documented paths read it); ``base_url``:
    the public one, for the user's picture."""
    user = user_object(
        answers.user_of_teacher(row), profile, media_url=lambda value: picture_url(value, base_url)
    )
    return {
        "id": row.id,
        "user": user,
        "center": row.center_name,
        "program": row.program_id,
        "program_name": row.program_name,
        "groups": [_group(g) for g in groups],
        "contarct_with": row.contract_with,
        "contract_start_date": row.contract_start_date,
        "contract_end_date": row.contract_end_date,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


# --------------------------------------------------------------------------- writes

Cin = Annotated[str, StringConstraints(max_length=20, strip_whitespace=True)]
Phone = Annotated[str, StringConstraints(max_length=15, strip_whitespace=True)]


def _arabic_first_name() -> Any:
    return Field(None, validation_alias=AliasChoices("Arabic_first_name", "arabic_first_name"))


class TeacherCreateIn(TeacherCreate):
    """POST as the client sends it (F18): ``Arabic_first_name``, ``contarct_with``,
    ``program`` as text, blank ones omitted."""

    arabic_first_name: OptName | None = _arabic_first_name()

    @field_validator("*", mode="before")
    @classmethod
    def _null_text(cls, value: Any) -> Any:
        return null_text(value)


class UserStatusIn(BaseModel):
    is_active: bool | None = None


class TeacherPatchIn(TeacherUpdate):
    """PATCH as the client sends it: JSON ``{"user": {"is_active": false}}`` (F19a), or
    multipart with the user's fields and a ``profile_picture`` file (F19b)."""

    first_name: PersonName | None = None
    last_name: PersonName | None = None
    arabic_first_name: OptName | None = _arabic_first_name()
    arabic_last_name: OptName | None = None
    birth_date: dt.date | None = None
    birth_city: Text100 | None = None
    CIN_id: Cin | None = None
    phone_number: Phone | None = None
    address: Text255 | None = None
    city: Text100 | None = None
    user: UserStatusIn | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _null_text(cls, value: Any) -> Any:
        return null_text(value)


def their_errors(exc: ValidationFailed) -> ValidationFailed:
    """Field errors under the names the client sent."""
    return ValidationFailed({THEIRS.get(k, k): v for k, v in exc.errors.items()})
