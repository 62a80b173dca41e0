"""Answers kept per request and caller (answercache.py), on a real PostgreSQL:
served again only while the database's generation is unchanged, per caller (by
their token's claims), never past a revoked token, never for what is not a 200
of a marked endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from entraide_kit.answercache import cacheable, watch_tables
from entraide_kit.app import create_app
from entraide_kit.auth import CurrentUser, Principal
from entraide_kit.errors import InvalidToken, NotFound
from entraide_kit.settings import ServiceSettings

from .conftest import KID, TokenMaker

CALLS: dict[str, int] = {}
REVOKED: set[int] = set()


def _router() -> APIRouter:
    router = APIRouter(prefix="/api/notes")

    @router.get("/")
    @cacheable
    async def notes(principal: CurrentUser, request: Request, page: int = 1) -> dict[str, Any]:
        CALLS["notes"] = CALLS.get("notes", 0) + 1
        rows = await request.app.state.db.engine.connect()
        try:
            found = (await rows.execute(text("SELECT body FROM ac_notes ORDER BY id"))).scalars()
            return {"page": page, "by": principal.id, "notes": list(found)}
        finally:
            await rows.close()

    @router.get("/{note_id}/")
    @cacheable
    async def note(note_id: int, principal: CurrentUser) -> dict[str, Any]:
        CALLS["note"] = CALLS.get("note", 0) + 1
        if note_id != 1:
            raise NotFound()
        return {"id": 1}

    @router.get("/plain/count/")
    async def plain(principal: CurrentUser) -> dict[str, int]:
        CALLS["plain"] = CALLS.get("plain", 0) + 1
        return {"calls": CALLS["plain"]}

    return router


async def _guard(request: Any, principal: Principal) -> None:
    if principal.id in REVOKED:
        raise InvalidToken()


@pytest.fixture
async def notes_app(
    database_factory: Callable[[str], Awaitable[str]], signing_key: Ed25519PrivateKey
) -> AsyncIterator[Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]]:
    CALLS.clear()
    REVOKED.clear()
    managers: list[LifespanManager] = []
    engines: list[Any] = []

    async def factory(**settings: Any) -> tuple[httpx.AsyncClient, Any, str]:
        url = await database_factory("answers")
        engine = create_async_engine(url)
        engines.append(engine)
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE ac_notes (id serial PRIMARY KEY, body text)"))
            await conn.execute(text("INSERT INTO ac_notes (body) VALUES ('first')"))
            await conn.run_sync(watch_tables)
        values: dict[str, Any] = {
            "service_name": "answers",
            "database_url": url,
            "environment": "test",
            "log_json": False,
            "events_enabled": False,
            **settings,
        }
        app = create_app(
            settings=ServiceSettings(**values),
            title="answers",
            description="answer cache test app",
            routers=[_router()],
            migrations=None,
            public_keys=lambda _: {KID: signing_key.public_key()},
            token_guard=_guard,
        )
        manager = LifespanManager(app)
        await manager.__aenter__()
        managers.append(manager)
        transport = httpx.ASGITransport(app=manager.app, client=("127.0.0.1", 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        return client, engine, url

    yield factory
    for manager in managers:
        await manager.__aexit__(None, None, None)
    for engine in engines:
        await engine.dispose()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_answer_is_served_again_until_the_database_changes(
    notes_app: Any, make_token: TokenMaker
) -> None:
    client, engine, _ = await notes_app()
    headers = _auth(make_token(7, "admin"))
    first = await client.get("/api/notes/", headers=headers)
    second = await client.get("/api/notes/", headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second.json() == {"page": 1, "by": 7, "notes": ["first"]}
    assert CALLS["notes"] == 1
    # The edge still runs for a kept answer: its own request id, the rate limit counted.
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    remaining = int(first.headers["x-ratelimit-remaining"])
    assert int(second.headers["x-ratelimit-remaining"]) == remaining - 1
    assert second.headers["content-type"] == first.headers["content-type"]

    # A write still open is not seen, and the kept answer stays valid meanwhile.
    async with engine.connect() as writer:
        tx = await writer.begin()
        await writer.execute(text("INSERT INTO ac_notes (body) VALUES ('second')"))
        during = await client.get("/api/notes/", headers=headers)
        assert during.json()["notes"] == ["first"]
        assert CALLS["notes"] == 1
        await tx.commit()
    after = await client.get("/api/notes/", headers=headers)
    assert after.json()["notes"] == ["first", "second"]
    assert CALLS["notes"] == 2

    # Whatever writes counts: an update, a delete, a truncate.
    for statement in (
        "UPDATE ac_notes SET body = 'changed' WHERE id = 1",
        "DELETE FROM ac_notes WHERE id = 2",
        "TRUNCATE ac_notes",
    ):
        async with engine.begin() as conn:
            await conn.execute(text(statement))
        fresh = await client.get("/api/notes/", headers=headers)
        async with engine.connect() as conn:
            expected = list(
                (await conn.execute(text("SELECT body FROM ac_notes ORDER BY id"))).scalars()
            )
        assert fresh.json()["notes"] == expected, statement
    assert CALLS["notes"] == 5


async def test_kept_per_caller_and_query_never_past_a_revoked_token(
    notes_app: Any, make_token: TokenMaker
) -> None:
    client, _, _ = await notes_app()
    alice, bob = _auth(make_token(1, "admin")), _auth(make_token(2, "trainer"))
    assert (await client.get("/api/notes/", headers=alice)).json()["by"] == 1
    assert (await client.get("/api/notes/", headers=bob)).json()["by"] == 2
    assert (await client.get("/api/notes/?page=2", headers=alice)).json()["page"] == 2
    other_host = {**alice, "Host": "elsewhere.example"}
    assert (await client.get("/api/notes/", headers=other_host)).status_code == 200
    assert CALLS["notes"] == 4
    assert (await client.get("/api/notes/", headers=alice)).json()["by"] == 1
    assert CALLS["notes"] == 4
    # Another token of the same user and claims (a new login): the same answers;
    # the same user with another role: not.
    again = _auth(make_token(1, "admin"))
    assert again != alice
    assert (await client.get("/api/notes/", headers=again)).json()["by"] == 1
    assert CALLS["notes"] == 4
    assert (await client.get("/api/notes/", headers=_auth(make_token(1, "student")))).json()
    assert CALLS["notes"] == 5

    REVOKED.add(1)
    refused = await client.get("/api/notes/", headers=alice)
    assert refused.status_code == 401
    assert (await client.get("/api/notes/")).status_code == 401
    assert (await client.get("/api/notes/", headers=bob)).json()["by"] == 2
    assert CALLS["notes"] == 5


async def test_only_the_200s_of_marked_endpoints_are_kept(
    notes_app: Any, make_token: TokenMaker
) -> None:
    client, _, _ = await notes_app()
    headers = _auth(make_token(3, "admin"))
    for _ in range(3):
        assert (await client.get("/api/notes/2/", headers=headers)).status_code == 404
        assert (await client.get("/api/notes/1/", headers=headers)).status_code == 200
    assert CALLS["note"] == 4  # three 404s, one 200
    answers = [(await client.get("/api/notes/plain/count/", headers=headers)).json() for _ in "ab"]
    assert answers == [{"calls": 1}, {"calls": 2}]


async def test_turned_off(notes_app: Any, make_token: TokenMaker) -> None:
    client, _, _ = await notes_app(answer_cache_mb=0)
    headers = _auth(make_token(4, "admin"))
    for _ in range(2):
        assert (await client.get("/api/notes/", headers=headers)).status_code == 200
    assert CALLS["notes"] == 2


async def test_one_bump_per_transaction_and_new_tables_watched(notes_app: Any) -> None:
    _, engine, _ = await notes_app()

    async def generation() -> int:
        async with engine.connect() as conn:
            return int(
                (await conn.execute(text("SELECT sum(n) FROM entraide_generation"))).scalar()
            )

    start = await generation()
    async with engine.begin() as conn:
        for body in ("a", "b", "c"):
            await conn.execute(text("INSERT INTO ac_notes (body) VALUES (:b)"), {"b": body})
        await conn.execute(text("UPDATE ac_notes SET body = 'x'"))
    assert await generation() == start + 1
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO ac_notes (body) VALUES ('rolled back')"))
        await conn.rollback()
    assert await generation() == start + 1

    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE outbox (id serial PRIMARY KEY)"))
        await conn.execute(text("CREATE TABLE ac_later (id serial PRIMARY KEY)"))
        assert await conn.run_sync(watch_tables) == ["ac_later"]
        assert await conn.run_sync(watch_tables) == []
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO outbox DEFAULT VALUES"))
    assert await generation() == start + 1
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO ac_later DEFAULT VALUES"))
    assert await generation() == start + 2
