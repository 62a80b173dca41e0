"""The programs service's app: ``uvicorn programs_service.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from entraide_kit import accounts
from entraide_kit.app import create_app, lazy_app
from entraide_kit.storage import media_router, storage_hook

from . import MIGRATIONS
from .answers import MEDIA_PATH
from .config import ProgramsSettings, get_settings
from .handlers import SUBSCRIPTIONS
from .legacy_router import teachers_alias
from .router import programs, teachers


def build_app(settings: ProgramsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    return create_app(
        settings=settings,
        title="Entraide programs service",
        description=(
            "Training programmes, annual course distributions, weekly course plans, "
            "training courses and teachers."
        ),
        # The web client's /api/teachers/teachers/ before /api/teachers/{teacher_id}/.
        routers=[programs, teachers_alias, teachers, media_router(url_path=MEDIA_PATH)],
        migrations=MIGRATIONS,
        subscriptions=SUBSCRIPTIONS,
        lifespan_hooks=[
            storage_hook(url_path=MEDIA_PATH),
            accounts.hook(
                grace=settings.pending_account_grace, interval=settings.reconcile_interval
            ),
        ],
    )


__getattr__ = lazy_app(build_app, globals())
