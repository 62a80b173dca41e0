"""Copies of the profile half of auth's users (phone, picture, city, identity card,
birth, address), for the services whose web-client representations show whole
user objects (students, programs; see ``entraide_kit.legacy``).

Kept from the same ``entraide.auth.user.*`` events as ``users`` (a service may
subscribe to a subject twice); a service that needs it creates the table in a
migration (``profiles.create(op)``) and adds ``profiles.subscription()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .base import CopyTable

PROFILE_FIELDS = (
    "profile_picture",
    "phone_number",
    "cin_id",
    "birth_date",
    "birth_city",
    "address",
    "city",
)


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("profile_picture", sa.String(500), nullable=True),
        sa.Column("phone_number", sa.String(15), nullable=False, server_default=""),
        sa.Column("cin_id", sa.String(20), nullable=False, server_default=""),
        sa.Column("birth_date", sa.Date, nullable=True),
        sa.Column("birth_city", sa.String(100), nullable=False, server_default=""),
        sa.Column("address", sa.String(255), nullable=False, server_default=""),
        sa.Column("city", sa.String(100), nullable=False, server_default=""),
    ]


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    text = ("phone_number", "cin_id", "birth_city", "address", "city")
    # Events say cin_id; auth's API answer (the owner fallback) says CIN_id.
    data = {"cin_id": data.get("CIN_id"), **{k: v for k, v in data.items() if v is not None}}
    values: dict[str, Any] = {name: str(data.get(name) or "") for name in text}
    values["profile_picture"] = data.get("profile_picture") or None
    values["birth_date"] = _date(data.get("birth_date"))
    return values


profiles = CopyTable(
    "user_profile_copies",
    subject="entraide.auth.user.*",
    columns=_columns,
    from_snapshot=_values,
    owner_url_setting="auth_url",
    owner_path="/api/accounts/users/{id}/",
)
