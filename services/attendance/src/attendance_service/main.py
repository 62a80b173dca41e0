"""The attendance service's app: ``uvicorn attendance_service.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from entraide_kit.app import create_app, lazy_app

from . import MIGRATIONS
from .config import AttendanceSettings, get_settings
from .handlers import SUBSCRIPTIONS
from .router import router


def build_app(settings: AttendanceSettings | None = None) -> FastAPI:
    return create_app(
        settings=settings or get_settings(),
        title="Entraide attendance service",
        description="Attendance records, bulk entry, queries, statistics and reports.",
        routers=[router],
        migrations=MIGRATIONS,
        subscriptions=SUBSCRIPTIONS,
    )


__getattr__ = lazy_app(build_app, globals())
