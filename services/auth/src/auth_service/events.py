"""What the auth service publishes: every user change, on ``entraide.auth.user.<id>``.

Payload (``data``): id, email, username, first_name, last_name,
arabic_first_name, arabic_last_name, role, is_active, token_version, version.
Deletes are ``op=delete`` with no data. auth consumes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.events import Outbox

from .models import User

OUTBOX = Outbox("auth")
USER = "user"


def user_snapshot(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "arabic_first_name": user.arabic_first_name,
        "arabic_last_name": user.arabic_last_name,
        "role": user.role,
        "is_active": user.is_active,
        # the profile half (entraide_kit.copies.profiles)
        "profile_picture": user.profile_picture,
        "phone_number": user.phone_number,
        "cin_id": user.cin_id,
        "birth_date": user.birth_date.isoformat() if user.birth_date else None,
        "birth_city": user.birth_city,
        "address": user.address,
        "city": user.city,
        "token_version": user.token_version,
        "version": user.version,
    }


async def user_changed(session: AsyncSession, user: User) -> None:
    assert user.id is not None
    await OUTBOX.upsert(session, USER, user.id, user.version, user_snapshot(user))


async def user_deleted(session: AsyncSession, user: User) -> None:
    assert user.id is not None
    # One past the last upsert, so the deletion wins over any late copy of it.
    await OUTBOX.delete(session, USER, user.id, user.version + 1)


# auth keeps no copies of other services' records.
SUBSCRIPTIONS: list[Any] = []
