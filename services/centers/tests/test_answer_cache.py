"""The answer cache on a real service: a repeated read runs no statement, and
every kind of write (an API write, a read copy updated as a consumer does, SQL
from elsewhere) shows in the next read; callers are kept apart."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from entraide_kit.answercache import answer_cache
from entraide_kit.copies.users import upsert_user
from entraide_stack.testing.queries import count_queries

from .conftest import ADMIN, SUP_A, SUP_B, Api

ROOMS = "/api/centers-app/rooms/"


async def test_reads_kept_until_a_write(api: Api, world: Any, centers_app: Any) -> None:
    w = await world()
    engine = centers_app.state.db.engine
    cache = answer_cache(centers_app)
    assert cache is not None
    room_id = w["A"]["room"]["id"]
    center_id = w["A"]["center"]["id"]

    first = await api("GET", ROOMS)
    hits = cache.hits
    with count_queries(engine) as counter:
        second = await api("GET", ROOMS)  # a new token of the same admin
    assert second.content == first.content
    assert counter.count == 0
    assert cache.hits == hits + 1

    # An API write.
    renamed = await api("PATCH", f"{ROOMS}{room_id}/", json={"name": "Renamed"})
    assert renamed.status_code == 200, renamed.text
    names = [r["name"] for r in (await api("GET", ROOMS)).json()["results"]]
    assert "Renamed" in names

    # A read copy, written as auth's user events are applied.
    detail = f"/api/centers-app/centers/{center_id}/"
    assert (await api("GET", detail)).json()["supervisor_first_name"] == "Said"
    assert (await api("GET", detail)).json()["supervisor_first_name"] == "Said"
    async with centers_app.state.db.session() as session, session.begin():
        await upsert_user(
            session,
            SUP_A,
            {
                "email": "u2@entraide.ma",
                "username": "u2",
                "first_name": "Samir",
                "last_name": "Alaoui",
                "role": "center_supervisor",
                "is_active": True,
            },
        )
    assert (await api("GET", detail)).json()["supervisor_first_name"] == "Samir"

    # SQL from elsewhere (an operator's fix).
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE rooms SET capacity = 99 WHERE id = :id"), {"id": room_id})
    rooms = {r["id"]: r for r in (await api("GET", ROOMS)).json()["results"]}
    assert rooms[room_id]["capacity"] == 99


async def test_callers_kept_apart(api: Api, world: Any) -> None:
    w = await world()
    everyone = {r["name"] for r in (await api("GET", ROOMS, ADMIN)).json()["results"]}
    assert everyone == {"Room A1", "Room B1"}
    for _ in range(2):
        a = {r["name"] for r in (await api("GET", ROOMS, SUP_A)).json()["results"]}
        b = {r["name"] for r in (await api("GET", ROOMS, SUP_B)).json()["results"]}
        assert (a, b) == ({"Room A1"}, {"Room B1"})
    assert (await api("GET", ROOMS, None)).status_code == 401
    assert w["A"]["room"]["name"] == "Room A1"
