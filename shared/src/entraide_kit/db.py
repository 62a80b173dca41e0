"""Database setup: engines are built in the app's lifespan, never at import time.

One transaction per request: ``SessionDep`` commits when the endpoint returns
and rolls back when it raises. Services ``flush()`` when they need an id early
and never commit themselves, so two writes (a change and its outbox row) always
share one transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel import SQLModel

# Stable constraint names, so Alembic migrations can drop and rename them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def naming_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Database:
    """The engine and session factory of one service."""

    #: connections of the lookup pool (``fetchrow``): each lookup holds one for
    #: a single round trip
    LOOKUP_POOL_SIZE = 8

    def __init__(self, url: str, *, pool_size: int = 20, max_overflow: int = 0, echo: bool = False):
        self.url = url
        # No pre-ping: it cost a round trip on every checkout (7% of a small
        # request). A connection the server dropped fails its request with a
        # 503 (errors.py), and SQLAlchemy then discards every pooled connection
        # older than the failure, so a restarted database costs the requests in
        # flight, not one per pooled connection.
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=False,
            echo=echo,
            # JSON columns (outbox payloads, copies' data) by orjson: the standard
            # library's encoder was 3% of a bulk_create of 30 records, whose 30
            # outbox rows are JSON (py-spy, issue 18). The same JSON either way.
            json_serializer=_json_text,
            json_deserializer=orjson.loads,
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # The same pool in autocommit: no BEGIN and no ROLLBACK around a lookup.
        self._reader = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
            autoflush=False,
        )
        self._lookups: Any = None
        self._lookups_lock = asyncio.Lock()

    def session(self) -> AsyncSession:
        return self.sessionmaker()

    def lookup_session(self) -> AsyncSession:
        """A session for single-statement reads outside the request's transaction
        (token guards): each statement is its own transaction, one round trip."""
        return self._reader()

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        """One row of a compiled read (``fastread.Lookup``), on a small asyncpg
        pool of its own: no SQLAlchemy session or checkout around the hottest
        lookups (auth's token guard on every request: a sixth of users/me was
        the session's machinery). Listeners of the engine's
        ``before_cursor_execute`` hear of it as of any statement."""
        pool = self._lookups or await self._lookup_pool()
        sync = self.engine.sync_engine
        if sync._has_events:
            sync.dispatch.before_cursor_execute(None, None, sql, args, None, False)
        async with pool.acquire() as conn:
            return await conn.fetchrow(sql, *args)

    async def generation(self) -> int:
        """The database's change count (``answercache``): one tiny statement on
        the lookup pool. Not reported to the engine's listeners: it is the
        cache's bookkeeping, not a statement of the endpoint (the tests that
        count an endpoint's statements count what it reads)."""
        from .answercache import GENERATION_SQL

        pool = self._lookups or await self._lookup_pool()
        async with pool.acquire() as conn:
            return int(await conn.fetchval(GENERATION_SQL))

    async def _lookup_pool(self) -> Any:
        import asyncpg

        async with self._lookups_lock:
            if self._lookups is None:
                self._lookups = await asyncpg.create_pool(
                    _asyncpg_dsn(self.url),
                    min_size=0,
                    max_size=self.LOOKUP_POOL_SIZE,
                    # Its connections run single reads and never change their
                    # session (no SET, LISTEN, advisory lock or open
                    # transaction): asyncpg's reset on release (a round trip of
                    # RESET ALL, UNLISTEN *, ...; a fifth of a kept users/me,
                    # py-spy) has nothing to undo.
                    reset=_keep_session,
                )
        return self._lookups

    async def dispose(self) -> None:
        if self._lookups is not None:
            pool, self._lookups = self._lookups, None
            pool.terminate()
        await self.engine.dispose()


async def _keep_session(connection: Any) -> None:
    """The lookup pool's reset: none (see ``Database._lookup_pool``)."""


def _json_text(value: Any) -> str:
    # Keys that are not text become text, as the standard library's encoder does.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _asyncpg_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    db = get_database(request)
    async with db.session() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).lookup_session() as session:
        yield session


# scope="function": the commit runs when the endpoint returns, before the
# response is sent, so a failing commit becomes an error answer, never a 200.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
#: For reads (GET): autocommit, no BEGIN/COMMIT round trips around the
#: statements. PostgreSQL's default isolation (read committed) gives each
#: statement its own snapshot inside a transaction too, so a read sees nothing
#: less consistent; a read that must see several statements at one instant
#: (none does today) takes ``SessionDep``.
ReadSessionDep = Annotated[AsyncSession, Depends(_read_session, scope="function")]


def violated_constraint(exc: BaseException) -> str | None:
    """The name of the constraint an IntegrityError broke (asyncpg), if any."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        name = getattr(cur, "constraint_name", None)
        if name:
            return str(name)
        cur = getattr(cur, "orig", None) or cur.__cause__
    return None


async def flush_checked(session: AsyncSession, messages: dict[str, tuple[str, str]]) -> None:
    """Flush; a broken constraint named in ``messages`` becomes a 400 on its field.

    ``messages`` maps a constraint name to (field, message). The database is
    the last word on uniqueness and references (two requests racing each other
    both pass any check made before the insert); this turns its refusal into
    the contract's field error instead of a 500.
    """
    from sqlalchemy.exc import IntegrityError

    from .errors import ValidationFailed

    try:
        await session.flush()
    except IntegrityError as exc:
        name = violated_constraint(exc)
        if name in messages:
            field, message = messages[name]
            raise ValidationFailed({field: [message]}) from exc
        raise
