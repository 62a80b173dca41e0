"""Every statement of the auth service (the ``users`` repository and its own queries)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import fastread
from entraide_kit.filters import ListQuery, ListSpec
from entraide_kit.pagination import PageParams
from entraide_kit.repository import Repository

from .models import BlacklistedToken, User

users = Repository(User)


# --------------------------------------------------------------------------- lean reads
# Reads that only answer: lean rows straight from asyncpg (``entraide_kit.fastread``),
# read by attribute as a ``User`` is; writes keep the ORM records.


async def read_users_page(
    session: AsyncSession, params: PageParams, *, spec: ListSpec, query: ListQuery
) -> tuple[int, list[Any]]:
    """(count, the page's rows) of the user list, its filters applied, in one statement."""
    return await fastread.page(session, spec.apply(select(User), query), params)


async def read_user(session: AsyncSession, *, user_id: int) -> Any | None:
    return await fastread.first(session, select(User).where(col(User.id) == user_id))


async def get_user(session: AsyncSession, *, user_id: int, for_update: bool = False) -> User | None:
    """The user, locked for the transaction when ``for_update`` (a read before a write)."""
    return await (users.get_for_update if for_update else users.get)(session, user_id)


async def get_user_by_email(session: AsyncSession, *, email: str) -> User | None:
    stmt = select(User).where(col(User.email) == email.strip().lower())
    return (await session.execute(stmt)).scalar_one_or_none()


async def email_taken(session: AsyncSession, *, email: str, exclude_id: int | None = None) -> bool:
    stmt = select(col(User.id)).where(col(User.email) == email.strip().lower())
    if exclude_id is not None:
        stmt = stmt.where(col(User.id) != exclude_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def username_taken(
    session: AsyncSession, *, username: str, exclude_id: int | None = None
) -> bool:
    stmt = select(col(User.id)).where(col(User.username) == username)
    if exclude_id is not None:
        stmt = stmt.where(col(User.id) != exclude_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def free_username(session: AsyncSession, *, base: str) -> str:
    """``base`` if free, else ``base`` with the smallest free numeric suffix (one query)."""
    base = re.sub(r"[^\w.@+-]", "", base)[:140] or "user"
    pattern = re.escape(base) + r"[0-9]*"
    rows = await session.execute(
        select(col(User.username)).where(col(User.username).regexp_match(f"^{pattern}$"))
    )
    taken = {r[0] for r in rows}
    if base not in taken:
        return base
    n = 1
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


async def any_admin(session: AsyncSession) -> bool:
    stmt = (
        select(col(User.id))
        .where(col(User.role) == "admin", col(User.is_active).is_(True))
        .limit(1)
    )
    return (await session.execute(stmt)).first() is not None


async def add_user(session: AsyncSession, *, values: dict[str, Any]) -> User:
    user = User(**values)
    session.add(user)
    await session.flush()
    await session.refresh(user)
    return user


async def update_user(session: AsyncSession, *, user: User, values: dict[str, Any]) -> User:
    for key, value in values.items():
        setattr(user, key, value)
    user.version += 1
    user.updated_at = dt.datetime.now(dt.UTC)
    await session.flush()
    return user


async def delete_user(session: AsyncSession, *, user: User) -> None:
    await session.delete(user)
    await session.flush()


async def touch_last_login(
    session: AsyncSession, *, user_id: int, password_hash: str | None
) -> None:
    values: dict[str, Any] = {"last_login": func.now()}
    if password_hash is not None:
        values["password"] = password_hash
    await session.execute(update(User).where(col(User.id) == user_id).values(**values))


async def is_blacklisted(session: AsyncSession, *, jti: str) -> bool:
    stmt = select(col(BlacklistedToken.jti)).where(col(BlacklistedToken.jti) == jti)
    return (await session.execute(stmt)).first() is not None


async def blacklist(
    session: AsyncSession, *, jti: str, user_id: int, expires_at: dt.datetime
) -> None:
    stmt = insert(BlacklistedToken).values(jti=jti, user_id=user_id, expires_at=expires_at)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["jti"]))
    # Expired entries can never be presented again: forget them as we go.
    await session.execute(
        delete(BlacklistedToken).where(col(BlacklistedToken.expires_at) < func.now())
    )


async def taken_matching(
    session: AsyncSession, *, column: str, patterns: Sequence[str]
) -> set[str]:
    """Every email or username matching one of these regular expressions (one query)."""
    if not patterns:
        return set()
    target = col(User.email) if column == "email" else col(User.username)
    combined = "|".join(f"({p})" for p in patterns)
    rows = await session.execute(select(target).where(target.regexp_match(f"^({combined})$")))
    return {r[0] for r in rows}


async def lock_names(session: AsyncSession, *, bases: Sequence[str]) -> None:
    """Hold, until this transaction ends, a lock on each generated-name base.

    Two batches picking names for the same person (two imports of one class,
    two supervisors adding a "Fatima Zahra") would otherwise both read
    ``fatima.zahra`` as free and the later insert would break the unique
    email. The keys are taken in ascending order in one statement, so two
    batches sharing several bases cannot deadlock.
    """
    if not bases:
        return
    await session.execute(
        text(
            "SELECT pg_advisory_xact_lock(k) FROM "
            "(SELECT DISTINCT hashtextextended('auth.provision:' || b, 0) AS k "
            "FROM unnest(CAST(:bases AS text[])) AS b ORDER BY k) AS keys"
        ),
        {"bases": list(bases)},
    )


async def add_users(session: AsyncSession, *, rows: Sequence[dict[str, Any]]) -> list[User]:
    users = [User(**values) for values in rows]
    session.add_all(users)
    await session.flush()
    return users


async def unused_by_refs(session: AsyncSession, *, refs: Sequence[str]) -> list[User]:
    stmt = (
        select(User)
        .where(col(User.provision_ref).in_(refs), col(User.last_login).is_(None))
        .with_for_update()
    )
    return list((await session.execute(stmt)).scalars())
