"""Copies of auth's users, for services that check roles of referenced users
(a centre's supervisor, a course's trainer) or show their names.

The table comes with the service's migration (``create_user_copies(op)``),
the subscription keeps it current, and ``get_user()`` finds a user in the copy
or, when a user created a moment ago has not arrived yet, asks auth once
(with the caller's own token) before the reference is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import contracts
from ..context import Context
from ..events.consumer import Subscription
from ..events.envelope import Envelope
from .base import CopyTable

SUBJECT = "entraide.auth.user.*"
FIELDS = (
    "email",
    "username",
    "first_name",
    "last_name",
    "arabic_first_name",
    "arabic_last_name",
    "role",
    "is_active",
)


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("first_name", sa.String(30), nullable=False),
        sa.Column("last_name", sa.String(30), nullable=False),
        sa.Column("arabic_first_name", sa.String(30), nullable=False),
        sa.Column("arabic_last_name", sa.String(30), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
    ]


@dataclass(frozen=True)
class UserCopy:
    id: int
    email: str
    username: str
    first_name: str
    last_name: str
    arabic_first_name: str
    arabic_last_name: str
    role: str
    is_active: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _values(u: contracts.User) -> dict[str, Any]:
    return {
        "email": u.email,
        "username": u.username or "",
        "first_name": u.first_name or "",
        "last_name": u.last_name or "",
        "arabic_first_name": u.arabic_first_name or "",
        "arabic_last_name": u.arabic_last_name or "",
        "role": u.role,
        "is_active": u.is_active,
    }


#: the optional fields auth's answers show under the events' names
_ANSWERED = (
    "username",
    "first_name",
    "last_name",
    "arabic_first_name",
    "arabic_last_name",
    "profile_picture",
    "phone_number",
    "birth_city",
    "address",
    "city",
)


def from_auth(answer: Mapping[str, Any]) -> contracts.User:
    """A user's payload from what auth answers about it: ``UserRead`` (a read, an
    update), or provisioning's shorter answer merged with the person sent
    (``{**person, **answer}``: the profile fields given; no ``is_active``, a new
    account being active). auth spells the events' ``cin_id`` ``CIN_id``, shows an
    uploaded picture as its URL (the event: its key; both show as that URL), and
    shows no ``token_version`` (no copy keeps it: revocations come from the events),
    read as 0. Used by ``users`` and ``profiles``."""
    birth = answer.get("birth_date")
    return contracts.User(
        id=answer["id"],
        email=answer["email"],
        role=answer["role"],
        is_active=answer.get("is_active", True),
        cin_id=answer.get("CIN_id", answer.get("cin_id")),
        birth_date=birth.isoformat() if isinstance(birth, dt.date) else birth,
        token_version=0,
        version=None,
        **{name: answer.get(name) for name in _ANSWERED},
    )


copy = CopyTable(
    "user_copies",
    subject=SUBJECT,
    columns=_columns,
    model=contracts.User,
    from_payload=_values,
    from_api=from_auth,
    owner_url_setting="auth_url",
    owner_path="/api/accounts/users/{id}/",
    indexes=[("ix_user_copies_role", ["role"])],
)
user_copies = copy.table


def create_user_copies(op: Any) -> None:
    """For a service's Alembic migration."""
    copy.create(op)


async def upsert_user(session: AsyncSession, user_id: int, answer: Mapping[str, Any]) -> None:
    """Keep what auth answered about a user (``from_auth``), e.g. one just made or
    changed through it: the copy shows it at once, its event brings the same later."""
    await copy.upsert_answer(session, user_id, answer)


async def apply_user(session: AsyncSession, envelope: Envelope) -> None:
    await copy.apply(session, envelope)


async def wipe(session: AsyncSession) -> None:
    await copy.wipe(session)


def subscription() -> Subscription:
    return copy.subscription()


async def users_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, UserCopy]:
    return {i: UserCopy(**row) for i, row in (await copy.by_ids(session, ids)).items()}


async def get_user(
    session: AsyncSession,
    user_id: int,
    *,
    ctx: Context | None = None,
) -> UserCopy | None:
    """The user from the copy, else (once) from auth with the caller's token."""
    row = await copy.get(session, user_id, ctx=ctx)
    return None if row is None else UserCopy(**row)
