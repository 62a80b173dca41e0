"""Helpers of the tests that talk to a real stack through its gateway."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


def ok(resp: httpx.Response, status: int = 200) -> Any:
    """The JSON of an answer that must have ``status``."""
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
    )
    return resp.json()


def login(gw: httpx.Client, email: str, password: str) -> dict[str, str]:
    """The Authorization header of a fresh access token."""
    tokens = ok(gw.post("/api/token/", json={"email": email, "password": password}))
    return {"Authorization": f"Bearer {tokens['access']}"}


def eventually(call: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 30.0) -> Any:
    """``call()`` again until ``check(result)`` (what another service learns by events),
    failing after ``timeout`` seconds: a deadline that holds on a loaded machine."""
    deadline = time.monotonic() + timeout
    while True:
        result = call()
        if check(result):
            return result
        assert time.monotonic() < deadline, f"not reached in {timeout}s: {result}"
        time.sleep(0.1)
