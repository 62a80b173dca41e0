"""The auth service's app: ``uvicorn auth_service.main:app``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import bindparam, select
from sqlmodel import col

from entraide_kit import fastread
from entraide_kit.answercache import request_generation
from entraide_kit.app import create_app, lazy_app
from entraide_kit.auth import Principal
from entraide_kit.errors import InvalidToken
from entraide_kit.storage import media_router, storage_hook

from . import MIGRATIONS, service
from .config import AuthSettings, get_settings
from .lockout import LoginGuard
from .models import User
from .router import CHECKED_USER, MEDIA_PATH, tokens, users
from .tokens import TokenIssuer, load_signing_key

log = logging.getLogger("auth")


#: the caller's row, every request: compiled once, sent by asyncpg as a prepared
#: statement, read as a plain row (bench/hotspots.py: a third of users/me was
#: SQLAlchemy's execution and hydration of this one row)
CALLER = fastread.Lookup.prepare(select(User).where(col(User.id) == bindparam("user_id")))


#: callers' rows kept per app (``app.state.callers``: id -> (generation, row))
CALLERS_KEPT = 4096


async def _caller(request: Request, user_id: int) -> Any:
    """The caller's row: read again only when the database changed since
    (``answercache.request_generation``: one tiny statement, which a kept
    answer reads anyway), so a kept users/me costs one round trip, not two."""
    db = request.app.state.db
    try:
        generation = await request_generation(request.scope)
    except Exception:  # no generation (a database without it): read every time
        return await CALLER.fetch_direct(db, user_id)
    callers: dict[int, tuple[int, Any]] = request.app.state.callers
    kept = callers.get(user_id)
    if kept is not None and kept[0] == generation:
        return kept[1]
    user = await CALLER.fetch_direct(db, user_id)
    if len(callers) >= CALLERS_KEPT:
        callers.clear()
    callers[user_id] = (generation, user)
    return user


async def token_guard(request: Request, principal: Principal) -> None:
    """Refuse tokens of users who were deleted, deactivated, or revoked their tokens.

    The row read here is kept on the request: reading one's own profile needs
    nothing more (``router.caller_as_checked``).
    """
    user = await _caller(request, principal.id)
    if user is None or not user.is_active or user.token_version != principal.token_version:
        raise InvalidToken()
    request.scope[CHECKED_USER] = user


def build_app(settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    key = load_signing_key(settings)

    @asynccontextmanager
    async def bootstrap(app: FastAPI) -> AsyncIterator[None]:
        app.state.issuer = TokenIssuer(key, settings)
        app.state.login_guard = LoginGuard(
            app.state.rate_limiter,
            limit=settings.login_failure_limit,
            window=settings.login_failure_window,
        )
        if settings.admin_email and settings.admin_password:
            async with app.state.db.session() as session, session.begin():
                created = await service.ensure_admin(
                    session, email=settings.admin_email, password=settings.admin_password
                )
            if created is not None:
                log.info("created the first admin %s", created.email)
        yield

    def public_keys(_: Any) -> dict[str, Any]:
        return {key.kid: key.public}

    app = create_app(
        settings=settings,
        title="Entraide auth service",
        description="Users, tokens, the public key set and uploaded profile pictures.",
        routers=[tokens, users, media_router(url_path=MEDIA_PATH)],
        migrations=MIGRATIONS,
        public_keys=public_keys,
        token_guard=token_guard,
        lifespan_hooks=[storage_hook(url_path=MEDIA_PATH), bootstrap],
    )
    app.state.callers = {}
    return app


__getattr__ = lazy_app(build_app, globals())
