"""Answers kept per request and caller, valid while the database is unchanged.

A GET endpoint marked ``@cacheable`` has its 200 answers kept in the process,
keyed by everything the answer can depend on: the path and query, the caller
(every claim of their verified token but its id and times), every request
header except the few that only identify the request (``x-request-id``, the
forwarded client address, trace headers, the user agent), and the current
quarter of an hour (answers that default to "this
week" follow the clock; every time zone's offset is a multiple of 15
minutes). What the answer reads is the service's own database, so it stays
valid as long as that database does not change.

Whether it changed is one number: the sum of the rows of
``entraide_generation`` (64 slots). Every table but the outbox's bookkeeping
carries a deferred constraint trigger bumping one slot once per writing
transaction, at its commit: the bump is committed with the change or not at
all, whatever wrote (the ORM, a consumer's copy, a migration, a test's SQL),
and it takes its row lock last, after every other lock of the transaction, so
it cannot deadlock with them. A request reads the number before anything
else; an answer is served again only under the same number, so an answer
built from data newer than its number is at worst recomputed, never stale.

The caller's token is checked on every request before the key is made
(``resolve_principal``: signature, expiry, revocation, cached on the request
by the edge's rate limit): a refused token goes to the endpoint for its 401.
The edge (rate limit, request id, metrics, access log) runs as for any
request. An endpoint qualifies only when its answer is a function
of the request, its caller and the database: no clock finer than the key's,
no call to another service, no signed links. ``ENTRAIDE_ANSWER_CACHE_MB=0``
turns the cache off.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from fastapi.routing import APIRoute
from sqlalchemy import Connection, text
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .auth import Principal, resolve_principal
from .errors import APIError

log = logging.getLogger("entraide.answercache")

GENERATION_TABLE = "entraide_generation"
SLOTS = 64
TRIGGER = "entraide_generation"
#: tables no answer reads: writing them does not change the generation
UNWATCHED = frozenset({"outbox", "event_versions", "alembic_version", GENERATION_TABLE})
#: request headers that identify a request, not what it asks for
IGNORED_HEADERS = frozenset(
    {
        b"x-request-id",
        b"x-forwarded-for",
        b"x-real-ip",
        b"traceparent",
        b"tracestate",
        b"user-agent",
        b"connection",
        b"content-length",
        b"accept-encoding",
        b"x-forwarded-server",
        # the caller is in the key by what their token says (caller_identity)
        b"authorization",
    }
)
#: answers larger than this are not kept (exports, huge pages)
MAX_ENTRY_BYTES = 1 << 20
CLOCK_BUCKET_SECONDS = 900
_MARK = "__entraide_cacheable__"
GENERATION_SQL = "SELECT coalesce(sum(n), 0)::bigint FROM entraide_generation"

F = TypeVar("F", bound=Callable[..., Any])


GENERATION_KEY = "entraide.generation"


async def request_generation(scope: Scope) -> int:
    """The database's generation as this request first read it: once per request,
    before anything it reads. What was read under the same generation is still
    what the database holds (auth's token guard keeps callers' rows by it)."""
    try:
        return int(scope[GENERATION_KEY])
    except KeyError:
        generation = await scope["app"].state.db.generation()
        scope[GENERATION_KEY] = generation
        return generation


def cacheable(endpoint: F) -> F:
    """Mark a GET endpoint whose answer depends only on the request, its caller
    and the service's database (see the module's docstring)."""
    setattr(endpoint, _MARK, True)
    return endpoint


def is_cacheable(route: Any) -> bool:
    return isinstance(route, APIRoute) and bool(getattr(route.endpoint, _MARK, False))


# -- the generation, kept by PostgreSQL ---------------------------------------

# (SLOTS and GENERATION_TABLE spelled out: the SQL is constant text)
_FUNCTION = """
CREATE OR REPLACE FUNCTION entraide_bump_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- once per transaction: the flag is transaction-local
    IF current_setting('entraide.generation_bumped', true) IS DISTINCT FROM '1' THEN
        UPDATE entraide_generation SET n = n + 1 WHERE slot = txid_current() % 64;
        PERFORM set_config('entraide.generation_bumped', '1', true);
    END IF;
    RETURN NULL;
END
$$
"""

_UNWATCHED_TABLES_SQL = """
SELECT c.relname
FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND ns.nspname = current_schema()
  AND NOT EXISTS (
    SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = :trigger
  )
