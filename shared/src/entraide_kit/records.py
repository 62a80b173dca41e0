"""The few writes every service makes the same way, on SQLModel records that
carry ``version`` (bumped on each change, carried by events) and ``updated_at``.
Reads go through the repositories (``entraide_kit.repository``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

T = TypeVar("T", bound=SQLModel)


async def add(session: AsyncSession, obj: T) -> T:
    """Insert and read back (ids, server defaults)."""
    session.add(obj)
    await session.flush()
    await session.refresh(obj)
    return obj


async def save(session: AsyncSession, obj: T, values: dict[str, Any]) -> T:
    """Apply changes, bump ``version`` and ``updated_at``, flush."""
    await save_unflushed(obj, values)
    await session.flush()
    return obj


async def remove(session: AsyncSession, obj: SQLModel) -> None:
    await session.delete(obj)
    await session.flush()


async def write(
    session: AsyncSession,
    model: type[T],
    values: dict[str, Any],
    *,
    record: T | None,
    constraints: dict[str, tuple[str, str]],
) -> T:
    """Insert a new record (``record`` None) or save changes to one; a broken
    constraint named in ``constraints`` becomes a 400 on its field."""
    from .db import flush_checked

    if record is None:
        record = model(**values)
        session.add(record)
        await flush_checked(session, constraints)
        await session.refresh(record)
        return record
    await save_unflushed(record, values)
    await flush_checked(session, constraints)
    return record


async def save_unflushed(obj: SQLModel, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(obj, key, value)
    obj.version += 1  # type: ignore[attr-defined,unused-ignore]
    obj.updated_at = dt.datetime.now(dt.UTC)  # type: ignore[attr-defined,unused-ignore]


def refuse_nulls(values: dict[str, Any], *names: str) -> None:
    """400 for the required fields a change sets to null."""
    from .errors import ValidationFailed

    nulls = {n: ["This field may not be null."] for n in names if n in values and values[n] is None}
    if nulls:
        raise ValidationFailed(nulls)
