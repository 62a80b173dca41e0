"""One budget per client across every service, in the default stack (no Redis):
counted in NATS's counters (issue 19)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from entraide_stack import Stack, StackConfig
from entraide_stack.testing.gateway import login, ok

ANONYMOUS = ["/api/token/jwks/", "/api/centers-app/centers/", "/api/schedule/api/sessions/"]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """auth, centers and schedule with the contract's limits (60 an hour anonymous)."""
    root = Path(tempfile.mkdtemp(prefix="entraide-e2e-shared-limits-"))
    config = StackConfig.for_tests(root, services=["auth", "centers", "schedule"])
    with Stack(config) as running:
        yield running


def test_a_users_count_falls_by_one_whichever_service_answers(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as gw:
        # (run first: the login is one of this address's anonymous requests)
        headers = login(gw, stack.admin_email, stack.admin_password())
        paths = [
            "/api/accounts/users/me/",
            "/api/centers-app/centers/",
            "/api/schedule/api/sessions/",
            "/api/centers-app/rooms/",
            "/api/accounts/users/me/",
            "/api/schedule/api/instances/",
        ]
        remaining = []
        for path in paths:
            resp = gw.get(path, headers=headers)
            assert resp.status_code == 200, (path, resp.text)
            assert resp.headers["x-ratelimit-limit"] == "1000"
            remaining.append(int(resp.headers["x-ratelimit-remaining"]))
        assert remaining == list(range(remaining[0], remaining[0] - len(paths), -1))


def test_ten_failed_logins_lock_that_account_only(stack: Stack) -> None:
    password = "Sahara-Atlas-2024"
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as gw:
        headers = login(gw, stack.admin_email, stack.admin_password())
        emails = []
        for name in ("target", "neighbour"):
            email = f"{name}-{uuid.uuid4().hex[:6]}@entraide.ma"
            body = {"email": email, "password": password, "role": "trainer", "first_name": name}
            ok(gw.post("/api/accounts/users/", json=body, headers=headers), 201)
            emails.append(email)
        target, neighbour = emails
        for _ in range(10):
            wrong = gw.post("/api/token/", json={"email": target, "password": "not-it"})
            assert wrong.status_code == 401, wrong.text
        # The right password now gets a 429 too, for this account only (and its
        # address spelled otherwise), from the same address.
        for email, secret in ((target, password), (target.upper(), "not-it")):
            locked = gw.post("/api/token/", json={"email": email, "password": secret})
            assert locked.status_code == 429, locked.text
            assert locked.json()["detail"].startswith("Too many failed logins for this account.")
            assert 1 <= int(locked.headers["retry-after"]) <= 900
        assert login(gw, neighbour, password)


def test_sixty_anonymous_requests_across_services_then_429_on_each(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as gw:
        first = gw.get(ANONYMOUS[0])
        assert first.headers["x-ratelimit-limit"] == "60"
        left = int(first.headers["x-ratelimit-remaining"])
        for i in range(left):
            resp = gw.get(ANONYMOUS[(i + 1) % 3])
            assert resp.status_code in (200, 401), resp.text
            assert int(resp.headers["x-ratelimit-remaining"]) == left - 1 - i
        for path in ANONYMOUS:
            refused = gw.get(path)
            assert refused.status_code == 429, path
            assert refused.headers["x-ratelimit-remaining"] == "0"
            assert int(refused.headers["retry-after"]) >= 1
