"""List helpers: ``?search=``, ``?ordering=a,-b`` and exact-match filters.

A list endpoint declares a ``ListSpec`` naming the columns it may search,
order and filter on; only those names ever reach SQL (an unknown ordering
field is ignored, as DRF does). ``ListSpec.dependency()`` builds a FastAPI
dependency whose signature declares every parameter, so they show in the
OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import ColumnElement, Select, or_

from .errors import ValidationFailed

_TRUE = {"true", "1", "yes", "on", "True"}
_FALSE = {"false", "0", "no", "off", "False"}


def parse_bool(value: str) -> bool:
    if value in _TRUE or value.lower() in _TRUE:
        return True
    if value in _FALSE or value.lower() in _FALSE:
        return False
    raise ValueError("Must be a valid boolean.")


def _parse(kind: type, value: str) -> Any:
    if kind is bool:
        return parse_bool(value)
    if kind is int:
        try:
            return int(value)
        except ValueError:
            raise ValueError("Enter a whole number.") from None
    if kind is dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("Enter a valid date.") from None
    if kind is float:
        try:
            return float(value)
        except ValueError:
            raise ValueError("Enter a number.") from None
    return value


@dataclass(frozen=True)
class Filter:
    """An exact-match filter: ``?name=value`` becomes ``column == value``."""

    column: Any
    kind: type = str
    description: str | None = None
    # For filters that are not a plain column comparison (e.g. through a join).
    build: Callable[[Any], ColumnElement[bool]] | None = None
    choices: Collection[str] | None = None

    def clause(self, value: Any) -> ColumnElement[bool]:
        if self.build is not None:
            return self.build(value)
        return self.column == value  # type: ignore[no-any-return,unused-ignore]


def _search_clause(target: Any, pattern: str) -> ColumnElement[bool]:
    """A column is matched with ILIKE; a callable builds its own clause (e.g. an EXISTS
    over a related table) from the escaped pattern."""
    if callable(target) and not hasattr(target, "ilike"):
        return target(pattern)
    return target.ilike(pattern, escape="\\")


def ilike(column: Any, pattern: str) -> ColumnElement[bool]:
    """The ILIKE a callable search field should use (same escaping)."""
    return column.ilike(pattern, escape="\\")


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class ListQuery:
    search: str | None
    ordering: str | None
    filters: Mapping[str, str]


@dataclass
class ListSpec:
    search_fields: Sequence[Any] = ()
    ordering_fields: Mapping[str, Any] = field(default_factory=dict)
    default_ordering: Sequence[str] = ()
    filters: Mapping[str, Filter] = field(default_factory=dict)
    # A unique column appended to every ordering, so pages never overlap.
    tiebreaker: Any = None

    def apply(self, stmt: Select[Any], query: ListQuery) -> Select[Any]:
        errors: dict[str, list[str]] = {}
        for name, raw in query.filters.items():
            flt = self.filters[name]
            try:
                value = _parse(flt.kind, raw)
            except ValueError as exc:
                errors[name] = [str(exc)]
                continue
            if flt.choices is not None and value not in flt.choices:
                errors[name] = [
                    f"Select a valid choice. {raw} is not one of the available choices."
                ]
                continue
            stmt = stmt.where(flt.clause(value))
        if errors:
            raise ValidationFailed(errors)

        if query.search and self.search_fields:
            terms = [t for t in query.search.replace(",", " ").split() if t][:10]
            for term in terms:
                pattern = f"%{_escape_like(term)}%"
                stmt = stmt.where(or_(*(_search_clause(f, pattern) for f in self.search_fields)))

        order_by = self.order_clauses(query.ordering)
        if order_by:
            stmt = stmt.order_by(*order_by)
        return stmt

    def order_clauses(self, ordering: str | None) -> list[Any]:
        names = [n.strip() for n in (ordering or "").split(",") if n.strip()]
        clauses = []
        for name in names:
            desc = name.startswith("-")
            col = self.ordering_fields.get(name.lstrip("-"))
            if col is None:
                continue  # unknown fields are ignored, never passed into SQL
            clauses.append(col.desc() if desc else col.asc())
        if not clauses:
            for name in self.default_ordering:
                col = self.ordering_fields[name.lstrip("-")]
                clauses.append(col.desc() if name.startswith("-") else col.asc())
        if self.tiebreaker is not None:
            clauses.append(self.tiebreaker.asc())
        return clauses

    def dependency(self) -> Callable[..., Awaitable[ListQuery]]:
        """A FastAPI dependency parsing this spec's query parameters (a coroutine:
        FastAPI would run a plain function in a worker thread)."""
        filter_names = list(self.filters)
        params = [
            inspect.Parameter(
                "search",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[str | None, Query(description="A search term.")],
            ),
            inspect.Parameter(
                "ordering",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[
                    str | None,
                    Query(
                        description="Which field to use when ordering the results: "
                        + ", ".join(sorted(self.ordering_fields))
                        + " (prefix with - for descending)."
                    ),
                ],
            ),
        ]
        for name in filter_names:
            flt = self.filters[name]
            params.append(
                inspect.Parameter(
                    "f_" + name.replace("__", "_dunder_"),
                    inspect.Parameter.KEYWORD_ONLY,
                    default=None,
                    annotation=Annotated[
                        str | None, Query(alias=name, description=flt.description)
                    ],
                )
            )

        async def dependency(**kwargs: Any) -> ListQuery:
            values = {}
            for name in filter_names:
                raw = kwargs.get("f_" + name.replace("__", "_dunder_"))
                if raw is not None and raw != "":
                    values[name] = raw
            return ListQuery(
                search=kwargs.get("search"), ordering=kwargs.get("ordering"), filters=values
            )

        dependency.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        return dependency
