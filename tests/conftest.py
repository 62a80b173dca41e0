"""Fixtures for cross-service tests: real services in process, their own NATS."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text

from auth_service.config import AuthSettings
from auth_service.main import build_app
from auth_service.schemas import UserCreate
from auth_service.service import create_user
from auth_service.tokens import generate_private_key_pem
from entraide_kit.settings import ServiceSettings
from entraide_stack.embedded import EmbeddedNats, free_port
from entraide_stack.testing.probe import build_probe_app

PASSWORD = "Sahara-Atlas-2024"
SOURCE_SQL = "SELECT id, email, first_name, last_name, role, is_active FROM users ORDER BY id"
COPIES_SQL = "SELECT id, email, first_name, last_name, role, is_active FROM user_copies ORDER BY id"


@pytest.fixture
def nats_server(tmp_path: Path) -> Any:
    """A NATS of this test's own (a fresh stream), which the test may kill and restart."""
    server = EmbeddedNats(
        tmp_path / "nats", free_port(), free_port(), log_file=tmp_path / "nats.log"
    )
    server.start()
    yield server
    server.stop()


@dataclass
class Services:
    auth: FastAPI
    probe: FastAPI
    auth_client: httpx.AsyncClient
    probe_client: httpx.AsyncClient
    nats: EmbeddedNats

    async def make_user(self, role: str = "student", **fields: Any) -> dict[str, Any]:
        fields.setdefault("email", f"{role}-{time.monotonic_ns()}@entraide.ma")
        fields.setdefault("password", PASSWORD)
        async with self.auth.state.db.session() as session, session.begin():
            user = await create_user(session, actor=None, data=UserCreate(role=role, **fields))
        resp = await self.auth_client.post(
            "/api/token/", json={"email": user.email, "password": fields["password"]}
        )
        assert resp.status_code == 200, resp.text
        access = resp.json()["access"]
        return {
            "id": user.id,
            "email": user.email,
            "headers": {"Authorization": f"Bearer {access}"},
        }

    async def bulk_users(self, count: int) -> list[int]:
        """Insert users through auth's own write path (outbox included), minus the hashing."""
        from auth_service import events, repository

        ids = []
        async with self.auth.state.db.session() as session, session.begin():
            for i in range(count):
                values = {
                    "email": f"bulk{i}-{time.monotonic_ns()}@entraide.ma",
                    "username": f"bulk{i}-{time.monotonic_ns()}",
                    "password": "not-a-usable-hash",
                    "role": "student",
                }
                user = await repository.add_user(session, values=values)
                await events.user_changed(session, user)
                ids.append(user.id)
        return ids

    async def source_users(self) -> list[tuple[Any, ...]]:
        async with self.auth.state.db.session() as s:
            rows = await s.execute(text(SOURCE_SQL))
            return [tuple(r) for r in rows]

    async def copied_users(self) -> list[tuple[Any, ...]]:
        async with self.probe.state.db.session() as s:
            rows = await s.execute(text(COPIES_SQL))
            return [tuple(r) for r in rows]

    async def wait_copies_equal(self, timeout: float = 30.0) -> float:
        """Seconds until the probe's copies equal auth's rows; fails after ``timeout``."""
        started = time.monotonic()
        while True:
            source, copies = await self.source_users(), await self.copied_users()
            if source == copies:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                missing = set(source) ^ set(copies)
                raise AssertionError(
                    f"copies differ from source after {timeout}s: {sorted(missing)[:5]}"
                )
            await asyncio.sleep(0.1)


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def services(
    database_factory: Callable[[str], Awaitable[str]], nats_server: EmbeddedNats
) -> AsyncIterator[Services]:
    """auth and the probe consumer, each with a fresh database, on this test's NATS."""
    key = generate_private_key_pem().decode()
    common: dict[str, Any] = {
        "environment": "test",
        "rate_limit_enabled": False,
        "log_json": False,
        "nats_url": nats_server.url,
    }
    auth = build_app(
        AuthSettings(
            database_url=await database_factory("auth"),
            private_key=key,
            admin_email=None,
            admin_password=None,
            **common,
        )
    )
    async with LifespanManager(auth, shutdown_timeout=20) as auth_manager:
        jwks = (await _client(auth_manager.app).get("/api/token/jwks/")).json()
        probe = build_probe_app(
            ServiceSettings(
                service_name="probe", database_url=await database_factory("probe"), **common
            )
        )
        async with LifespanManager(probe, shutdown_timeout=20) as probe_manager:
            from entraide_kit.auth import TokenVerifier

            probe.state.verifier.set_keys(TokenVerifier.keys_from_jwks(jwks))
            async with _client(auth_manager.app) as ac, _client(probe_manager.app) as pc:
                yield Services(auth, probe, ac, pc, nats_server)


@pytest.fixture(scope="session")
def full_stack() -> Any:
    """The whole platform (every service, docs app, Traefik) once per test run."""
    import tempfile

    from entraide_stack import Stack, StackConfig

    root = Path(tempfile.mkdtemp(prefix="entraide-e2e-full-"))
    # Budgets out of the way (test_security.py holds the limits on a stack of its
    # own): the permission matrix sends hundreds of requests a second, above the
    # gateway's per-IP burst limit.
    limits = {"ENTRAIDE_RATE_LIMIT_ANON": "100000", "ENTRAIDE_RATE_LIMIT_USER": "100000"}
    limits |= {"ENTRAIDE_GATEWAY_RATE_AVERAGE": "100000", "ENTRAIDE_GATEWAY_RATE_BURST": "100000"}
    config = StackConfig.for_tests(root, extra_env=limits)
    with Stack(config) as running:
        yield running


@pytest.fixture(scope="session")
def full_gw(full_stack: Any) -> Any:
    with httpx.Client(base_url=full_stack.gateway_url, timeout=30) as client:
        yield client
