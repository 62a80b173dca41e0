"""The programs service's app: ``uvicorn programs_service.main:app``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from entraide_kit.app import create_app
from entraide_kit.storage import media_router, storage_hook

from . import MIGRATIONS, service
from .config import ProgramsSettings, get_settings
from .events import SUBSCRIPTIONS
from .router import programs, teachers
from .views import MEDIA_PATH


def build_app(settings: ProgramsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def reconciler(app: FastAPI) -> AsyncIterator[None]:
        """Releases, now and then, users made for teachers that were never saved."""
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
        title="Entraide programs service",
        description=(
            "Training programmes, annual course distributions, weekly course plans, "
            "training courses and teachers."
        ),
        routers=[programs, teachers, media_router(url_path=MEDIA_PATH)],
        migrations=MIGRATIONS,
        subscriptions=SUBSCRIPTIONS,
        lifespan_hooks=[storage_hook(url_path=MEDIA_PATH), reconciler],
    )


def __getattr__(name: str) -> Any:
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)
