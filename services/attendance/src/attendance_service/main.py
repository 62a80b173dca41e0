"""The attendance service's app: ``uvicorn attendance_service.main:app``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from entraide_kit.app import create_app

from . import MIGRATIONS
from .config import AttendanceSettings, get_settings
from .events import SUBSCRIPTIONS
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


def __getattr__(name: str) -> Any:
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)
