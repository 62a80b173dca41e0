"""The schedule service's app: ``uvicorn schedule_service.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from entraide_kit.app import create_app, lazy_app

from . import MIGRATIONS
from .config import ScheduleSettings, get_settings
from .handlers import SUBSCRIPTIONS
from .router import instances, sessions


def build_app(settings: ScheduleSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_app(
        settings=settings,
        title="Entraide schedule service",
        description="Weekly schedule templates without conflicts, session instances, "
        "timetables and their calendar feeds.",
        routers=[sessions, instances],
        migrations=MIGRATIONS,
        subscriptions=SUBSCRIPTIONS,
    )


__getattr__ = lazy_app(build_app, globals())
