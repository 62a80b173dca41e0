"""The content service's app: ``uvicorn content_service.main:app``."""

from __future__ import annotations

from fastapi import FastAPI, Request

from entraide_kit.app import create_app, lazy_app
from entraide_kit.storage import Storage, media_router, storage_hook

from . import MIGRATIONS
from .answers import COVERS_FOLDER, MEDIA_PATH
from .config import ContentSettings, get_settings
from .handlers import SUBSCRIPTIONS
from .links import PdfLinks
from .router import router


class CoversOnly:
    """The storage as the public media route sees it: cover images only (a lesson's
    PDF is served by its pdf_proxy/, to those who may read it)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def save(self, *, folder: str, data: bytes, content_type: str, extension: str) -> str:
        raise PermissionError("the media route does not write")

    async def load(self, key: str) -> tuple[bytes, str] | None:
        if not key.startswith(COVERS_FOLDER + "/"):
            return None
        return await self.storage.load(key)

    async def delete(self, key: str) -> None:
        raise PermissionError("the media route does not delete")

    def url(self, key: str, *, base_url: str) -> str:
        return self.storage.url(key, base_url=base_url)

    async def aclose(self) -> None:
        return None


def _covers(request: Request) -> Storage:
    return CoversOnly(request.app.state.storage)


def build_app(settings: ContentSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = create_app(
        settings=settings,
        title="Entraide content service",
        description=(
            "Training content: courses, their units, sections and lessons (video, PDF, "
            "text, link), and each section's practice questions with their options."
        ),
        routers=[router, media_router(_covers, url_path=MEDIA_PATH)],
        migrations=MIGRATIONS,
        subscriptions=SUBSCRIPTIONS,
        lifespan_hooks=[storage_hook(url_path=MEDIA_PATH)],
    )
    secret = settings.link_secret.get_secret_value() if settings.link_secret else None
    app.state.pdf_links = PdfLinks.from_secret(secret, settings.link_ttl_seconds)
    return app


__getattr__ = lazy_app(build_app, globals())
