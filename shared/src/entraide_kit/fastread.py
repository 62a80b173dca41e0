"""Lean reads: SQLAlchemy Core statements run straight on asyncpg.

Measured on a page of 20 rooms, in process (issue 18; README, Performance):
``session.execute`` of the ORM statement costs 0.57 ms of CPU, of its Core
twin 0.49 ms, and the same SQL sent by asyncpg 0.08 ms: SQLAlchemy's
execution context and result processing, not PostgreSQL, were a third of a
list's cost. Reads that do not write go through :func:`rows`:

- the statement is built with SQLAlchemy as everywhere (so filters, scopes
  and orderings stay the same code) and compiled through SQLAlchemy's own
  compiled cache, once per statement shape;
- asyncpg sends it as a prepared statement (its per-connection cache), on
  the session's own connection (the request's transaction, if it has one);
- rows come back as named tuples: ``row.name`` and ``row[0]`` as on an ORM
  row, nothing to hydrate. An ORM entity in the statement (``select(Room,
  Center.name)``) is selected as its columns, so the row reads as the
  entity plus the labels (``row.id``, ``row.center_name``).

asyncpg returns Python values (datetimes aware, dates, Decimals, JSON
decoded by the codec SQLAlchemy registers); a column type whose SQLAlchemy
result processing does more than that (an ``Enum`` of Python enums) is
converted by whoever reads it, as pydantic does for answers. Writes and
reads before a write keep the ORM (identity map, ``version`` bumps).

Errors are asyncpg's own (a value out of a column's range is its
``DataError``; the kit's handlers answer them as SQLAlchemy's: 400, or 404
for a path id; an unreachable database 503). On a session that has not run a
statement yet, SQLAlchemy has not begun its transaction: a lean read there
runs in autocommit, which a read-only request does not notice; a read after
a write's ``flush()`` runs inside the write's transaction and sees it.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import ARRAY, Integer, Select, any_, literal, select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.util import LRUCache

from .pagination import PageParams, with_total

_DIALECT = asyncpg_dialect()
# Compiled forms, as SQLAlchemy keeps them for its own execution (an LRU by
# statement shape: the same code with other parameter values hits).
_COMPILED: Any = LRUCache(1000)

_ROW_TYPES: dict[tuple[str, ...], Any] = {}


def flatten(stmt: Select[Any]) -> Select[Any]:
    """``select(Room, Center.name)`` as ``select(*rooms.c, Center.name)``: each
    ORM entity replaced by its table's columns (rows read as the entity). Two
    entities with columns of the same name (``id``, ``created_at``): the first
    keeps the name, SQLAlchemy labels the next ``id_1``; select the second's
    columns with labels of their own instead."""
    raw: list[Any] = list(stmt._raw_columns)
    if not any(getattr(c, "is_selectable", False) for c in raw):
        return stmt
    columns: list[Any] = []
    for element in raw:
        if getattr(element, "is_selectable", False):
            columns.extend(element.c)  # an entity's (annotated) table
        else:
            columns.append(element)
    return stmt.with_only_columns(*columns, maintain_column_froms=True)


def compile_for_asyncpg(stmt: ClauseElement) -> tuple[str, list[Any]]:
    """The SQL (``$1`` placeholders) and positional arguments of a statement."""
    # (compiled, extracted parameters, ...): SQLAlchemy 2.0 adds no more, 2.1 two more
    found = stmt._compile_w_cache(dialect=_DIALECT, compiled_cache=_COMPILED, column_keys=[])
    compiled: Any = found[0]
    extracted = found[1]
    params = compiled.construct_params(extracted_parameters=extracted, escape_names=False)
    if compiled.positiontup is None:  # pragma: no cover - asyncpg's style is positional
        raise ValueError("not a positional statement")
    if getattr(compiled, "_post_compile_expanded_state", None) is not None or getattr(
        compiled, "post_compile_params", None
    ):
        state = compiled.construct_expanded_state(params, escape_names=False)
        sql, names, values = state.statement, state.positiontup, state.parameters
    else:
        sql, names, values = compiled.string, compiled.positiontup, params
    processors = compiled._bind_processors
    args = []
    for name in names or ():
        value = values[name]
        processor = processors.get(name)
        args.append(processor(value) if processor is not None and value is not None else value)
    return sql, args


def any_of(column: Any, ids: Iterable[int | None]) -> Any:
    """``column = ANY($1)``, the ids as one array parameter: one statement shape
    (one prepared statement) whatever their number, and nothing to expand at
    each call (``IN`` with 20 ids cost 70 us of compiling a time)."""
    wanted = sorted({int(i) for i in ids if i is not None})
    return column == any_(literal(wanted, ARRAY(Integer)))


def _row_type(keys: Sequence[str]) -> Any:
    key = tuple(keys)
    known = _ROW_TYPES.get(key)
    if known is None:
        known = collections.namedtuple("Row", key, rename=True)  # type: ignore[misc,no-redef]
        _ROW_TYPES[key] = known
    return known


async def _driver(session: AsyncSession, sql: str, args: Sequence[Any]) -> Any:
    """The asyncpg connection under the session's (checked out by this call if
    the session had none yet, as its first statement would). Listeners of the
    engine's ``before_cursor_execute`` hear of the statement as of any other
    (the tests' statement counters, ``echo``-like logging)."""
    conn = await session.connection()
    sync = conn.sync_connection
    if sync is None:  # pragma: no cover - a started AsyncConnection has one
        raise RuntimeError("the session has no connection")
    if sync._has_events or sync.engine._has_events:
        sync.dispatch.before_cursor_execute(sync, None, sql, args, None, False)
    # The pooled connection is there once connection() returned: no second hop.
    return sync.connection.driver_connection


async def rows(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    """Every row of a read statement, as named tuples."""
    return await _rows(session, flatten(stmt))


async def _rows(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    sql, args = compile_for_asyncpg(stmt)
    records = await (await _driver(session, sql, args)).fetch(sql, *args)
    if not records:
        return []
    make = _row_type(list(records[0].keys()))
    return [make(*r) for r in records]


async def children(
    session: AsyncSession,
    model: Any,
    column: Any,
    parent_ids: Iterable[int | None],
    *order_by: Any,
    where: Sequence[Any] = (),
) -> dict[int, list[Any]]:
    """The rows of many parents (``column`` the foreign key) in one statement
    (``any_of``), grouped by parent in ``order_by``'s order: a page's nested
    data, one statement per level."""
    grouped: dict[int, list[Any]] = collections.defaultdict(list)
    wanted = {int(i) for i in parent_ids if i is not None}
    if not wanted:
        return grouped
    stmt = select(model).where(any_of(column, wanted), *where).order_by(*order_by)
    key = column.key
    for row in await rows(session, stmt):
        grouped[int(getattr(row, key))].append(row)
    return grouped


async def first(session: AsyncSession, stmt: Select[Any]) -> Any | None:
    """The first row, or None."""
    found = await rows(session, stmt.limit(1))
    return found[0] if found else None


async def page(
    session: AsyncSession, stmt: Select[Any], params: PageParams
) -> tuple[int, list[Any]]:
    """(count, the page's rows) in one statement, the count not among the row's fields."""
    paged = with_total(flatten(stmt)).limit(params.page_size).offset(params.offset)
    found = await _rows(session, paged)
    if not found:
        return 0, []
    count = int(found[0][-1])
    make = _row_type(found[0]._fields[:-1])
    return count, [make(*r[:-1]) for r in found]


class Lookup(NamedTuple):
    """A single-row read compiled once, for the hottest paths (token guards):
    ``Lookup.prepare(select(User).where(User.id == bindparam("id")))``, then
    ``await lookup.fetch_direct(db, user_id)``, the arguments in the order of the
    statement's parameters."""

    sql: str

    @classmethod
    def prepare(cls, stmt: Select[Any]) -> Lookup:
        return cls(str(flatten(stmt).compile(dialect=_DIALECT)))

    async def fetch_direct(self, db: Any, *args: Any) -> Any | None:
        """The row, on the database's lookup pool, outside any session
        (``Database.fetchrow``)."""
        record = await db.fetchrow(self.sql, *args)
        if record is None:
            return None
        return _row_type(list(record.keys()))(*record)


class Prepared(NamedTuple):
    """A statement compiled once, its parameters by name: for the hottest
    statements whose building and cache-key computing alone would cost more
    than PostgreSQL's work (bulk entry's upsert, issue 18). ``Prepared.of(stmt)``
    with ``bindparam``s for what changes, then ``await prepared.rows(session,
    name=value, ...)``; parameters with a value in the statement (literals)
    keep it. Runs on the session's connection, in its transaction: a
    data-modifying statement with ``RETURNING`` commits with the session."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]

    @classmethod
    def of(cls, stmt: ClauseElement) -> Prepared:
        compiled: Any = stmt.compile(dialect=_DIALECT)
        names = tuple(compiled.positiontup or ())
        computed = [n for n in names if compiled.binds[n].callable is not None]
        if computed:  # a Python default (insert's include_defaults) would be frozen
            raise ValueError(f"parameters computed at each execution: {', '.join(computed)}")
        defaults = {
            name: compiled.binds[name].effective_value
            for name in names
            if compiled.binds[name].value is not None
        }
        return cls(compiled.string, names, defaults)

    async def rows(self, session: AsyncSession, **values: Any) -> list[Any]:
        """Every row it returns, as named tuples (``rows``)."""
        args = [values[n] if n in values else self.defaults[n] for n in self.names]
        records = await (await _driver(session, self.sql, args)).fetch(self.sql, *args)
        if not records:
            return []
        make = _row_type(list(records[0].keys()))
        return [make(*r) for r in records]
