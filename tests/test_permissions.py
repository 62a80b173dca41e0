"""The permission matrix: every endpoint, as every role and as nobody, through the gateway.

docs/permissions.yaml says who may call what (from the contract's tables).
Allowed roles never get 403, the others always do, nobody gets 401 (unless
the endpoint is public), nothing answers 5xx, and a route that the table
lacks fails the test.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from entraide_stack import Stack

ROLES = ["admin", "center_supervisor", "association_supervisor", "trainer", "student"]
TABLE = Path(__file__).resolve().parent.parent / "docs" / "permissions.yaml"


def entries() -> list[dict[str, Any]]:
    data = yaml.safe_load(TABLE.read_text())
    return [dict(e, service=service) for service, rows in data.items() for e in rows]


@pytest.fixture(scope="module")
def stack(full_stack: Stack) -> Stack:
    return full_stack


@pytest.fixture(scope="module")
def gw(full_gw: httpx.Client) -> httpx.Client:
    return full_gw


@pytest.fixture(scope="module")
def tokens(stack: Stack, gw: httpx.Client) -> dict[str, dict[str, str]]:
    admin = gw.post(
        "/api/token/", json={"email": stack.admin_email, "password": stack.admin_password()}
    )
    out = {"admin": {"Authorization": f"Bearer {admin.json()['access']}"}}
    for role in ROLES[1:]:
        email = f"{role}-{uuid.uuid4().hex[:6]}@entraide.ma"
        made = gw.post(
            "/api/accounts/users/",
            json={"email": email, "password": "Sahara-Atlas-2024", "role": role},
            headers=out["admin"],
        )
        assert made.status_code == 201, made.text
        login = gw.post("/api/token/", json={"email": email, "password": "Sahara-Atlas-2024"})
        out[role] = {"Authorization": f"Bearer {login.json()['access']}"}
    return out


def _url(path: str) -> str:
    # A record that does not exist: allowed roles get a 404 (or a 400), never a 403.
    parts = [("999999" if p.startswith("{") else p) for p in path.split("/")]
    return "/".join(parts)


def _call(gw: httpx.Client, entry: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    kwargs: dict[str, Any] = {"headers": headers}
    if entry["method"] in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return gw.request(entry["method"], _url(entry["path"]), **kwargs)


def test_every_route_is_in_the_table(gw: httpx.Client) -> None:
    spec = gw.get("/swagger.json").json()
    served = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    listed = {(e["method"], e["path"]) for e in entries()}
    assert served - listed == set(), "routes the permission table lacks"
    assert listed - served == set(), "table rows with no route"


def test_the_matrix(gw: httpx.Client, tokens: dict[str, dict[str, str]]) -> None:
    problems = []
    for entry in entries():
        allowed = entry["roles"]
        nobody = _call(gw, entry, {})
        if allowed == "public":
            if nobody.status_code in (401, 403) or nobody.status_code >= 500:
                problems.append(
                    f"{entry['method']} {entry['path']} as nobody: {nobody.status_code}"
                )
            continue
        if nobody.status_code != 401:
            problems.append(
                f"{entry['method']} {entry['path']} as nobody: {nobody.status_code}, not 401"
            )
        for role in ROLES:
            resp = _call(gw, entry, tokens[role])
            may = allowed == "any" or role in allowed
            if resp.status_code >= 500:
                problems.append(f"{entry['method']} {entry['path']} as {role}: {resp.status_code}")
            elif may and resp.status_code in (401, 403):
                problems.append(
                    f"{entry['method']} {entry['path']} as {role}: {resp.status_code}, allowed"
                )
            elif not may and resp.status_code != 403:
                problems.append(
                    f"{entry['method']} {entry['path']} as {role}: {resp.status_code}, not 403"
                )
    assert problems == [], "\n".join(problems)


def test_a_missing_record_is_a_404_before_its_body_is_read(
    gw: httpx.Client, tokens: dict[str, dict[str, str]]
) -> None:
    """As DRF answers (the record is looked up before the body is validated): an
    update of a record that does not exist is a 404, even with a body that would
    be refused (issue 18: the reshaped routes keep the order)."""
    problems = []
    for entry in entries():
        if entry["method"] not in ("PUT", "PATCH") or "{" not in entry["path"]:
            continue
        if entry["roles"] not in ("any", "public") and "admin" not in entry["roles"]:
            continue
        resp = gw.request(
            entry["method"],
            _url(entry["path"]),
            json=["not", "an", "object"],
            headers=tokens["admin"],
        )
        if resp.status_code != 404:
            problems.append(
                f"{entry['method']} {entry['path']}: {resp.status_code} {resp.text[:80]}"
            )
    assert problems == [], "\n".join(problems)
