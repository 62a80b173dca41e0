"""Outgoing HTTP to other services (the rare direct calls).

``client(request, base_url)`` is an ``httpx.AsyncClient``; tests may route a
base URL to an app in the same process by putting an ASGI transport in
``app.state.http_transports[base_url]`` (the production path is unchanged).
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request


def client(request: Request | None, base_url: str, *, timeout: float) -> httpx.AsyncClient:
    transports: dict[str, Any] = {}
    if request is not None:
        transports = getattr(request.app.state, "http_transports", None) or {}
    transport = transports.get(base_url.rstrip("/"))
    return httpx.AsyncClient(timeout=timeout, transport=transport)
