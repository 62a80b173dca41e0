"""The service layer called as a consumer or a command would: no HTTP request,
a plain Context (issue 18). The rules answer the same as through the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI

from centers_service import service
from entraide_kit.auth import Principal, Role
from entraide_kit.context import Context
from entraide_kit.errors import NotFound, PermissionDenied
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams

from .conftest import ADMIN, SUP_A

World = Callable[[], Awaitable[dict[str, Any]]]
EVERY = ListQuery(search=None, ordering=None, filters={})


def _caller(user_id: int, role: Role) -> Principal:
    return Principal(id=user_id, role=role, jti="service-test", token_version=0, claims={})


def _context(app: FastAPI, query: tuple[tuple[str, str], ...] = ()) -> Context:
    return Context.plain(
        "https://entraide.example",
        path="/api/centers-app/rooms/",
        query=query,
        settings=app.state.settings,
        storage=app.state.storage,
        db=app.state.db,
    )


async def test_a_supervisor_lists_the_rooms_of_their_centres_only(
    centers_app: FastAPI, world: World
) -> None:
    w = await world()
    ctx = _context(centers_app, (("page_size", "1"),))
    async with centers_app.state.db.lookup_session() as session:
        mine = await service.list_rooms(
            session, ctx, _caller(SUP_A, Role.center_supervisor), PageParams(1, 1), EVERY
        )
        everyone = await service.list_rooms(
            session, ctx, _caller(ADMIN, Role.admin), PageParams(1, 1), EVERY
        )
    assert [r.id for r in mine.results] == [w["A"]["room"]["id"]]
    assert mine.count == 1 and mine.next is None
    # The admin's first page of two rooms links to the second, on the context's host.
    assert everyone.count == 2
    assert everyone.next == "https://entraide.example/api/centers-app/rooms/?page=2&page_size=1"
    # Nested equipment, read in the same call.
    assert [e.id for e in mine.results[0].equipment] == [w["A"]["equipment"]["id"]]


async def test_another_centres_room_is_refused_and_a_missing_one_not_found(
    centers_app: FastAPI, world: World
) -> None:
    w = await world()
    ctx = _context(centers_app)
    sup_a = _caller(SUP_A, Role.center_supervisor)
    async with centers_app.state.db.lookup_session() as session:
        own = await service.get_room(session, ctx, sup_a, w["A"]["room"]["id"])
        assert own.name == w["A"]["room"]["name"]
        with pytest.raises((PermissionDenied, NotFound)):
            await service.get_room(session, ctx, sup_a, w["B"]["room"]["id"])
        with pytest.raises(NotFound):
            await service.get_room(session, ctx, _caller(ADMIN, Role.admin), 999_999)
