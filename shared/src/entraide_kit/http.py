"""Outgoing HTTP to other services (the rare direct calls).

``client(ctx, base_url)`` is an ``httpx.AsyncClient``; tests may route a
base URL to an app in the same process by putting an ASGI transport in
``app.state.http_transports[base_url]`` (the context carries them; the
production path is unchanged).
"""

from __future__ import annotations

from typing import Any

import httpx

from .context import Context


def client(ctx: Context | None, base_url: str, *, timeout: float) -> httpx.AsyncClient:
    transports: Any = {} if ctx is None else ctx.transports
    transport = transports.get(base_url.rstrip("/"))
    return httpx.AsyncClient(timeout=timeout, transport=transport)
