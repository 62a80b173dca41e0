"""The students service's app: ``uvicorn students_service.main:app``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from entraide_kit.app import create_app

from . import MIGRATIONS, service
from .config import StudentsSettings, get_settings
from .events import SUBSCRIPTIONS
from .router import router


def build_app(settings: StudentsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def reconciler(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(
            service.reconcile_forever(app.state.db, settings), name="reconcile"
        )
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return create_app(
        settings=settings,
        title="Entraide students service",
        description="Students with their accounts, and bulk import from Excel.",
        routers=[router],
        migrations=MIGRATIONS,
        subscriptions=SUBSCRIPTIONS,
        lifespan_hooks=[reconciler],
    )


def __getattr__(name: str) -> Any:
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)
