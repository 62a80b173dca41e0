"""Starting a service's app in the test process, and talking to it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from .tokens import TokenFactory


@asynccontextmanager
async def started(
    app: FastAPI, *, tokens: TokenFactory | None = None, env: Mapping[str, str] | None = None
) -> AsyncIterator[FastAPI]:
    """Run the app's lifespan (migrations, relay, consumer); trust ``tokens``; ``env`` is
    set only while the app starts (for settings read at start, e.g. the media folder)."""
    previous = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})

    def restore() -> None:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    try:
        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
            restore()  # read at start only: other tests must not see it
            if tokens is not None:
                app.state.verifier.set_keys(tokens.keys())
            yield app
    finally:
        restore()


def client(app: FastAPI, *, peer: str = "127.0.0.1") -> httpx.AsyncClient:
    """An HTTP client calling the app in process (the request runs in the caller's task)."""
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


#: ``await api("POST", url, USER_ID, json=...)``
Api = Callable[..., Awaitable[httpx.Response]]


def caller(
    http: httpx.AsyncClient,
    tokens: TokenFactory,
    *,
    role_of: Callable[[int], str],
    default_user: int,
    prefix: str = "",
) -> Api:
    """A test's way to call a service as one of its users: ``await api(method, url,
    user, **httpx_kwargs)`` sends a token of ``user`` with the role ``role_of(user)``
    gives (``user=None``: no token), to ``prefix + url``."""

    async def call(
        method: str, url: str, user: int | None = default_user, **kwargs: Any
    ) -> httpx.Response:
        headers = tokens.headers(user, role_of(user)) if user is not None else {}
        return await http.request(method, prefix + url, headers=headers, **kwargs)

    return call
