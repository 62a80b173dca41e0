"""The existing web client's calls to auth (issue 17; client-compat F1, F32, C9)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from entraide_stack.testing import truncate_all

from .conftest import UserFactory, auth_settings

USERS = "/api/accounts/users/"


def png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (3, 3), (10, 120, 30)).save(buf, format="PNG")
    return buf.getvalue()


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def test_create_user_as_multipart_with_a_picture(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    # AddSupervisorDialog: filled fields only, Arabic_first_name, a picture file.
    form = {
        "first_name": "Karim",
        "last_name": "Idrissi",
        "Arabic_first_name": "كريم",
        "arabic_last_name": "الإدريسي",
        "phone_number": "0612345678",
        "birth_date": "1985-03-04",
        "city": "Larache",
        "role": "association_supervisor",
        "email": "idrissi.karim@entraide-larache.com",
        "password": "entraide2025larache",
    }
    files = {"profile_picture": ("me.png", png(), "image/png")}
    resp = await client.post(USERS, data=form, files=files, headers=admin["headers"])
    assert resp.status_code == 201, resp.text
    made = resp.json()
    assert made["arabic_first_name"] == "كريم" and made["arabic_last_name"] == "الإدريسي"
    assert made["username"] and made["email"] == "idrissi.karim@entraide-larache.com"
    assert made["birth_date"] == "1985-03-04" and made["role"] == "association_supervisor"
    picture = made["profile_picture"]
    assert picture.startswith("http://testserver/api/accounts/media/auth/profile-pictures/")
    served = await client.get(picture)
    assert served.status_code == 200 and served.content == png()
    one = await client.get(f"{USERS}{made['id']}/", headers=admin["headers"])
    assert one.json()["profile_picture"] == picture
    # JSON as documented still works, with a URL kept exactly as sent.
    body = {
        "email": "json.user@entraide.ma",
        "password": "Sahara-Atlas-2024",
        "role": "center_supervisor",
        "arabic_first_name": "سعيد",
        "profile_picture": "https://img.example.ma",
    }
    resp = await client.post(USERS, json=body, headers=admin["headers"])
    assert resp.status_code == 201, resp.text
    assert resp.json()["arabic_first_name"] == "سعيد"
    assert resp.json()["profile_picture"] == "https://img.example.ma"
    # Not an image: 415, nothing created; a field error keeps the contract's shape.
    bad = {"profile_picture": ("me.png", b"text", "image/png")}
    form2 = {**form, "email": "other@entraide-larache.com"}
    resp = await client.post(USERS, data=form2, files=bad, headers=admin["headers"])
    assert resp.status_code == 415
    resp = await client.post(USERS, data={**form2, "email": "nope"}, headers=admin["headers"])
    assert resp.status_code == 400 and "email" in resp.json()


PEOPLE = [{"first_name": "Amal", "last_name": "Tazi", "role": "trainer"}]


async def test_one_time_passwords_force_a_change_by_default(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    supervisor = await make_user("center_supervisor")
    made = await client.post(
        f"{USERS}provision/", json={"users": PEOPLE}, headers=supervisor["headers"]
    )
    first = made.json()["users"][0]
    login = await client.post(
        "/api/token/", json={"email": first["email"], "password": first["initial_password"]}
    )
    assert claims(login.json()["access"])["pwd_change"] is True


@pytest.fixture
async def lax_client(
    auth_db_url: str, nats_url: str, media_dir: object
) -> AsyncIterator[httpx.AsyncClient]:
    """auth with AUTH_FORCE_PASSWORD_CHANGE=false, on the same (emptied) database."""
    settings = auth_settings(auth_db_url, nats_url=nats_url, force_password_change=False)
    app = build(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
        await truncate_all(app.state.db.engine)


def build(settings: object) -> FastAPI:
    from auth_service.main import build_app

    return build_app(settings)  # type: ignore[arg-type]


async def test_the_setting_turns_forced_change_off(
    lax_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    from auth_service.config import AuthSettings
    from auth_service.schemas import UserCreate
    from auth_service.service import create_user

    assert AuthSettings.model_fields["force_password_change"].default is True
    async with auth_app.state.db.session() as session, session.begin():
        await create_user(
            session,
            actor=None,
            data=UserCreate(email="sup@entraide.ma", password="Sahara-Atlas-2024", role="admin"),
        )
    login = await lax_client.post(
        "/api/token/", json={"email": "sup@entraide.ma", "password": "Sahara-Atlas-2024"}
    )
    h = {"Authorization": f"Bearer {login.json()['access']}"}
    made = await lax_client.post(f"{USERS}provision/", json={"users": PEOPLE}, headers=h)
    assert made.status_code == 201
    first = made.json()["users"][0]
    assert first["initial_password"]  # still generated and returned once
    login = await lax_client.post(
        "/api/token/", json={"email": first["email"], "password": first["initial_password"]}
    )
    assert login.status_code == 200
    tokens = login.json()
    assert "pwd_change" not in claims(tokens["access"])
    assert "pwd_change" not in claims(tokens["refresh"])
    th = {"Authorization": f"Bearer {tokens['access']}"}
    me = await lax_client.get(f"{USERS}me/", headers=th)
    assert me.status_code == 200 and me.json()["must_change_password"] is False
    ok = await lax_client.patch(f"{USERS}me/", json={"city": "Rabat"}, headers=th)
    assert ok.status_code == 200


AsyncFactory = Callable[..., Awaitable[object]]
