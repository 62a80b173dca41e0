"""Tables of the centers service (tables only; queries live in repository.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Text, func
from sqlmodel import Field, SQLModel


def _ts() -> Column[dt.datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Contact(SQLModel):
    """Contact fields shared by associations and centres."""

    description: str = Field(default="", sa_type=Text)
    logo: str | None = Field(default=None, max_length=500)
    phone_number: str = Field(default="", max_length=20)
    email: str = Field(default="", max_length=254)
    address: str = Field(default="", max_length=255)
    city: str = Field(default="", max_length=100, index=True)
    maps_link: str = Field(default="", max_length=500)
    website: str = Field(default="", max_length=500)
    facebook_link: str = Field(default="", max_length=500)
    instagram_link: str = Field(default="", max_length=500)
    twitter_link: str = Field(default="", max_length=500)


class Association(Contact, table=True):
    __tablename__ = "associations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    supervisor_id: int | None = Field(default=None, index=True)
    contract_start_date: dt.date | None = None
    contract_end_date: dt.date | None = None
    registration_number: str | None = Field(default=None, max_length=100)
    is_active: bool = True
    is_verified: bool = True
    version: int = 1
    created_at: dt.datetime = Field(sa_column=_ts())
    updated_at: dt.datetime = Field(sa_column=_ts())


class Center(Contact, table=True):
    __tablename__ = "centers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    association_id: int | None = Field(default=None, foreign_key="associations.id", index=True)
    affiliated_to: str = Field(default="entraide", max_length=20)
    other_affiliation: str = Field(default="", max_length=255)
    is_active: bool = True
    is_verified: bool = False
    supervisor_id: int | None = Field(default=None, index=True)
    version: int = 1
    created_at: dt.datetime = Field(sa_column=_ts())
    updated_at: dt.datetime = Field(sa_column=_ts())


class Room(SQLModel, table=True):
    __tablename__ = "rooms"

    id: int | None = Field(default=None, primary_key=True)
    center_id: int = Field(foreign_key="centers.id", index=True)
    name: str = Field(max_length=100)
    description: str = Field(default="", sa_type=Text)
    type: str = Field(default="classroom", max_length=20)
    capacity: int = 1
    is_available: bool = True
    picture: str | None = Field(default=None, max_length=500)
    version: int = 1
    created_at: dt.datetime = Field(sa_column=_ts())
    updated_at: dt.datetime = Field(sa_column=_ts())


class Equipment(SQLModel, table=True):
    __tablename__ = "equipment"

    id: int | None = Field(default=None, primary_key=True)
    center_id: int = Field(foreign_key="centers.id", index=True)
    room_id: int | None = Field(default=None, index=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    condition: str = Field(default="good", max_length=20)
    quantity: int = 1
    picture: str | None = Field(default=None, max_length=500)
    version: int = 1
    created_at: dt.datetime = Field(sa_column=_ts())
    updated_at: dt.datetime = Field(sa_column=_ts())


class Group(SQLModel, table=True):
    __tablename__ = "center_groups"

    id: int | None = Field(default=None, primary_key=True)
    center_id: int = Field(foreign_key="centers.id", index=True)
    name: str = Field(max_length=100)
    description: str = Field(default="", sa_type=Text)
    version: int = 1
    created_at: dt.datetime = Field(sa_column=_ts())
    updated_at: dt.datetime = Field(sa_column=_ts())
