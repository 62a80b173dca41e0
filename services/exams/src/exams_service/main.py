"""The exams service's app: ``uvicorn exams_service.main:app``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from entraide_kit.app import create_app

from . import MIGRATIONS
from .config import ExamsSettings, get_settings
from .events import SUBSCRIPTIONS
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


def __getattr__(name: str) -> Any:
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)
