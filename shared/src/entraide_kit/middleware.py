"""The edge of every service, as one pure ASGI middleware.

In order: request id (taken from ``X-Request-ID`` or made), Accept-header
version (406), content type of bodies (415), rate limit with ``X-RateLimit-*``
headers on every answer (429), metrics and one access-log line.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics, tracing
from .auth import resolve_principal
from .errors import APIError
from .logging import request_id_var
from .ratelimit import RateDecision, RateLimiter
from .settings import ServiceSettings
from .versioning import negotiate

log = logging.getLogger("entraide.access")

# Internal endpoints on the service's own port: not rate limited, not logged.
INTERNAL_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json"})
_BODY_TYPES = ("application/json", "multipart/form-data", "application/x-www-form-urlencoded")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def client_ip(scope: Scope, settings: ServiceSettings) -> str:
    """The client's address: the gateway's X-Forwarded-For when the peer is the gateway."""
    peer = scope.get("client")
    peer_host = peer[0] if peer else "unknown"
    if settings.is_trusted_proxy(peer_host):
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                # Traefik replaces what an untrusted client sent and appends the
                # address it saw, so the last hop is the one to believe.
                hops = [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
                if hops:
                    return hops[-1]
    return str(peer_host)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope.get("path", "")
        internal = path in INTERNAL_PATHS
        settings: ServiceSettings = scope["app"].state.settings

        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else os.urandom(16).hex()
        token = request_id_var.set(request_id)
        # The gateway's trace (or a new one) for the logs, calls and events below.
        trace_token = None if internal else tracing.enter(_header(scope, b"traceparent"))
        extra_headers: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode())]
        status_holder = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.extend(extra_headers)
                message = {**message, "headers": headers}
            await send(message)

        try:
            if not internal:
                refusal = await self._check(scope, settings, extra_headers)
                if refusal is not None:
                    await self._refuse(refusal, send_wrapper)
                    return
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", "unmatched")
            metrics.observe(
                self.service, scope["method"], route_path, status_holder["status"], elapsed
            )
            if not internal:
                log.info(
                    "%s %s %s",
                    scope["method"],
                    path,
                    status_holder["status"],
                    extra={
                        "status": status_holder["status"],
                        "duration_ms": round(elapsed * 1000, 2),
                        "client": client_ip(scope, settings),
                    },
                )
            request_id_var.reset(token)
            tracing.leave(trace_token)

    async def _check(
        self, scope: Scope, settings: ServiceSettings, extra_headers: list[tuple[bytes, bytes]]
    ) -> APIError | None:
        from .errors import NotAcceptable, PayloadTooLarge, Throttled, UnsupportedMediaType

        try:
            negotiate(_header(scope, b"accept"))
        except ValueError:
            return NotAcceptable('Invalid version in "Accept" header.')

        # Uploaded images are served by id-like keys and cached by browsers: a
        # page of logos must not spend an anonymous visitor's hourly budget.
        is_media = scope["method"] in ("GET", "HEAD") and "/media/" in scope.get("path", "")
        if settings.rate_limit_enabled and not is_media:
            decision = await self._rate(scope, settings)
            extra_headers.extend(decision.headers())
            if not decision.allowed:
                wait = max(decision.reset - int(time.time()), 1)
                return Throttled(
                    f"Request was throttled. Expected available in {wait} seconds.",
                    headers={"Retry-After": str(wait)},
                )

        if scope["method"] in ("POST", "PUT", "PATCH"):
            ctype = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
            length = _header(scope, b"content-length")
            # The gateway also limits bodies (buffering); this holds without it.
            if length and length.isdigit() and int(length) > settings.max_body_bytes:
                return PayloadTooLarge()
            has_body = ctype or (length not in (None, "0"))
            if has_body and ctype and not (ctype in _BODY_TYPES or ctype.endswith("+json")):
                return UnsupportedMediaType(f'Unsupported media type "{ctype}" in request.')
        return None

    async def _rate(self, scope: Scope, settings: ServiceSettings) -> RateDecision:
        limiter: RateLimiter = scope["app"].state.rate_limiter
        request = Request(scope)
        try:
            principal = await resolve_principal(request)
        except APIError:
            # A bad token is counted as anonymous, by IP (rotating junk tokens
            # must not reset the count); the refusal stays cached for the route.
            principal = None
        window = settings.rate_limit_window
        if principal is not None:
            return await limiter.hit(f"user:{principal.id}", settings.rate_limit_user, window)
        return await limiter.hit(
            f"ip:{client_ip(scope, settings)}", settings.rate_limit_anon, window
        )

    @staticmethod
    async def _refuse(error: APIError, send: Send) -> None:
        body = orjson.dumps(error.body())
        headers: Iterable[tuple[bytes, bytes]] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
        ]
        start: dict[str, Any] = {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": list(headers),
        }
        await send(start)
        await send({"type": "http.response.body", "body": body})
