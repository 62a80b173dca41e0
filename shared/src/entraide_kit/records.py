"""The few writes every service makes the same way, on SQLModel records that
carry ``version`` (bumped on each change, carried by events) and ``updated_at``."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

T = TypeVar("T", bound=SQLModel)


async def get(
    session: AsyncSession, model: type[T], pk: int, *, for_update: bool = False
) -> T | None:
    stmt = select(model).where(model.id == pk)  # type: ignore[attr-defined]
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def add(session: AsyncSession, obj: T) -> T:
    """Insert and read back (ids, server defaults)."""
    session.add(obj)
    await session.flush()
    await session.refresh(obj)
    return obj


async def save(session: AsyncSession, obj: T, values: dict[str, Any]) -> T:
    """Apply changes, bump ``version`` and ``updated_at``, flush."""
    for key, value in values.items():
        setattr(obj, key, value)
    obj.version += 1  # type: ignore[attr-defined,unused-ignore]
    obj.updated_at = dt.datetime.now(dt.UTC)  # type: ignore[attr-defined,unused-ignore]
    await session.flush()
    return obj


async def remove(session: AsyncSession, obj: SQLModel) -> None:
    await session.delete(obj)
    await session.flush()
