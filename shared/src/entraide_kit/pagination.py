"""DRF-compatible page-number pagination: ``count``, ``next``, ``previous``, ``results``.

``next``/``previous`` are absolute URLs a client can follow through the
gateway: scheme and host come from ``X-Forwarded-Proto``/``X-Forwarded-Host``
when the request came from a trusted proxy (Traefik).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .context import Context
from .errors import NotFound

DEFAULT_PAGE_SIZE = 20
TOTAL_LABEL = "entraide_total"
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


def page_dependency(max_size: int = MAX_PAGE_SIZE) -> Callable[..., Awaitable[PageParams]]:
    """The ``page``/``page_size`` dependency, ``page_size`` capped at ``max_size``.

    A coroutine, as every dependency of the kit: FastAPI runs a plain function
    in a worker thread, a hop that cost more than the parsing (py-spy)."""

    async def page_params(page: str | None = None, page_size: str | None = None) -> PageParams:
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


def build_page(
    ctx: Context, params: PageParams, count: int, results: Sequence[Any]
) -> dict[str, Any]:
    """The page's answer; 404 "Invalid page." past the last page. Links through
    the gateway (``ctx.page_url``: scheme and host from ``X-Forwarded-*`` when
    the request came from a trusted proxy)."""
    here = ctx
    last = max((count + params.page_size - 1) // params.page_size, 1)
    if params.page > last:
        raise NotFound("Invalid page.")
    return {
        "count": count,
        "next": here.page_url(params.page + 1) if params.page < last else None,
        "previous": here.page_url(params.page - 1) if params.page > 1 else None,
        "results": list(results),
    }


def with_total(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` with the count of all its rows as a last column, ``entraide_total``: the
    count and the page in one round trip. PostgreSQL runs the uncorrelated
    subquery once (an InitPlan) and still plans the page with its LIMIT."""
    total = select(func.count()).select_from(stmt.order_by(None).subquery()).scalar_subquery()
    return stmt.add_columns(total.label(TOTAL_LABEL))


async def fetch_page(
    session: AsyncSession, stmt: Select[Any], params: PageParams, *, scalars: bool = True
) -> tuple[int, list[Any]]:
    """(count, rows of the page) in one statement. An empty page carries no
    count; none is needed: page 1 of it is an empty list (count 0), and any
    later page is past the end, a 404 either way (``build_page``)."""
    result = await session.execute(with_total(stmt).limit(params.page_size).offset(params.offset))
    raw = result.all()
    if not raw:
        return 0, []
    count = int(raw[0][-1])
    if scalars:
        return count, [r[0] for r in raw]
    # Rows keep the total as an extra last column: read them by name or index.
    return count, raw


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    ctx: Context,
    params: PageParams,
    transform: Callable[[Any], Any] | None = None,
    scalars: bool = True,
) -> dict[str, Any]:
    """The count and the page in one statement; rows optionally transformed."""
    count, rows = await fetch_page(session, stmt, params, scalars=scalars)
    if transform is not None:
        rows = [transform(r) for r in rows]
    return build_page(ctx, params, count, rows)
