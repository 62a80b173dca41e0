"""The original backend's user object, as the existing web client reads it nested
in teachers and students (``Arabic_first_name`` with a capital A, ``CIN_id``,
``role_display``): built from the ``users`` and ``profiles`` copies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from .copies.users import UserCopy

ROLE_DISPLAY = {
    "admin": "Admin",
    "center_supervisor": "Center Supervisor",
    "association_supervisor": "Association Supervisor",
    "trainer": "Trainer",
    "student": "Student",
}
#: the original backend's names of user fields, by ours
LEGACY_NAMES = {"arabic_first_name": "Arabic_first_name", "cin_id": "CIN_id"}


class LegacyUser(BaseModel):
    """The shape of ``user_object``: the user as the original backend nested it."""

    id: int
    email: str
    username: str
    first_name: str
    last_name: str
    Arabic_first_name: str
    arabic_last_name: str
    role: str
    role_display: str
    is_active: bool
    profile_picture: str | None
    phone_number: str
    CIN_id: str
    birth_date: str | None  # YYYY-MM-DD
    birth_city: str
    address: str
    city: str


def null_text(value: Any) -> Any:
    """The client sends an empty optional form value as the text ``null``: no value."""
    return None if value == "null" else value


def picture_url(
    value: str | None, base_url: str, media_path: str = "/api/accounts/media"
) -> str | None:
    """A stored profile picture as a browser fetches it: an uploaded file's key is
    served by auth under ``media_path`` through the gateway; a URL stays as given."""
    if not value:
        return None
    if value.startswith(("http://", "https://")):
        return value
    return f"{base_url}{media_path}/{value}"


def user_object(
    user: UserCopy | None,
    profile: Mapping[str, Any] | None,
    *,
    media_url: Callable[[str | None], str | None],
) -> dict[str, Any] | None:
    """The whole user as the original backend nested it; ``media_url`` turns a stored
    picture into the absolute URL a browser fetches."""
    if user is None:
        return None
    profile = profile or {}
    birth = profile.get("birth_date")
    return {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "Arabic_first_name": user.arabic_first_name,
        "arabic_last_name": user.arabic_last_name,
        "role": user.role,
        "role_display": ROLE_DISPLAY.get(user.role, user.role),
        "is_active": user.is_active,
        "profile_picture": media_url(profile.get("profile_picture")),
        "phone_number": profile.get("phone_number") or "",
        "CIN_id": profile.get("cin_id") or "",
        "birth_date": birth.isoformat() if birth is not None else None,
        "birth_city": profile.get("birth_city") or "",
        "address": profile.get("address") or "",
        "city": profile.get("city") or "",
    }