ORDER BY c.relname
"""


def watch_tables(connection: Connection) -> list[str]:
    """Create the generation table and its function if missing, and put the
    triggers on every table that has none yet; the tables it watched now.

    Run after the migrations at every start (``migrations.upgrade``, under the
    migration lock), so a table a later migration adds is watched without
    anyone remembering to."""
    connection.execute(
        text(
            "CREATE TABLE IF NOT EXISTS entraide_generation "
            "(slot integer PRIMARY KEY, n bigint NOT NULL DEFAULT 0)"
        )
    )
    connection.execute(
        text(
            "INSERT INTO entraide_generation (slot) SELECT generate_series(0, 63) "
            "ON CONFLICT DO NOTHING"
        )
    )
    connection.execute(text(_FUNCTION))
    names = connection.execute(text(_UNWATCHED_TABLES_SQL), {"trigger": TRIGGER}).scalars()
    watched = []
    for name in names:
        if name in UNWATCHED:
            continue
        table = connection.dialect.identifier_preparer.quote(name)
        connection.execute(
            text(
                f"CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                "EXECUTE FUNCTION entraide_bump_generation()"
            )
        )
        connection.execute(
            text(
                f"CREATE TRIGGER {TRIGGER}_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION entraide_bump_generation()"
            )
        )
        watched.append(name)
    return watched


# -- the answers ---------------------------------------------------------------


@dataclass(slots=True)
class Entry:
    generation: int
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: Any


class AnswerCache:
    """Answers by key, the least recently used dropped past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...]) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple[Any, ...], entry: Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        self._entries[key] = entry
        self.size += len(entry.body)
        while self.size > self.max_bytes and self._entries:
            _, dropped = self._entries.popitem(last=False)
            self.size -= len(dropped.body)

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0

    def __len__(self) -> int:
        return len(self._entries)


def request_key(scope: Scope, caller: bytes | None) -> tuple[Any, ...]:
    headers = tuple(sorted(h for h in scope.get("headers", ()) if h[0] not in IGNORED_HEADERS))
    return (
        scope.get("root_path", ""),
        scope["path"],
        scope.get("query_string", b""),
        headers,
        caller,
        int(time.time() // CLOCK_BUCKET_SECONDS),
    )


#: claims that differ between two tokens of the same session or login, not
#: in what they allow
_TOKEN_INSTANCE_CLAIMS = frozenset({"jti", "iat", "exp", "nbf"})


def caller_identity(principal: Principal | None) -> bytes | None:
    """What of the caller an answer can depend on: every claim of the token but
    its own id and times (two tokens of one user with the same role, token
    version and claims get the same answers). None for an anonymous caller."""
    if principal is None:
        return None
    claims = {k: v for k, v in principal.claims.items() if k not in _TOKEN_INSTANCE_CLAIMS}
    return orjson.dumps(claims, option=orjson.OPT_SORT_KEYS)


class AnswerCacheMiddleware:
    """Inside the edge middleware: serves a kept answer when the database's
    generation is the one it was built under, else runs the endpoint and keeps
    its 200 answer.

    Which paths reach a marked endpoint is learned from the router itself
    (``scope["route"]`` once a request of the path ran): the generation is read
    first for a path not seen yet or known to be cacheable, never for the
    others."""

    #: paths remembered (cacheable or not), the least recently used forgotten
    MAX_PATHS = 10_000

    def __init__(self, app: ASGIApp, *, max_bytes: int, service: str = "") -> None:
        self.app = app
        self.cache = AnswerCache(max_bytes)
        self._hit = metrics.ANSWER_CACHE.labels(service, "hit")
        self._miss = metrics.ANSWER_CACHE.labels(service, "miss")
        self._paths: OrderedDict[str, bool] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or self.cache.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        known = self._paths.get(path)
        if known is False:
            self._paths.move_to_end(path)
            await self.app(scope, receive, send)
            return
        try:
            generation = await request_generation(scope)
        except Exception as exc:  # the endpoint's own statements will say what is wrong
            log.warning("no generation: %s", exc)
            await self.app(scope, receive, send)
            return
        try:
            principal = await resolve_principal(Request(scope))
        except APIError:  # the endpoint answers its 401
            await self.app(scope, receive, send)
            return
        key = request_key(scope, caller_identity(principal))
        entry = self.cache.get(key)
        if entry is not None and entry.generation == generation:
            self.cache.hits += 1
            self._hit.inc()
            scope["route"] = entry.route
            await send(
                {"type": "http.response.start", "status": entry.status, "headers": entry.headers}
            )
            await send({"type": "http.response.body", "body": entry.body})
            return
        self.cache.misses += 1
        self._miss.inc()
        await self._run_and_keep(scope, receive, send, key, generation)
        if known is None:
            if len(self._paths) >= self.MAX_PATHS:
                self._paths.popitem(last=False)
            self._paths[path] = is_cacheable(scope.get("route"))
        else:
            self._paths.move_to_end(path)

    async def _run_and_keep(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[Any, ...], generation: int
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, size, keep
            if message["type"] == "http.response.start":
                start = message
                keep = message["status"] == 200
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                if size > MAX_ENTRY_BYTES:
                    keep = False
                    chunks.clear()
                else:
                    chunks.append(body)
            await send(message)

        await self.app(scope, receive, capture)
        if keep and start is not None and is_cacheable(scope.get("route")):
            self.cache.put(
                key,
                Entry(
                    generation=generation,
                    status=start["status"],
                    headers=list(start.get("headers", ())),
                    body=b"".join(chunks),
                    route=scope.get("route"),
                ),
            )


def answer_cache(app: Any) -> AnswerCache | None:
    """The answer cache of a started app (tests, tools), or None."""
    layer = getattr(app, "middleware_stack", None)
    while layer is not None:
        if isinstance(layer, AnswerCacheMiddleware):
            return layer.cache
        layer = getattr(layer, "app", None)
    return None
