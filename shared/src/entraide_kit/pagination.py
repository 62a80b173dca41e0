"""DRF-compatible page-number pagination: ``count``, ``next``, ``previous``, ``results``.

``next``/``previous`` are absolute URLs a client can follow through the
gateway: scheme and host come from ``X-Forwarded-Proto``/``X-Forwarded-Host``
when the request came from a trusted proxy (Traefik).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .errors import NotFound

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    count: int
    next: str | None
    previous: str | None
    results: list[T]


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def page_dependency(max_size: int = MAX_PAGE_SIZE) -> Callable[..., PageParams]:
    """The ``page``/``page_size`` dependency, ``page_size`` capped at ``max_size``."""

    def page_params(page: str | None = None, page_size: str | None = None) -> PageParams:
        # Parsed by hand, as DRF does: a bad page is a 404 "Invalid page.", a bad
        # page_size falls back to the default, a huge one is capped.
        if page in (None, "", "last"):
            page_no = 1
        else:
            try:
                page_no = int(page)
            except ValueError:
                raise NotFound("Invalid page.") from None
            if page_no < 1:
                raise NotFound("Invalid page.")
        size = DEFAULT_PAGE_SIZE
        if page_size:
            try:
                size = int(page_size)
            except ValueError:
                size = DEFAULT_PAGE_SIZE
            if size < 1:
                size = DEFAULT_PAGE_SIZE
        return PageParams(page=page_no, page_size=min(size, max_size))

    # Declared with real objects (this module's annotations are strings, and the
    # description names this call's maximum), so FastAPI documents both parameters.
    described = (
        ("page", "A page number within the paginated result set."),
        ("page_size", f"Results per page (default {DEFAULT_PAGE_SIZE}, max {max_size})."),
    )
    page_params.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=None,
                annotation=Annotated[str | None, Query(description=text)],
            )
            for name, text in described
        ],
        return_annotation=PageParams,
    )
    return page_params


PageDep = Annotated[PageParams, Depends(page_dependency())]


def public_base_url(request: Request) -> str:
    """Scheme://host of the request as the client sent it (through the gateway)."""
    settings = getattr(request.app.state, "settings", None)
    peer = request.client.host if request.client else None
    if settings is not None and settings.is_trusted_proxy(peer):
        proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
        host = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
        if proto in ("http", "https") and host:
            return f"{proto}://{host}"
    return f"{request.url.scheme}://{request.url.netloc}"


def page_url(request: Request, page: int | None) -> str:
    # As DRF builds them: parameters sorted by name, page 1 without ``page``.
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    if page is not None and page > 1:
        params.append(("page", str(page)))
    query = urlencode(sorted(params, key=lambda kv: kv[0]))
    return f"{public_base_url(request)}{request.url.path}" + (f"?{query}" if query else "")


def build_page(
    request: Request, params: PageParams, count: int, results: Sequence[Any]
) -> dict[str, Any]:
    last = max((count + params.page_size - 1) // params.page_size, 1)
    if params.page > last:
        raise NotFound("Invalid page.")
    return {
        "count": count,
        "next": page_url(request, params.page + 1) if params.page < last else None,
        "previous": page_url(request, params.page - 1) if params.page > 1 else None,
        "results": list(results),
    }


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    request: Request,
    params: PageParams,
    transform: Callable[[Any], Any] | None = None,
    scalars: bool = True,
) -> dict[str, Any]:
    """One query for the count, one for the page; rows optionally transformed."""
    count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
    count = int((await session.execute(count_stmt)).scalar_one())
    rows: Sequence[Any] = []
    if count and params.offset < count:
        result = await session.execute(stmt.limit(params.page_size).offset(params.offset))
        rows = result.scalars().all() if scalars else result.all()
    if transform is not None:
        rows = [transform(r) for r in rows]
    return build_page(request, params, count, rows)
