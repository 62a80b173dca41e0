from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from centers_service.config import CentersSettings
from centers_service.main import build_app
from entraide_kit.copies.users import upsert_user
from entraide_stack.testing import TokenFactory, truncate_all
from entraide_stack.testing.apps import Api, caller, started
from entraide_stack.testing.apps import client as app_client

# The users the tests act as, as the users copy knows them (ids as in auth).
ADMIN, SUP_A, SUP_B, TRAINER, ASSOC_SUP, STUDENT, SUP_IDLE = 1, 2, 3, 4, 5, 6, 7
USERS = {
    ADMIN: ("admin", "Amina", "Admin"),
    SUP_A: ("center_supervisor", "Said", "Alaoui"),
    SUP_B: ("center_supervisor", "Badr", "Bennani"),
    TRAINER: ("trainer", "Tariq", "Tazi"),
    ASSOC_SUP: ("association_supervisor", "Nadia", "Naciri"),
    STUDENT: ("student", "Sara", "Squalli"),
    SUP_IDLE: ("center_supervisor", "Idle", "Inactive"),
}


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
async def centers_app(
    database_factory: Callable[[str], Awaitable[str]],
    private_nats: Callable[[], str],
    token_factory: TokenFactory,
    media_dir: Path,
) -> AsyncIterator[FastAPI]:
    settings = CentersSettings(
        database_url=await database_factory("centers"),
        # Its own NATS: auth's tests publish users whose ids would overwrite the
        # users copy these tests seed.
        nats_url=private_nats(),
        environment="test",
        rate_limit_enabled=False,
        log_json=False,
    )
    app = build_app(settings)
    async with started(app, tokens=token_factory, env={"ENTRAIDE_MEDIA_DIR": str(media_dir)}):
        yield app


@pytest.fixture
async def client(centers_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with centers_app.state.db.session() as session, session.begin():
        for user_id, (role, first, last) in USERS.items():
            data = {
                "email": f"u{user_id}@entraide.ma",
                "username": f"u{user_id}",
                "first_name": first,
                "last_name": last,
                "role": role,
                "is_active": user_id != SUP_IDLE,
            }
            await upsert_user(session, user_id, data)
    async with app_client(centers_app) as c:
        yield c
    await truncate_all(centers_app.state.db.engine)


@pytest.fixture
def api(client: httpx.AsyncClient, token_factory: TokenFactory) -> Api:
    """``await api("POST", url, ADMIN, json=...)``."""
    return caller(client, token_factory, role_of=lambda u: USERS[u][0], default_user=ADMIN)


@pytest.fixture
def world(api: Api) -> Callable[[], Awaitable[dict[str, Any]]]:
    """Two centres, A (supervised by SUP_A) and B (by SUP_B), with rooms, equipment, groups."""

    async def build() -> dict[str, Any]:
        assoc = await api(
            "POST",
            "/api/associations/",
            json={
                "name": "Al Amal",
                "description": "Youth",
                "supervisor": ASSOC_SUP,
                "city": "Rabat",
            },
        )
        assert assoc.status_code == 201, assoc.text
        out: dict[str, Any] = {"association": assoc.json()}
        for key, sup, city in (("A", SUP_A, "Rabat"), ("B", SUP_B, "Fes")):
            c = await api(
                "POST",
                "/api/centers-app/centers/",
                json={
                    "name": f"Centre {key}",
                    "city": city,
                    "supervisor": sup,
                    "association": assoc.json()["id"] if key == "A" else None,
                },
            )
            assert c.status_code == 201, c.text
            cid = c.json()["id"]
            room = await api(
                "POST",
                "/api/centers-app/rooms/",
                json={"name": f"Room {key}1", "type": "classroom", "capacity": 30, "center": cid},
            )
            assert room.status_code == 201, room.text
            eq = await api(
                "POST",
                "/api/centers-app/equipment/",
                json={
                    "name": f"Projector {key}",
                    "condition": "good",
                    "quantity": 2,
                    "center": cid,
                    "room": room.json()["id"],
                },
            )
            assert eq.status_code == 201, eq.text
            group = await api(
                "POST", "/api/centers-app/groups/", json={"name": f"Group {key}", "center": cid}
            )
            assert group.status_code == 201, group.text
            out[key] = {
                "center": c.json(),
                "room": room.json(),
                "equipment": eq.json(),
                "group": group.json(),
            }
        return out

    return build


def png_bytes(size: tuple[int, int] = (4, 4)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()
