"""Copies of the profile half of auth's users (phone, picture, city, identity card,
birth, address), for the services whose web-client representations show whole
user objects (students, programs; see ``entraide_kit.legacy``).

Kept from the same ``entraide.auth.user.*`` events as ``users`` (a service may
subscribe to a subject twice); a service that needs it creates the table in a
migration (``profiles.create(op)``) and adds ``profiles.subscription()``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from .. import contracts
from .base import CopyTable
from .users import SUBJECT, from_auth

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


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _values(u: contracts.User) -> dict[str, Any]:
    return {
        "profile_picture": u.profile_picture or None,
        "phone_number": u.phone_number or "",
        "cin_id": u.cin_id or "",
        "birth_date": _date(u.birth_date),
        "birth_city": u.birth_city or "",
        "address": u.address or "",
        "city": u.city or "",
    }


profiles = CopyTable(
    "user_profile_copies",
    subject=SUBJECT,
    columns=_columns,
    model=contracts.User,
    from_payload=_values,
    from_api=from_auth,
    owner_url_setting="auth_url",
    owner_path="/api/accounts/users/{id}/",
)
