from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, FastAPI

from entraide_kit.app import create_app
from entraide_kit.auth import AdminOnly, CurrentUser
from entraide_kit.settings import ServiceSettings

KID = "test-key"
ISSUER = "entraide-auth"
AUDIENCE = "entraide"


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


TokenMaker = Callable[..., str]


@pytest.fixture(scope="session")
def make_token(signing_key: Ed25519PrivateKey) -> TokenMaker:
    def make(
        user_id: int = 1,
        role: str = "admin",
        *,
        token_type: str = "access",
        key: Any = None,
        algorithm: str = "EdDSA",
        kid: str = KID,
        drop: tuple[str, ...] = (),
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "role": role,
            "token_type": token_type,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 3600,
            "ver": 0,
        }
        claims.update(overrides)
        for name in drop:
            claims.pop(name, None)
        return jwt.encode(
            claims,
            key if key is not None else signing_key,
            algorithm=algorithm,
            headers={"kid": kid},
        )

    return make


def probe_router() -> APIRouter:
    router = APIRouter(prefix="/api/probe")

    @router.get("/open/")
    async def open_endpoint() -> dict[str, str]:
        return {"ok": "yes"}

    @router.get("/me/")
    async def me(principal: CurrentUser) -> dict[str, Any]:
        return {"id": principal.id, "role": principal.role}

    @router.get("/admin/")
    async def admin(principal: AdminOnly) -> dict[str, Any]:
        return {"id": principal.id}

    return router


async def _no_revocations(request: Any, principal: Any) -> None:
    """The probe app has no database tables; revocation is tested with real services."""


def kit_app(pg_server_url: str, signing_key: Ed25519PrivateKey, **settings: Any) -> FastAPI:
    values: dict[str, Any] = {
        "service_name": "probe",
        "database_url": pg_server_url,
        "environment": "test",
        "log_json": False,
        "events_enabled": False,
    }
    values.update(settings)
    return create_app(
        settings=ServiceSettings(**values),
        title="probe",
        description="kit test app",
        routers=[probe_router()],
        migrations=None,
        public_keys=lambda _: {KID: signing_key.public_key()},
        token_guard=_no_revocations,
    )


AppFactory = Callable[..., Any]


@pytest.fixture
async def app_client(
    pg_server_url: str, signing_key: Ed25519PrivateKey
) -> AsyncIterator[Callable[..., Any]]:
    """Build a kit app with the given settings; yields a factory of clients."""
    managers: list[LifespanManager] = []
    clients: list[httpx.AsyncClient] = []

    async def factory(peer: str = "127.0.0.1", **settings: Any) -> httpx.AsyncClient:
        app = kit_app(pg_server_url, signing_key, **settings)
        manager = LifespanManager(app)
        await manager.__aenter__()
        managers.append(manager)
        transport = httpx.ASGITransport(app=manager.app, client=(peer, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()
    for manager in managers:
        await manager.__aexit__(None, None, None)
