"""Calls through the gateway shared by the bench scripts (chaos, fuzz)."""

from __future__ import annotations

import time
from typing import Any

import httpx


def ok(resp: httpx.Response, status: int = 200) -> Any:
    """The JSON of an answer with this status; anything else stops the script."""
    if resp.status_code != status:
        raise RuntimeError(f"{resp.request.method} {resp.url}: {resp.status_code} {resp.text}")
    return resp.json()


def created(
    gw: httpx.Client,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    *,
    timeout: float = 30.0,
) -> Any:
    """POST until 201 (a record made a moment ago may not be in the copies yet)."""
    deadline = time.monotonic() + timeout
    while True:
        resp = gw.post(path, json=body, headers=headers)
        if resp.status_code == 201 or time.monotonic() > deadline:
            return ok(resp, 201)
        time.sleep(0.2)
