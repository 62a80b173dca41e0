"""Copies of auth's users, for services that check roles of referenced users
(a centre's supervisor, a course's trainer) or show their names.

The table comes with the service's migration (``create_user_copies(op)``),
the subscription keeps it current, and ``get_user()`` finds a user in the copy
or, when a user created a moment ago has not arrived yet, asks auth once
(with the caller's own token) before the reference is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .. import http
from ..context import Context
from ..events.consumer import Subscription
from ..events.envelope import Envelope

log = logging.getLogger("entraide.copies")

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


user_copies = sa.Table("user_copies", sa.MetaData(), *_columns())


def create_user_copies(op: Any) -> None:
    """For a service's Alembic migration."""
    op.create_table("user_copies", *_columns())
    op.create_index("ix_user_copies_role", "user_copies", ["role"])


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


def _values(user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    values = {name: data.get(name) if data.get(name) is not None else "" for name in FIELDS}
    values["is_active"] = bool(data.get("is_active", True))
    values["id"] = user_id
    return values


async def upsert_user(session: AsyncSession, user_id: int, data: dict[str, Any]) -> None:
    stmt = insert(user_copies).values(**_values(user_id, data))
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"], set_={f: stmt.excluded[f] for f in FIELDS}
        )
    )


async def apply_user(session: AsyncSession, envelope: Envelope) -> None:
    if envelope.op == "delete":
        await session.execute(user_copies.delete().where(user_copies.c.id == int(envelope.id)))
    else:
        await upsert_user(session, int(envelope.id), envelope.data or {})


async def wipe(session: AsyncSession) -> None:
    await session.execute(user_copies.delete())


def subscription() -> Subscription:
    return Subscription("entraide.auth.user.*", apply_user, wipe)


async def users_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, UserCopy]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(sa.select(user_copies).where(user_copies.c.id.in_(wanted)))
    return {r.id: UserCopy(**r._mapping) for r in rows}


async def get_user(
    session: AsyncSession,
    user_id: int,
    *,
    ctx: Context | None = None,
) -> UserCopy | None:
    """The user from the copy, else (once) from auth with the caller's token."""
    found = (await users_by_id(session, [user_id])).get(user_id)
    here = ctx
    if found is not None or here is None:
        return found
    auth_url = here.setting("auth_url")
    authorization = here.authorization
    if not auth_url or not authorization:
        return None
    try:
        async with http.client(here, auth_url, timeout=3.0) as client:
            resp = await client.get(
                f"{auth_url.rstrip('/')}/api/accounts/users/{user_id}/",
                headers={"Authorization": authorization},
            )
    except httpx.HTTPError as exc:
        log.warning("auth could not be asked about user %s: %s", user_id, exc)
        return None
    if resp.status_code != 200:
        return None
    # Keep it: the event that follows will bring the same or a newer state.
    await upsert_user(session, user_id, resp.json())
    return (await users_by_id(session, [user_id])).get(user_id)
