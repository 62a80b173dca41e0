"""The real stack (launcher, embedded PostgreSQL and NATS, auth, docs app, Traefik) end to end."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from entraide_stack import Stack, StackConfig

ANON_LIMIT = 50


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="entraide-e2e-"))
    config = StackConfig.for_tests(
        root, services=["auth", "centers"], extra_env={"ENTRAIDE_RATE_LIMIT_ANON": str(ANON_LIMIT)}
    )
    with Stack(config) as running:
        yield running


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def admin_tokens(stack: Stack, gw: httpx.Client) -> dict[str, str]:
    resp = gw.post(
        "/api/token/", json={"email": stack.admin_email, "password": stack.admin_password()}
    )
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_me_refresh_logout_through_the_gateway(stack: Stack, gw: httpx.Client) -> None:
    resp = gw.post(
        "/api/token/", json={"email": stack.admin_email, "password": stack.admin_password()}
    )
    assert resp.status_code == 200
    tokens = resp.json()
    assert set(tokens) == {"refresh", "access"}

    me = gw.get("/api/accounts/users/me/", headers=_bearer(tokens["access"]))
    assert me.status_code == 200
    assert me.json()["email"] == stack.admin_email and me.json()["role"] == "admin"
    assert me.headers["x-request-id"]
    assert int(me.headers["x-ratelimit-limit"]) == 1000

    refreshed = gw.post("/api/token/refresh/", json={"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200
    access = refreshed.json()["access"]
    assert gw.get("/api/accounts/users/me/", headers=_bearer(access)).status_code == 200

    out = gw.post(
        "/api/accounts/users/logout/", json={"refresh": tokens["refresh"]}, headers=_bearer(access)
    )
    assert out.status_code == 200 and out.json() == {"detail": "Successfully logged out."}
    again = gw.post("/api/token/refresh/", json={"refresh": tokens["refresh"]})
    assert again.status_code == 401 and again.json()["code"] == "token_not_valid"


def test_user_list_next_points_through_the_gateway(
    stack: Stack, gw: httpx.Client, admin_tokens: dict[str, str]
) -> None:
    headers = _bearer(admin_tokens["access"])
    for _ in range(3):
        email = f"e2e-{uuid.uuid4().hex[:8]}@entraide.ma"
        body = {"email": email, "password": "Sahara-Atlas-2024", "role": "trainer"}
        assert gw.post("/api/accounts/users/", json=body, headers=headers).status_code == 201
    page = gw.get("/api/accounts/users/", params={"page_size": 2}, headers=headers).json()
    assert page["count"] >= 4
    assert page["next"] == f"{stack.gateway_url}/api/accounts/users/?page=2&page_size=2"
    follow = gw.get(page["next"], headers=headers)
    assert follow.status_code == 200
    assert follow.json()["previous"] == f"{stack.gateway_url}/api/accounts/users/?page_size=2"


def test_merged_openapi_and_docs_pages(gw: httpx.Client) -> None:
    doc = gw.get("/swagger.json")
    assert doc.status_code == 200
    spec = doc.json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/token/", "/api/token/refresh/", "/api/accounts/users/me/"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    as_yaml = gw.get("/swagger.yaml")
    assert as_yaml.status_code == 200
    assert yaml.safe_load(as_yaml.text)["paths"].keys() == spec["paths"].keys()
    for page in ("/swagger/", "/redoc/"):
        html = gw.get(page)
        assert html.status_code == 200 and "<html" in html.text.lower(), page


def test_gateway_limits_and_missing_services(gw: httpx.Client) -> None:
    big = gw.post("/api/token/", content=b"x" * (11 * 1024 * 1024))
    assert big.status_code == 413
    assert big.json() == {"detail": "Request body is too large."}
    # A service not built yet has its route; the gateway answers for it, in JSON.
    for path in ("/api/exams/", "/api/courses/courses/"):
        down = gw.get(path)
        assert down.status_code in (502, 503), path
        assert down.json() == {"detail": "Service temporarily unavailable, try again later."}
    resp = gw.get("/api/token/jwks/")
    assert resp.headers.get("x-frame-options") == "DENY"
    assert resp.headers.get("x-content-type-options") == "nosniff"


def test_bad_input_through_the_gateway(gw: httpx.Client, admin_tokens: dict[str, str]) -> None:
    headers = {**_bearer(admin_tokens["access"]), "Content-Type": "application/json"}
    bad_json = gw.post("/api/accounts/users/", content=b"{oops", headers=headers)
    assert bad_json.status_code == 400
    dup = gw.post(
        "/api/accounts/users/",
        json={"email": "e2e-dup@entraide.ma", "password": "Sahara-Atlas-2024", "role": "king"},
        headers=headers,
    )
    assert dup.status_code == 400 and "role" in dup.json()
    version = gw.get("/api/token/jwks/", headers={"Accept": "application/json; version=9.0"})
    assert version.status_code == 406


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 120, 60)).save(buf, format="PNG")
    return buf.getvalue()


def test_centers_through_the_gateway(gw: httpx.Client, admin_tokens: dict[str, str]) -> None:
    admin = _bearer(admin_tokens["access"])
    # A supervisor made in auth a moment ago: centers knows them from auth's
    # event, or asks auth once before refusing.
    sup = gw.post(
        "/api/accounts/users/",
        json={
            "email": f"sup-{uuid.uuid4().hex[:6]}@entraide.ma",
            "password": "Sahara-Atlas-2024",
            "role": "association_supervisor",
            "first_name": "Nadia",
        },
        headers=admin,
    )
    assert sup.status_code == 201
    assoc = gw.post(
        "/api/associations/",
        data={
            "name": f"Assoc {uuid.uuid4().hex[:6]}",
            "description": "d",
            "supervisor": str(sup.json()["id"]),
        },
        files={"logo": ("logo.png", _png(), "image/png")},
        headers=admin,
    )
    assert assoc.status_code == 201, assoc.text
    logo = assoc.json()["logo"]
    assert logo.startswith(str(gw.base_url).rstrip("/") + "/api/centers-app/media/")
    image = gw.get(logo)
    assert image.status_code == 200 and image.content == _png()
    assert image.headers["cross-origin-resource-policy"] == "cross-origin"
    fake = gw.post(
        "/api/associations/",
        data={"name": "Fake logo", "description": "d", "supervisor": str(sup.json()["id"])},
        files={"logo": ("logo.png", b"not an image at all", "image/png")},
        headers=admin,
    )
    assert fake.status_code == 415

    center = gw.post(
        "/api/centers-app/centers/",
        json={
            "name": f"Centre {uuid.uuid4().hex[:6]}",
            "association": assoc.json()["id"],
            "city": "Rabat",
        },
        headers=admin,
    )
    assert center.status_code == 201, center.text
    cid = center.json()["id"]
    room = gw.post(
        "/api/centers-app/rooms/",
        json={"name": "A1", "type": "classroom", "capacity": 30, "center": cid},
        headers=admin,
    )
    assert room.status_code == 201
    detail = gw.get(f"/api/centers-app/centers/{cid}/", headers=admin).json()
    assert detail["association_name"] == assoc.json()["name"]
    assert [r["name"] for r in detail["rooms"]] == ["A1"]
    rooms = gw.get("/api/centers-app/rooms/", params={"center__id": cid}, headers=admin).json()
    assert rooms["count"] == 1 and rooms["next"] is None
    spec = gw.get("/swagger.json").json()
    assert "/api/centers-app/rooms/" in spec["paths"] and "/api/associations/" in spec["paths"]


def test_anonymous_limit_is_per_client_and_not_reset_by_spoofing(gw: httpx.Client) -> None:
    # Runs last in this module: it spends the anonymous budget of this client.
    first = gw.get("/api/token/jwks/")
    remaining = int(first.headers["x-ratelimit-remaining"])
    assert int(first.headers["x-ratelimit-limit"]) == ANON_LIMIT
    for i in range(remaining):
        resp = gw.get(
            "/api/token/jwks/",
            headers={"X-Forwarded-For": f"10.1.2.{i % 250}", "Authorization": f"Bearer junk{i}"},
        )
        assert resp.status_code == 200, i
    refused = gw.get("/api/token/jwks/", headers={"X-Forwarded-For": "192.0.2.77"})
    assert refused.status_code == 429
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert int(refused.headers["x-ratelimit-reset"]) > 0
