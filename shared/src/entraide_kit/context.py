"""What a service function needs from the HTTP request, as plain values.

Routers build one :class:`Context` per request (``CtxDep``) and pass it down;
service and repository functions never see a ``Request``, so a consumer, a
command or a test calls them with a context of its own
(:meth:`Context.plain`).

It carries the public base URL (links: pagination, media), the request's path
and query (pagination links), the caller's ``Authorization`` and request id
(forwarded on calls to other services), and the app's settings, storage and
test transports. Not the caller: service functions take the ``Principal``
as an argument of their own, named, where their rules need it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request

from . import tracing

if TYPE_CHECKING:
    from .db import Database
    from .storage import Storage


@dataclass(frozen=True, slots=True)
class Context:
    #: scheme://host as the client sent it (through the gateway)
    base_url: str
    #: the request's path, for links to other pages of the same list
    path: str = "/"
    #: the query string's items, in order
    query: tuple[tuple[str, str], ...] = ()
    #: the caller's ``Authorization`` header, for calls made on their behalf
    authorization: str | None = None
    request_id: str | None = None
    settings: Any = None
    storage: Storage | None = None
    db: Database | None = None
    #: base URL -> ASGI transport (tests route calls to apps in process)
    transports: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def plain(cls, base_url: str = "http://localhost", **values: Any) -> Context:
        """A context outside any request (consumers, commands, tests)."""
        return cls(base_url=base_url.rstrip("/"), **values)

    @classmethod
    def of(cls, request: Request) -> Context:
        """The request's context, built once and kept in its scope."""
        scope = request.scope
        cached = scope.get(_SCOPE_KEY)
        if cached is not None:
            return cached
        state = request.app.state
        settings = getattr(state, "settings", None)
        headers = request.headers
        ctx = cls(
            base_url=_public_base_url(request, settings),
            path=scope.get("path", "/"),
            query=tuple(request.query_params.multi_items()),
            authorization=headers.get("authorization"),
            request_id=headers.get("x-request-id"),
            settings=settings,
            storage=getattr(state, "storage", None),
            db=getattr(state, "db", None),
            transports=getattr(state, "http_transports", None) or {},
        )
        scope[_SCOPE_KEY] = ctx
        return ctx

    def page_url(self, page: int | None) -> str:
        """This list's URL at another page, as DRF builds it: parameters sorted
        by name, page 1 without ``page``."""
        params = [(k, v) for k, v in self.query if k != "page"]
        if page is not None and page > 1:
            params.append(("page", str(page)))
        query = urlencode(sorted(params, key=lambda kv: kv[0]))
        return f"{self.base_url}{self.path}" + (f"?{query}" if query else "")

    def call_headers(self) -> dict[str, str]:
        """Headers for a call to another service on the caller's behalf."""
        headers: dict[str, str] = {}
        if self.authorization:
            headers["Authorization"] = self.authorization
        if self.request_id:
            headers["X-Request-ID"] = self.request_id
        # The trace as it is when the call is made (the httpx instrumentation,
        # when spans are exported, replaces it with its client span's).
        traceparent = tracing.traceparent()
        if traceparent:
            headers["traceparent"] = traceparent
        return headers

    def setting(self, name: str, default: Any = None) -> Any:
        return getattr(self.settings, name, default)


_SCOPE_KEY = "entraide.context"


def _public_base_url(request: Request, settings: Any) -> str:
    peer = request.client.host if request.client else None
    if settings is not None and settings.is_trusted_proxy(peer):
        proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
        host = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
        if proto in ("http", "https") and host:
            return f"{proto}://{host}"
    return f"{request.url.scheme}://{request.url.netloc}"


async def get_context(request: Request) -> Context:
    return Context.of(request)


CtxDep = Annotated[Context, Depends(get_context)]
