"""Request and response shapes of the centers API (wire names as in the contract)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)

from entraide_kit.pagination import Page
from entraide_kit.types import Url

Affiliation = Literal["entraide", "association", "other"]
RoomType = Literal["classroom", "meeting_room", "auditorium", "lab", "other"]
Condition = Literal["new", "excellent", "good", "fair", "need_reparation", "damaged"]

Name200 = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Name100 = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=10000)]
Phone = Annotated[str, StringConstraints(max_length=20, strip_whitespace=True)]
Short = Annotated[str, StringConstraints(max_length=255, strip_whitespace=True)]
City = Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)]


TEXT_FIELDS = {
    "description",
    "phone_number",
    "email",
    "address",
    "city",
    "maps_link",
    "website",
    "facebook_link",
    "instagram_link",
    "twitter_link",
    "other_affiliation",
}
URL_FIELDS = ("maps_link", "website", "facebook_link", "instagram_link", "twitter_link")


class _Input(BaseModel):
    """Optional text takes null and "" alike (stored as ""); URLs and emails are validated."""

    @field_validator("*", mode="before")
    @classmethod
    def _blank_to_none(cls, value: Any) -> Any:
        return None if value == "" else value


class ContactIn(_Input):
    description: Text | None = None
    logo: Url | None = None
    phone_number: Phone | None = None
    email: EmailStr | None = None
    address: Short | None = None
    city: City | None = None
    maps_link: Url | None = None
    website: Url | None = None
    facebook_link: Url | None = None
    instagram_link: Url | None = None
    twitter_link: Url | None = None


class AssociationUpdate(ContactIn):
    name: Name200 | None = None
    supervisor: int | None = None
    contract_start_date: dt.date | None = None
    contract_end_date: dt.date | None = None
    registration_number: (
        Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)] | None
    ) = None
    is_active: bool | None = None
    is_verified: bool | None = None


class AssociationCreate(AssociationUpdate):
    name: Name200
    description: Text
    supervisor: int


class AssociationPut(AssociationUpdate):
    """A full update as the web client sends it: every field, empty ones as null.

    ``supervisor`` null (the client's "no supervisor") leaves the association
    without one, absent keeps it; ``description`` may be empty or null.
    """

    name: Name200


class CenterUpdate(ContactIn):
    name: Name200 | None = None
    association: int | None = None
    affiliated_to: Affiliation | None = None
    other_affiliation: Short | None = None
    is_active: bool | None = None
    is_verified: bool | None = None
    supervisor: int | None = None


class CenterCreate(CenterUpdate):
    name: Name200


class RoomUpdate(_Input):
    name: Name100 | None = None
    description: Text | None = None
    type: RoomType | None = None
    capacity: Annotated[int, Field(ge=1, le=100000)] | None = None
    is_available: bool | None = None
    picture: Url | None = None
    center: int | None = None


class RoomCreate(RoomUpdate):
    name: Name100
    type: RoomType
    capacity: Annotated[int, Field(ge=1, le=100000)]
    center: int


class EquipmentUpdate(_Input):
    name: Name200 | None = None
    description: Text | None = None
    condition: Condition | None = None
    quantity: Annotated[int, Field(ge=0, le=1000000)] | None = None
    picture: Url | None = None
    center: int | None = None
    room: int | None = None


class EquipmentCreate(EquipmentUpdate):
    name: Name200
    condition: Condition
    center: int


class GroupUpdate(_Input):
    name: Name100 | None = None
    description: Text | None = None
    center: int | None = None


class GroupCreate(GroupUpdate):
    name: Name100
    center: int


# --------------------------------------------------------------------------- reads


class AssociationRead(BaseModel):
    """The contract's create answer (``supervisor`` an id), with ``logo_url``."""

    id: int
    name: str
    description: str
    logo: str | None
    logo_url: str | None
    phone_number: str
    email: str
    address: str
    city: str
    maps_link: str | None
    website: str | None
    facebook_link: str | None
    instagram_link: str | None
    twitter_link: str | None
    supervisor: int | None
    contract_start_date: dt.date | None
    contract_end_date: dt.date | None
    registration_number: str | None
    is_active: bool
    is_verified: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class SupervisorOut(BaseModel):
    id: int
    first_name: str
    last_name: str
    email: str
    arabic_first_name: str
    arabic_last_name: str


class CenterBrief(BaseModel):
    id: int
    name: str
    city: str
    phone_number: str
    is_active: bool
    is_verified: bool


class AssociationOut(AssociationRead):
    """Reads and updates: ``supervisor`` as an object (null when none), as the
    original backend answered."""

    supervisor: SupervisorOut | None  # type: ignore[assignment]


class AssociationDetail(AssociationOut):
    centers: list[CenterBrief]


class EquipmentRead(BaseModel):
    id: int
    name: str
    description: str
    condition: Condition
    quantity: int
    picture: str | None
    picture_url: str | None
    center: int
    room: int | None
    room_name: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class RoomRead(BaseModel):
    id: int
    name: str
    description: str
    type: RoomType
    capacity: int
    is_available: bool
    picture: str | None
    picture_url: str | None
    center: int
    center_name: str
    equipment: list[EquipmentRead] = Field(default_factory=list)
    equipments: list[EquipmentRead] = Field(default_factory=list)
    created_at: dt.datetime
    updated_at: dt.datetime


class RoomSummary(BaseModel):
    id: int
    name: str
    description: str
    type: RoomType
    capacity: int
    is_available: bool
    picture: str | None
    picture_url: str | None
    equipments: list[EquipmentRead]
    created_at: dt.datetime
    updated_at: dt.datetime


class GroupRead(BaseModel):
    id: int
    name: str
    description: str
    center: int
    center_name: str
    created_at: dt.datetime
    updated_at: dt.datetime


class GroupSummary(BaseModel):
    id: int
    name: str
    description: str
    created_at: dt.datetime
    updated_at: dt.datetime


class CenterRead(BaseModel):
    id: int
    name: str
    description: str
    logo: str | None
    logo_url: str | None
    phone_number: str
    email: str
    address: str
    city: str
    maps_link: str | None
    website: str | None
    facebook_link: str | None
    instagram_link: str | None
    twitter_link: str | None
    association: int | None
    association_name: str | None
    affiliated_to: Affiliation
    other_affiliation: str
    is_active: bool
    is_verified: bool
    supervisor: int | None
    supervisor_first_name: str | None
    supervisor_last_name: str | None
    supervisor_username: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CenterDetail(CenterRead):
    rooms: list[RoomSummary]
    groups: list[GroupSummary]


AssociationPage = Page[AssociationOut]
CenterPage = Page[CenterRead]
RoomPage = Page[RoomRead]
EquipmentPage = Page[EquipmentRead]
GroupPage = Page[GroupRead]
