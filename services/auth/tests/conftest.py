from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from auth_service.config import AuthSettings
from auth_service.main import build_app
from auth_service.schemas import UserCreate
from auth_service.service import create_user
from auth_service.tokens import generate_private_key_pem
from entraide_stack.testing import truncate_all
from entraide_stack.testing.apps import started

PASSWORD = "Sahara-Atlas-2024"


def auth_settings(database_url: str, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "private_key": generate_private_key_pem().decode(),
        "environment": "test",
        "rate_limit_enabled": False,
        "log_json": False,
        "admin_email": None,
        "admin_password": None,
    }
    values.update(overrides)
    return AuthSettings(**values)


@pytest.fixture(scope="session")
async def auth_db_url(database_factory: Callable[[str], Awaitable[str]]) -> str:
    return await database_factory("auth")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Uploaded profile pictures go to a folder of the test run."""
    return tmp_path_factory.mktemp("auth-media")


@pytest.fixture(scope="session")
async def auth_app(auth_db_url: str, nats_url: str, media_dir: Path) -> AsyncIterator[FastAPI]:
    app = build_app(auth_settings(auth_db_url, nats_url=nats_url))
    # The media folder is read at start only: other tests must not see it.
    async with started(app, env={"ENTRAIDE_MEDIA_DIR": str(media_dir)}):
        yield app


@pytest.fixture
async def client(auth_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=auth_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
    await truncate_all(auth_app.state.db.engine)


UserFactory = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def make_user(auth_app: FastAPI, client: httpx.AsyncClient) -> UserFactory:
    """Create a user straight through the service layer and log them in."""
    counter = {"n": 0}

    async def factory(role: str = "student", **fields: Any) -> dict[str, Any]:
        counter["n"] += 1
        fields.setdefault("email", f"{role}{counter['n']}@entraide.ma")
        fields.setdefault("password", PASSWORD)
        fields.setdefault("first_name", role.title())
        fields.setdefault("last_name", f"Number{counter['n']}")
        async with auth_app.state.db.session() as session, session.begin():
            user = await create_user(session, actor=None, data=UserCreate(role=role, **fields))
        resp = await client.post(
            "/api/token/", json={"email": fields["email"], "password": fields["password"]}
        )
        assert resp.status_code == 200, resp.text
        tokens = resp.json()
        return {
            "id": user.id,
            "email": user.email,
            "password": fields["password"],
            "access": tokens["access"],
            "refresh": tokens["refresh"],
            "headers": {"Authorization": f"Bearer {tokens['access']}"},
        }

    return factory
