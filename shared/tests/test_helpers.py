from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql
from starlette.requests import Request

from entraide_kit.context import Context
from entraide_kit.errors import ValidationFailed, validation_errors_to_fields
from entraide_kit.filters import Filter, ListQuery, ListSpec
from entraide_kit.pagination import PageParams, build_page
from entraide_kit.settings import ServiceSettings
from entraide_kit.versioning import negotiate

rooms = Table(
    "rooms",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String),
    Column("capacity", Integer),
)
SPEC = ListSpec(
    search_fields=[rooms.c.name],
    ordering_fields={"name": rooms.c.name, "capacity": rooms.c.capacity},
    default_ordering=("capacity",),
    filters={"capacity": Filter(rooms.c.capacity, kind=int)},
    tiebreaker=rooms.c.id,
)


def sql(stmt: Any) -> str:
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def test_ordering_ignores_unknown_fields() -> None:
    stmt = SPEC.apply(
        select(rooms), ListQuery(search=None, ordering="-name,password,1;drop", filters={})
    )
    text = sql(stmt)
    assert "ORDER BY rooms.name DESC, rooms.id ASC" in text
    assert "password" not in text and "drop" not in text


def test_default_ordering_and_filters() -> None:
    stmt = SPEC.apply(
        select(rooms), ListQuery(search=None, ordering=None, filters={"capacity": "30"})
    )
    text = sql(stmt)
    assert "rooms.capacity = 30" in text
    assert "ORDER BY rooms.capacity ASC, rooms.id ASC" in text
    with pytest.raises(ValidationFailed) as err:
        SPEC.apply(
            select(rooms), ListQuery(search=None, ordering=None, filters={"capacity": "many"})
        )
    assert err.value.errors == {"capacity": ["Enter a whole number."]}


def test_search_escapes_like_wildcards() -> None:
    stmt = SPEC.apply(select(rooms), ListQuery(search="50%_off", ordering=None, filters={}))
    params = stmt.compile(dialect=postgresql.dialect()).params
    assert list(params.values()) == ["%50\\%\\_off%"]


def test_versioning() -> None:
    assert negotiate(None) == "1.0"
    assert negotiate("application/json") == "1.0"
    assert negotiate("application/json; version=1.0") == "1.0"
    assert negotiate("application/json;version=1") == "1.0"
    with pytest.raises(ValueError):
        negotiate("application/json; version=2.0")


def test_validation_errors_mapping() -> None:
    status, body = validation_errors_to_fields(
        [
            {"type": "missing", "loc": ("body", "email"), "msg": "Field required"},
            {"type": "int_parsing", "loc": ("query", "page"), "msg": "x"},
            {"type": "literal_error", "loc": ("body", "role"), "msg": "x", "input": "king"},
            {
                "type": "value_error",
                "loc": ("body", "end"),
                "msg": "Value error, End before start.",
            },
            {"type": "model_attributes_type", "loc": ("body",), "msg": "x"},
            {"type": "missing", "loc": ("body", "records", 0, "status"), "msg": "x"},
        ]
    )
    assert status == 400
    assert body == {
        "email": ["This field is required."],
        "page": ["A valid integer is required."],
        "role": ['"king" is not a valid choice.'],
        "end": ["End before start."],
        "non_field_errors": ["Invalid data. Expected a dictionary."],
        "records.0.status": ["This field is required."],
    }
    assert validation_errors_to_fields([{"type": "int_parsing", "loc": ("path", "id")}]) == (
        404,
        {"detail": "Not found."},
    )


def _request(headers: dict[str, str], peer: str, query: str = "") -> Request:
    app = FastAPI()
    app.state.settings = ServiceSettings(environment="test")
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("127.0.0.1", 8101),
        "path": "/api/x/",
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": (peer, 1234),
        "app": app,
    }
    return Request(scope)


def test_page_links_use_forwarded_host_only_from_the_gateway() -> None:
    fwd = {
        "host": "127.0.0.1:8101",
        "x-forwarded-host": "localhost:8000",
        "x-forwarded-proto": "http",
    }

    def here(peer: str, query: str) -> Context:
        return Context.of(_request(fwd, peer, query))

    page = build_page(here("127.0.0.1", "page_size=2&search=a"), PageParams(1, 2), 5, [])
    assert page["next"] == "http://localhost:8000/api/x/?page=2&page_size=2&search=a"
    spoofed = build_page(here("203.0.113.9", "page_size=2"), PageParams(1, 2), 5, [])
    assert spoofed["next"] == "http://127.0.0.1:8101/api/x/?page=2&page_size=2"
    last = build_page(here("127.0.0.1", "page=3&page_size=2"), PageParams(3, 2), 5, [])
    assert last["next"] is None
    assert last["previous"] == "http://localhost:8000/api/x/?page=2&page_size=2"


def _db_request(**path_params: str) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/x", "headers": [], "path_params": path_params}
    )


async def test_database_errors_are_client_errors_or_unavailable() -> None:
    # Found by bench/fuzz.py (ids past int32, NUL characters: 500s) and bench/chaos.py
    # (PostgreSQL down: 500s).
    import asyncpg.exceptions as pg
    from sqlalchemy.exc import DBAPIError, InterfaceError

    from entraide_kit.errors import database_error_handler, unhandled_error_handler

    def wrapped(orig: BaseException) -> DBAPIError:
        return DBAPIError("SELECT 1", {}, orig)

    out_of_range = wrapped(pg.DataError("invalid input for query argument $1 (out of int32)"))
    resp = await database_error_handler(_db_request(room_id="3801509518"), out_of_range)
    assert resp.status_code == 404
    resp = await database_error_handler(_db_request(room_id="12"), out_of_range)
    assert resp.status_code == 400
    nul = wrapped(pg.CharacterNotInRepertoireError("invalid byte sequence 0x00"))
    assert (await database_error_handler(_db_request(), nul)).status_code == 400
    for down in (
        wrapped(pg.CannotConnectNowError("the database system is starting up")),
        wrapped(pg.ConnectionDoesNotExistError("connection was closed")),
        InterfaceError("SELECT 1", {}, pg.InterfaceError("the underlying connection is closed")),
    ):
        resp = await database_error_handler(_db_request(), down)
        assert resp.status_code == 503 and resp.headers["retry-after"] == "5", down
    refused = await unhandled_error_handler(_db_request(), ConnectionRefusedError(111, "refused"))
    assert refused.status_code == 503
    other = wrapped(pg.UniqueViolationError("duplicate"))
    assert (await database_error_handler(_db_request(), other)).status_code == 500
    assert (await unhandled_error_handler(_db_request(), FileNotFoundError("x"))).status_code == 500
