"""The attendance service's app: ``uvicorn attendance_service.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from entraide_kit.app import create_app, lazy_app
from entraide_kit.storage import storage_hook

from . import MIGRATIONS
from .alert_router import router as alert_router
from .alert_router import rules_router as alert_rules_router
from .config import AttendanceSettings, get_settings
from .handlers import SUBSCRIPTIONS
from .justification_router import router as justification_router
from .router import router


def build_app(settings: AttendanceSettings | None = None) -> FastAPI:
    return create_app(
        settings=settings or get_settings(),
        title="Entraide attendance service",
        description=(
            "Attendance records, bulk entry, queries, statistics and reports; absence "
            "justifications."
        ),
        routers=[router, justification_router, alert_rules_router, alert_router],
        migrations=MIGRATIONS,
        subscriptions=SUBSCRIPTIONS,
        # Justifications' documents (no public media route: each is read through
        # its justification, by those who may read it).
        lifespan_hooks=[storage_hook()],
    )


__getattr__ = lazy_app(build_app, globals())
