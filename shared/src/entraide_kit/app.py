"""The one app factory every service is built with.

It wires the contract's error format, the edge middleware (request ids,
versioning, content types, rate limits, metrics, access log), JWT
verification, the database (built in the lifespan, migrated at start),
health and metrics endpoints, and the bearer scheme of the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from . import tracing
from .answercache import AnswerCacheMiddleware
from .auth import TokenGuard, TokenVerifier
from .db import Database
from .errors import install_error_handlers
from .events.connection import Nats
from .events.consumer import ConsumerRunner, Subscription
from .events.relay import OutboxRelay
from .events.revocation import RevocationGuard, revocation_subscription
from .logging import configure_logging
from .metrics import metrics_endpoint
from .middleware import EdgeMiddleware
from .migrations import upgrade
from .openapi import install_openapi
from .ratelimit import make_rate_limiter
from .settings import ServiceSettings
from .shutdown import Deadline, bounded, shutdown_deadline, stop_tasks

log = logging.getLogger("entraide.app")

Hook = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    migrations: Path | None,
    public_keys: Callable[[ServiceSettings], Mapping[str, Any]] | None = None,
    token_guard: TokenGuard | None = None,
    subscriptions: Sequence[Subscription] = (),
    lifespan_hooks: Sequence[Hook] = (),
    openapi_tags: list[dict[str, Any]] | None = None,
) -> FastAPI:
    """Build a service's FastAPI app.

    ``public_keys`` gives verification keys directly (the auth service, which
    holds its own key pair); other services fetch them from ``ENTRAIDE_JWKS_URL``.
    ``lifespan_hooks`` run inside the lifespan once the database is ready, in
    order, and are closed in reverse order.

    Events: the outbox relay runs in every service; the consumer runs the
    given ``subscriptions`` plus auth's user events for token revocation,
    unless the service brings its own ``token_guard`` (auth itself does).
    """
    own_guard = token_guard is not None
    all_subscriptions = list(subscriptions)
    if not own_guard:
        token_guard = RevocationGuard()
        all_subscriptions.append(revocation_subscription())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(
            settings.service_name, level=settings.log_level, json_lines=settings.log_json
        )
        db = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            echo=settings.db_echo,
        )
        app.state.db = db
        if migrations is not None:
            await upgrade(db.engine, migrations, service=settings.service_name)
        verifier = TokenVerifier(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            # A service holding its own keys (auth) never fetches a key set.
            jwks_url=None if public_keys else settings.jwks_url,
            keys=public_keys(settings) if public_keys else None,
        )
        if public_keys is None:
            await verifier.refresh()
        app.state.verifier = verifier
        nats = Nats(
            settings.nats_url,
            name=settings.service_name,
            stream_replicas=settings.nats_stream_replicas,
        )
        app.state.nats = nats
        app.state.rate_limiter = make_rate_limiter(
            settings.redis_url,
            nats if settings.events_enabled else None,
            window=settings.rate_limit_window,
        )
        app.state.relay = OutboxRelay(db=db, nats=nats)
        app.state.consumer = ConsumerRunner(
            service=settings.service_name, db=db, nats=nats, subscriptions=all_subscriptions
        )
        tasks: dict[str, asyncio.Task[None]] = {}
        if settings.events_enabled:
            # Background work: neither waits for NATS, so a service starts and
            # serves (writing its outbox) while NATS is down.
            tasks["relay"] = asyncio.create_task(app.state.relay.run(), name="outbox-relay")
            tasks["consumer"] = asyncio.create_task(app.state.consumer.run(), name="consumer")
        app.state.event_tasks = tasks
        app.state.shutdown_deadline = None
        try:
            async with _run_hooks(app, lifespan_hooks):
                log.info("%s ready", settings.service_name)
                if settings.environment != "test":
                    # What the start built (modules, the app, its models: ~150,000
                    # objects) lives as long as the process: out of the cyclic
                    # collector's sight, its full collections stop walking it (they
                    # paused a large answer for ~80 ms every few requests). Tests
                    # start many apps in one process, and keep collecting them.
                    gc.collect()
                    gc.freeze()
                yield
                # The teardown's deadline, shared by the hooks (which close first)
                # and the steps below; uvicorn gave open requests their part before.
                app.state.shutdown_deadline = Deadline(settings.teardown_timeout)
        finally:
            await _teardown(app, tasks, nats, db)

    app = FastAPI(
        title=title,
        description=description,
        version="1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        openapi_tags=openapi_tags,
        # Trailing slashes are part of every contract path; /x redirects to /x/.
        redirect_slashes=True,
    )
    app.state.settings = settings
    app.state.token_guard = token_guard
    install_error_handlers(app)
    install_openapi(app)
    # Added first, so it runs inside the edge: a kept answer is still rate
    # limited, counted and logged like any other.
    app.add_middleware(
        AnswerCacheMiddleware,
        max_bytes=settings.answer_cache_mb << 20,
        service=settings.service_name,
    )
    app.add_middleware(EdgeMiddleware, service=settings.service_name)
    # Spans over OTLP when an endpoint is set (a server span per request,
    # outside the edge); otherwise the edge alone carries the trace context.
    if tracing.configure(settings.service_name):
        tracing.instrument_app(app)

    for router in routers:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        try:
            async with request.app.state.db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse(
                {"status": "unavailable", "detail": str(exc)[:200]}, status_code=503
            )
        return JSONResponse({"status": "ok"})

    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    return app


async def _teardown(
    app: FastAPI, tasks: Mapping[str, asyncio.Task[None]], nats: Nats, db: Database
) -> None:
    """Every step bounded, so that the whole fits in the deadline whatever NATS,
    PostgreSQL or Redis are doing; a step cut short leaves nothing that matters:
    the relay's unacknowledged rows stay pending, the consumer's unacked messages
    are redelivered."""
    deadline = shutdown_deadline(app)
    await stop_tasks(tasks.values(), deadline.left(cap=2.0), what="event tasks")
    await nats.close(within=deadline.left(cap=1.5))
    await bounded(app.state.rate_limiter.close(), deadline.left(cap=0.5), what="rate limiter")
    await bounded(db.dispose(), deadline.left(), what="database pool")
    if tracing.exporting():
        await bounded(
            asyncio.to_thread(tracing.flush, deadline.left(cap=1.0)),
            deadline.left(cap=1.0),
            what="spans",
        )


@asynccontextmanager
async def _run_hooks(app: FastAPI, hooks: Sequence[Hook]) -> AsyncIterator[None]:
    if not hooks:
        yield
        return
    async with hooks[0](app), _run_hooks(app, hooks[1:]):
        yield


def lazy_app(build: Callable[[], FastAPI], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` building ``app`` on first access, so that
    ``uvicorn <name>_service.main:app`` works while importing the module (tests,
    tools) reads no settings: ``__getattr__ = lazy_app(build_app, globals())``."""

    def __getattr__(name: str) -> Any:
        if name == "app":
            namespace["app"] = built = build()
            return built
        raise AttributeError(name)

    return __getattr__
