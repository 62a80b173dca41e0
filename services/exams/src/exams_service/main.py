"""The exams service's app: ``uvicorn exams_service.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from entraide_kit.app import create_app, lazy_app

from . import MIGRATIONS
from .config import ExamsSettings, get_settings
from .handlers import SUBSCRIPTIONS
from .router import router


def build_app(settings: ExamsSettings | None = None) -> FastAPI:
    return create_app(
        settings=settings or get_settings(),
        title="Entraide exams service",
        description="Question bank, exams, submissions with grading, results.",
        routers=[router],
        migrations=MIGRATIONS,
        subscriptions=SUBSCRIPTIONS,
    )


__getattr__ = lazy_app(build_app, globals())
