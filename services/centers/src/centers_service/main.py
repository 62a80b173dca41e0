"""The centers service's app: ``uvicorn centers_service.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from entraide_kit.app import create_app, lazy_app
from entraide_kit.storage import media_router, storage_hook

from . import MIGRATIONS
from .answers import MEDIA_PATH
from .config import CentersSettings, get_settings
from .handlers import SUBSCRIPTIONS
from .router import associations, centers


def build_app(settings: CentersSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_app(
        settings=settings,
        title="Entraide centers service",
        description="Associations, centres, rooms, equipment and groups.",
        routers=[associations, centers, media_router(url_path=MEDIA_PATH)],
        migrations=MIGRATIONS,
        subscriptions=SUBSCRIPTIONS,
        lifespan_hooks=[storage_hook(url_path=MEDIA_PATH)],
    )


__getattr__ = lazy_app(build_app, globals())
