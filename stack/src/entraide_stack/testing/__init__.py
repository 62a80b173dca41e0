"""The workspace's pytest plugin: real PostgreSQL and NATS for every service's tests.

Loaded with ``-p entraide_stack.testing`` (the workspace's pytest settings do).
It lives beside the launcher, in ``entraide-stack``, which service images do
not install: tests and their helpers never reach production.
The servers are the embedded ones from the wheels, started once per test run
in a temporary folder on free ports, unless ``ENTRAIDE_TEST_DATABASE_URL``
(a server-level URL, any database) or ``ENTRAIDE_TEST_NATS_URL`` point at
servers that are already running.

Each service's tests get a database of their own, built by the service's
Alembic migrations (never ``create_all``), emptied between tests.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .servers import EmbeddedServers
from .tokens import TokenFactory


@pytest.fixture(scope="session")
def embedded_servers() -> Iterator[EmbeddedServers]:
    root = Path(tempfile.mkdtemp(prefix="entraide-test-"))
    servers = EmbeddedServers(root)
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="session")
def pg_server_url(embedded_servers: EmbeddedServers) -> str:
    """A server-level asyncpg URL (database ``postgres``)."""
    external = os.environ.get("ENTRAIDE_TEST_DATABASE_URL")
    if external:
        return (
            make_url(external)
            .set(drivername="postgresql+asyncpg", database="postgres")
            .render_as_string(hide_password=False)
        )
    return embedded_servers.postgres_url()


@pytest.fixture(scope="session")
def nats_url(embedded_servers: EmbeddedServers) -> str:
    return os.environ.get("ENTRAIDE_TEST_NATS_URL") or embedded_servers.nats_url()


@pytest.fixture(scope="session")
def private_nats(embedded_servers: EmbeddedServers) -> Any:
    """``private_nats()`` -> the URL of a NATS of one's own (a stream no other test app writes)."""
    return embedded_servers.private_nats_url


async def create_database(server_url: str, prefix: str) -> str:
    """Create a fresh, empty database and return its URL."""
    name = f"test_{prefix}_{secrets.token_hex(4)}"
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table but Alembic's and the generation, resetting identities (between tests).

    The app's relay and consumer keep working meanwhile; a deadlock with them
    is retried.
    """
    from sqlalchemy.exc import DBAPIError

    for attempt in range(10):
        try:
            async with engine.begin() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT quote_ident(tablename) FROM pg_tables "
                        "WHERE schemaname = 'public' "
                        # the answer cache's generation only ever grows: emptied,
                        # it could count back up to a number an answer was kept under
                        "AND tablename NOT IN ('alembic_version', 'entraide_generation') "
                        "ORDER BY tablename"
                    )
                )
                tables = [r[0] for r in rows]
                if tables:
                    await conn.execute(
                        text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
                    )
            return
        except DBAPIError:
            if attempt == 9:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))


@pytest.fixture(scope="session")
def database_factory(pg_server_url: str) -> Any:
    async def factory(prefix: str) -> str:
        return await create_database(pg_server_url, prefix)

    return factory


@pytest.fixture
async def anyio_backend() -> AsyncIterator[str]:
    yield "asyncio"


@pytest.fixture(scope="session")
def token_factory() -> TokenFactory:
    """Signs access tokens that apps under test trust (see ``trust_tokens``)."""
    return TokenFactory()


def trust_tokens(app: Any, tokens: TokenFactory) -> None:
    """Make a started app verify tokens signed by ``tokens`` (instead of auth's JWKS)."""
    app.state.verifier.set_keys(tokens.keys())
