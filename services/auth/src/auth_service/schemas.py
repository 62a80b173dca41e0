"""Request and response shapes of the auth API (wire names as in the contract)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)

from entraide_kit.auth import Role
from entraide_kit.context import Context
from entraide_kit.storage import media_url
from entraide_kit.types import Url

from .models import User

Name = Annotated[str, StringConstraints(max_length=30, strip_whitespace=True)]
Text100 = Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)]
Text255 = Annotated[str, StringConstraints(max_length=255, strip_whitespace=True)]
Username = Annotated[
    str,
    StringConstraints(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$", strip_whitespace=True),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]


def _not_a_number(value: Any) -> Any:
    # Lax parsing would take 0 for 1970-01-01 (found by bench/fuzz.py).
    if isinstance(value, int | float):
        raise ValueError("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
    return value


BirthDate = Annotated[dt.date, BeforeValidator(_not_a_number)]


def _blank(value: Any) -> Any:
    """Optional text fields take null and "" alike; both are stored as ""."""
    return "" if value is None else value


class TokenObtainIn(BaseModel):
    email: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    password: Password


class TokenPair(BaseModel):
    refresh: str
    access: str


class RefreshIn(BaseModel):
    refresh: Annotated[str, StringConstraints(min_length=1)]


class AccessOut(BaseModel):
    access: str


class Detail(BaseModel):
    detail: str


class ProfileFields(BaseModel):
    """Profile fields a user may change on themselves."""

    model_config = ConfigDict(populate_by_name=True)

    username: Username | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    # The web client spells it Arabic_first_name (the original backend's model field).
    arabic_first_name: Name | None = Field(
        None, validation_alias=AliasChoices("arabic_first_name", "Arabic_first_name")
    )
    arabic_last_name: Name | None = None
    profile_picture: Url | None = None
    birth_date: BirthDate | None = None
    birth_city: Text100 | None = None
    CIN_id: Annotated[str, StringConstraints(max_length=20, strip_whitespace=True)] | None = None
    phone_number: Annotated[str, StringConstraints(max_length=15, strip_whitespace=True)] | None = (
        None
    )
    address: Text255 | None = None
    city: Text100 | None = None

    @field_validator("profile_picture", mode="before")
    @classmethod
    def _empty_url(cls, value: Any) -> Any:
        return None if value == "" else value


class UserCreate(ProfileFields):
    email: EmailStr
    password: Password
    role: Role = Role.student
    is_active: bool = True
    must_change_password: bool = False


class RegisterIn(UserCreate):
    role: Role  # required on register, as the contract says


class UserUpdate(ProfileFields):
    """PATCH body for /users/{id}/ (every field optional)."""

    email: EmailStr | None = None
    password: Password | None = None
    role: Role | None = None
    is_active: bool | None = None
    must_change_password: bool | None = None


class UserPut(UserUpdate):
    email: EmailStr  # PUT is a full update: the required fields must be sent


class ChangePasswordIn(BaseModel):
    old_password: Password
    new_password: Password


class UserRead(BaseModel):
    id: int
    email: str
    username: str
    first_name: str
    last_name: str
    arabic_first_name: str
    arabic_last_name: str
    role: Role
    profile_picture: str | None
    birth_date: dt.date | None
    birth_city: str
    CIN_id: str
    phone_number: str
    address: str
    city: str
    date_joined: dt.datetime
    is_active: bool
    must_change_password: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, user: User, ctx: Context | None = None) -> UserRead:
        """``user``: a record, or a lean row of ``users`` (``entraide_kit.fastread``,
        read by attribute alike); ``ctx``: to turn an uploaded picture's storage
        key into its URL."""
        picture = user.profile_picture
        if ctx is not None:
            picture = media_url(ctx, picture)
        return cls(
            id=user.id or 0,
            email=user.email,
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
            arabic_first_name=user.arabic_first_name,
            arabic_last_name=user.arabic_last_name,
            role=Role(user.role),
            profile_picture=picture,
            birth_date=user.birth_date,
            birth_city=user.birth_city,
            CIN_id=user.cin_id,
            phone_number=user.phone_number,
            address=user.address,
            city=user.city,
            date_joined=user.date_joined,
            is_active=user.is_active,
            must_change_password=user.must_change_password,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class UserPage(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[UserRead]


class RegisterOut(TokenPair):
    user: UserRead


class PasswordChanged(TokenPair):
    detail: str


class JWKS(BaseModel):
    keys: list[dict[str, str]] = Field(default_factory=list)


PROFILE_FIELD_MAP = {"CIN_id": "cin_id"}
TEXT_FIELDS = {
    "first_name",
    "last_name",
    "arabic_first_name",
    "arabic_last_name",
    "birth_city",
    "CIN_id",
    "phone_number",
    "address",
    "city",
}


def to_columns(values: dict[str, Any]) -> dict[str, Any]:
    """Wire names and values to column names and stored values."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in TEXT_FIELDS:
            value = _blank(value)
        if key == "profile_picture" and value is not None:
            value = str(value)
        if key == "role" and value is not None:
            value = Role(value).value
        if key == "email" and value is not None:
            value = str(value).strip().lower()
        out[PROFILE_FIELD_MAP.get(key, key)] = value
    return out


ProvisionRole = Literal["student", "trainer"]


class ProvisionPerson(BaseModel):
    """A person to give an account to (a student or a trainer), by name."""

    first_name: Annotated[
        str, StringConstraints(min_length=1, max_length=30, strip_whitespace=True)
    ]
    last_name: Annotated[str, StringConstraints(min_length=1, max_length=30, strip_whitespace=True)]
    role: ProvisionRole
    ref: (
        Annotated[str, StringConstraints(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
        | None
    ) = None
    arabic_first_name: Name | None = None
    arabic_last_name: Name | None = None
    birth_date: BirthDate | None = None
    birth_city: Text100 | None = None
    CIN_id: Annotated[str, StringConstraints(max_length=20, strip_whitespace=True)] | None = None
    phone_number: Annotated[str, StringConstraints(max_length=15, strip_whitespace=True)] | None = (
        None
    )
    address: Text255 | None = None
    city: Text100 | None = None


class ProvisionIn(BaseModel):
    users: Annotated[list[ProvisionPerson], Field(min_length=1, max_length=2000)]
    email_domain: (
        Annotated[
            str,
            StringConstraints(
                pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
            ),
        ]
        | None
    ) = None


class Provisioned(BaseModel):
    id: int
    email: str
    username: str
    first_name: str
    last_name: str
    role: str
    initial_password: str


class ProvisionOut(BaseModel):
    users: list[Provisioned]


class ReleaseIn(BaseModel):
    refs: Annotated[
        list[Annotated[str, StringConstraints(min_length=16, max_length=64)]],
        Field(min_length=1, max_length=5000),
    ]


class ReleaseOut(BaseModel):
    released: int
