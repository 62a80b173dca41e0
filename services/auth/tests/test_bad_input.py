"""No request to the auth API answers 422 or 500, whatever it sends."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from .conftest import UserFactory

BAD_BODIES: list[bytes] = [
    b"{not json",
    b"",
    b"null",
    b"[]",
    b'"a string"',
    b"12",
    b"{}",
    json.dumps({"email": 12, "password": None, "refresh": 5, "role": "king"}).encode(),
    json.dumps(
        {"email": ["a"], "password": {"x": 1}, "old_password": 1, "new_password": []}
    ).encode(),
    json.dumps({"email": "a@b.ma", "password": "x" * 10000, "birth_date": "31/12/1999"}).encode(),
    json.dumps(
        {"is_active": "perhaps", "profile_picture": "not a url", "username": "bad name!"}
    ).encode(),
    json.dumps({"first_name": "\u0000\ud7ff", "refresh": "a.b.c", "CIN_id": 123}).encode(),
    json.dumps(
        {"email": "\u0627\u0644\u0628\u0631\u064a\u062f@entraide.ma", "password": "x"}
    ).encode(),
]


def _paths(app: FastAPI) -> list[tuple[str, str]]:
    out = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            out.append((method.upper(), path.replace("{user_id}", "1")))
    return out


async def test_every_endpoint_answers_bad_input_with_a_4xx(
    auth_app: FastAPI, client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    endpoints = _paths(auth_app)
    assert len(endpoints) >= 15
    seen_statuses = set()
    for headers in ({}, admin["headers"]):
        for method, path in endpoints:
            for body in BAD_BODIES:
                resp = await client.request(
                    method,
                    path,
                    content=body,
                    headers={**headers, "Content-Type": "application/json"},
                )
                assert resp.status_code not in (422, 500), (method, path, body, resp.text)
                assert resp.status_code < 500, (method, path, body, resp.text)
                seen_statuses.add(resp.status_code)
                if resp.status_code >= 400:
                    payload = resp.json()
                    assert isinstance(payload, dict) and payload, (method, path, resp.text)
            resp = await client.request(
                method, path, content=b"hello", headers={**headers, "Content-Type": "text/plain"}
            )
            assert resp.status_code in (401, 403, 404, 405, 415) or resp.status_code < 300, (
                method,
                path,
                resp.text,
            )
    assert 400 in seen_statuses and 401 in seen_statuses


async def test_unsupported_media_type_is_415(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/api/token/", content=b"email=a", headers={"Content-Type": "text/plain"}
    )
    assert resp.status_code == 415
    assert resp.json() == {"detail": 'Unsupported media type "text/plain" in request.'}


async def test_too_large_body_is_413(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/api/token/",
        content=b"x" * (10 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.json() == {"detail": "Request body is too large."}


async def test_method_not_allowed_is_405_in_contract_shape(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/token/")
    assert resp.status_code == 405
    assert resp.json() == {"detail": 'Method "GET" not allowed.'}


async def test_versioning_by_accept_header(client: httpx.AsyncClient) -> None:
    ok = await client.get("/api/token/jwks/", headers={"Accept": "application/json; version=1.0"})
    assert ok.status_code == 200
    assert (await client.get("/api/token/jwks/")).status_code == 200
    bad = await client.get("/api/token/jwks/", headers={"Accept": "application/json; version=2.0"})
    assert bad.status_code == 406
    assert bad.json() == {"detail": 'Invalid version in "Accept" header.'}


async def test_request_id_is_taken_or_made(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/token/jwks/", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["x-request-id"] == "abc-123"
    made = await client.get("/api/token/jwks/")
    assert len(made.headers["x-request-id"]) == 32


async def test_a_number_is_no_birth_date(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    # Found by bench/fuzz.py: lax parsing took 0 for 1970-01-01.
    user = await make_user()
    for value in (0, 86400, 1.5):
        resp = await client.patch(
            "/api/accounts/users/me/", json={"birth_date": value}, headers=user["headers"]
        )
        assert resp.status_code == 400 and "birth_date" in resp.json(), value
    ok = await client.patch(
        "/api/accounts/users/me/", json={"birth_date": "2001-02-03"}, headers=user["headers"]
    )
    assert ok.status_code == 200 and ok.json()["birth_date"] == "2001-02-03"
