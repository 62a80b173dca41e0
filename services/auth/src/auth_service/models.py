"""Tables of the auth service (tables only; queries live in repository.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, func
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = False) -> Column[dt.datetime]:
    return Column(
        DateTime(timezone=True), nullable=nullable, server_default=None if nullable else func.now()
    )


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    username: str = Field(max_length=150, unique=True)
    password: str = Field(max_length=255)
    first_name: str = Field(default="", max_length=30)
    last_name: str = Field(default="", max_length=30)
    arabic_first_name: str = Field(default="", max_length=30)
    arabic_last_name: str = Field(default="", max_length=30)
    role: str = Field(default="student", max_length=32, index=True)
    profile_picture: str | None = Field(default=None, max_length=500)
    birth_date: dt.date | None = None
    birth_city: str = Field(default="", max_length=100)
    cin_id: str = Field(default="", max_length=20)
    phone_number: str = Field(default="", max_length=15)
    address: str = Field(default="", max_length=255)
    city: str = Field(default="", max_length=100)
    is_active: bool = Field(default=True, index=True)
    must_change_password: bool = False
    # Set by the service that asked for this account (students, programs): a
    # random key that lets it release the account if its own record was never
    # saved (a crash between the two). Never shown.
    provision_ref: str | None = Field(default=None, max_length=64, unique=True)
    # Bumped when earlier tokens must stop working (logout, password, role, deactivation).
    token_version: int = 0
    # Bumped on every change; events carry it so consumers keep the newest.
    version: int = 1
    date_joined: dt.datetime = Field(sa_column=_ts())
    last_login: dt.datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: dt.datetime = Field(sa_column=_ts())
    updated_at: dt.datetime = Field(sa_column=_ts())


class BlacklistedToken(SQLModel, table=True):
    __tablename__ = "token_blacklist"

    jti: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(index=True)
    expires_at: dt.datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    created_at: dt.datetime = Field(sa_column=_ts())
