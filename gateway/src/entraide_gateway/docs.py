"""The docs app: one OpenAPI document for every service, Swagger UI and ReDoc.

``GET <upstream>/openapi.json`` is fetched from every service named by
``ENTRAIDE_<NAME>_URL`` (services that do not answer are skipped), merged (see
:mod:`entraide_gateway.merge`) and cached a few seconds. Swagger UI and ReDoc
are served from the ``fastapi_offline`` package's bundled assets: no CDN.

Run: ``uvicorn entraide_gateway.docs:app --host 127.0.0.1 --port 8100``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from .merge import merge_openapi

log = logging.getLogger("entraide.docs")

SERVICES = (
    "auth",
    "centers",
    "programs",
    "students",
    "schedule",
    "attendance",
    "exams",
    "content",
)
CACHE_SECONDS = float(os.environ.get("ENTRAIDE_DOCS_CACHE_SECONDS", "10"))
FETCH_TIMEOUT = float(os.environ.get("ENTRAIDE_DOCS_FETCH_TIMEOUT", "3"))


def _assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def upstreams_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{service: base URL}`` from ``ENTRAIDE_<NAME>_URL``, in the canonical order."""
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for name in SERVICES:
        url = env.get(f"ENTRAIDE_{name.upper()}_URL", "").strip()
        if url:
            found[name] = url.rstrip("/")
    return found


class OpenAPICollector:
    """Fetches and merges the services' documents, caching the result ``ttl`` seconds."""

    def __init__(self, upstreams: Mapping[str, str], ttl: float = CACHE_SECONDS) -> None:
        self.upstreams = dict(upstreams)
        self.ttl = ttl
        self._cached: dict[str, Any] | None = None
        self._cached_at = 0.0
        self._sources: list[str] = []
        self._lock = asyncio.Lock()

    @property
    def sources(self) -> list[str]:
        """The services whose documents made the last merge."""
        return list(self._sources)

    async def _fetch(
        self, client: httpx.AsyncClient, name: str, base: str
    ) -> dict[str, Any] | None:
        try:
            resp = await client.get(f"{base}/openapi.json")
        except httpx.HTTPError as exc:
            log.info("openapi of %s unavailable: %s", name, exc)
            return None
        if resp.status_code != 200:
            log.info("openapi of %s answered %s", name, resp.status_code)
            return None
        try:
            doc = resp.json()
        except ValueError:
            return None
        return doc if isinstance(doc, dict) else None

    async def document(self) -> dict[str, Any]:
        async with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached_at < self.ttl:
                return self._cached
            async with httpx.AsyncClient(timeout=FETCH_TIMEOUT) as client:
                results = await asyncio.gather(
                    *(self._fetch(client, n, u) for n, u in self.upstreams.items())
                )
            pairs = [
                (name, doc)
                for name, doc in zip(self.upstreams, results, strict=True)
                if doc is not None
            ]
            self._sources = [name for name, _ in pairs]
            self._cached = merge_openapi(pairs)
            self._cached_at = now
            return self._cached


SWAGGER_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Entraide National API - Swagger UI</title>
<link rel="icon" type="image/png" href="assets/favicon.png">
<link rel="stylesheet" href="assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="assets/swagger-ui-bundle.js"></script>
<script src="init.js"></script>
</body>
</html>
"""

SWAGGER_INIT_JS = """window.ui = SwaggerUIBundle({
  url: new URL("../swagger.json", window.location.href).href,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
});
"""

REDOC_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Entraide National API - ReDoc</title>
<link rel="icon" type="image/png" href="assets/favicon.png">
</head>
<body>
<redoc spec-url="../swagger.json"></redoc>
<script src="assets/redoc.standalone.js"></script>
</body>
</html>
"""


GATEWAY_ERRORS = {
    413: "Request body is too large.",
    502: "Service temporarily unavailable, try again later.",
    503: "Service temporarily unavailable, try again later.",
    504: "The service took too long to answer.",
}


def create_app(upstreams: Mapping[str, str] | None = None, ttl: float = CACHE_SECONDS) -> FastAPI:
    collector = OpenAPICollector(upstreams if upstreams is not None else upstreams_from_env(), ttl)

    app = FastAPI(
        title="Entraide docs",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.collector = collector
    assets = StaticFiles(directory=str(_assets_dir()))
    app.mount("/swagger/assets", assets, name="swagger-assets")
    app.mount("/redoc/assets", assets, name="redoc-assets")

    @app.get("/swagger.json", include_in_schema=False)
    async def swagger_json() -> JSONResponse:
        return JSONResponse(await collector.document())

    @app.get("/swagger.yaml", include_in_schema=False)
    async def swagger_yaml() -> Response:
        text = yaml.safe_dump(
            await collector.document(), sort_keys=False, allow_unicode=True, width=120
        )
        return Response(text, media_type="application/yaml")

    @app.get("/swagger", include_in_schema=False)
    async def swagger_redirect() -> RedirectResponse:
        return RedirectResponse("/swagger/", status_code=301)

    @app.get("/swagger/", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(SWAGGER_HTML)

    @app.get("/swagger/init.js", include_in_schema=False)
    async def swagger_init() -> Response:
        return Response(SWAGGER_INIT_JS, media_type="application/javascript")

    @app.get("/redoc", include_in_schema=False)
    async def redoc_redirect() -> RedirectResponse:
        return RedirectResponse("/redoc/", status_code=301)

    @app.get("/redoc/", include_in_schema=False)
    async def redoc_ui() -> HTMLResponse:
        return HTMLResponse(REDOC_HTML)

    @app.get("/gateway-errors/{status}/", include_in_schema=False)
    async def gateway_error(status: int) -> JSONResponse:
        # Traefik's errors middleware asks here for the body of the errors the
        # gateway itself makes, and keeps the original status code.
        detail = GATEWAY_ERRORS.get(status, "The gateway could not serve this request.")
        return JSONResponse({"detail": detail})

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, Any]:
        return {"status": "ok", "upstreams": sorted(collector.upstreams)}

    return app


app = create_app()
