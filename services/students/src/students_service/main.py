"""The students service's app: ``uvicorn students_service.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from entraide_kit import accounts
from entraide_kit.app import create_app, lazy_app

from . import MIGRATIONS
from .config import StudentsSettings, get_settings
from .handlers import SUBSCRIPTIONS
from .legacy_router import router as client_router
from .router import router


def build_app(settings: StudentsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    return create_app(
        settings=settings,
        title="Entraide students service",
        description="Students with their accounts, and bulk import from Excel.",
        # The client's /api/students/students/... first: router's /{student_id}/ would
        # read "students" as an id.
        routers=[client_router, router],
        migrations=MIGRATIONS,
        subscriptions=SUBSCRIPTIONS,
        lifespan_hooks=[
            accounts.hook(
                grace=settings.pending_account_grace, interval=settings.reconcile_interval
            )
        ],
    )


__getattr__ = lazy_app(build_app, globals())
