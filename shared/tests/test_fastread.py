"""The lean read path (issue 18): fastread's rows against the ORM's, its page and
count in one statement, its guards, and the typed repository base, on a real
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import bindparam, select
from sqlmodel import Field, SQLModel, col

from entraide_kit import fastread
from entraide_kit.context import Context
from entraide_kit.db import Database
from entraide_kit.errors import NotFound
from entraide_kit.pagination import PageParams, build_page
from entraide_kit.repository import Repository
from entraide_stack.testing.queries import count_queries


class FrHall(SQLModel, table=True):
    __tablename__ = "fr_halls"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    opened: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class FrSeat(SQLModel, table=True):
    __tablename__ = "fr_seats"
    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(index=True)
    label: str
    extra: dict[str, int] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON))


@pytest.fixture
async def db(database_factory: Callable[[str], Awaitable[str]]) -> AsyncIterator[Database]:
    database = Database(await database_factory("fastread"), pool_size=2)
    tables = [FrHall.__table__, FrSeat.__table__]  # type: ignore[attr-defined]
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda c: SQLModel.metadata.create_all(c, tables=tables))
    opened = dt.datetime(2026, 9, 1, 8, 30, tzinfo=dt.UTC)
    async with database.session() as s, s.begin():
        for i in range(1, 6):
            s.add(FrHall(id=i, name=f"Hall {i}", opened=opened + dt.timedelta(days=i)))
        for i in range(1, 13):
            s.add(FrSeat(id=i, hall_id=1 + i % 3, label=f"S{i}", extra={"row": i}))
    try:
        yield database
    finally:
        await database.dispose()


async def test_rows_read_as_the_orm_reads_them(db: Database) -> None:
    stmt: Any = (
        select(FrSeat, col(FrHall.name).label("hall_name"))
        .join(FrHall, col(FrHall.id) == col(FrSeat.hall_id))
        .where(col(FrSeat.id) > 2)
        .order_by(col(FrSeat.id))
    )
    async with db.lookup_session() as s:
        orm = (await s.execute(stmt)).all()
        lean = await fastread.rows(s, stmt)
    assert [r.id for r in lean] == [r[0].id for r in orm]
    # The entity reads as its columns, beside the label; JSON is decoded.
    first = lean[0]
    assert (first.id, first.hall_id, first.label) == (orm[0][0].id, orm[0][0].hall_id, "S3")
    assert first.extra == {"row": 3} and first.hall_name == orm[0].hall_name


async def test_a_page_and_its_count_in_one_statement(db: Database) -> None:
    stmt = select(FrHall).order_by(col(FrHall.id))
    async with db.lookup_session() as s:
        with count_queries(db.engine) as counter:
            count, rows = await fastread.page(s, stmt, PageParams(page=2, page_size=2))
        assert counter.count == 1, counter.statements
        assert count == 5 and [r.id for r in rows] == [3, 4]
        assert rows[0].opened == dt.datetime(2026, 9, 4, 8, 30, tzinfo=dt.UTC)
        assert "entraide_total" not in rows[0]._fields
        # Past the end: no rows and no count, and the page says 404.
        count, rows = await fastread.page(s, stmt, PageParams(page=9, page_size=2))
        assert (count, rows) == (0, [])
    with pytest.raises(NotFound):
        build_page(Context.plain(), PageParams(page=9, page_size=2), count, rows)


async def test_any_of_is_one_statement_shape_whatever_the_ids(db: Database) -> None:
    async with db.lookup_session() as s:
        with count_queries(db.engine) as counter:
            few = await fastread.rows(
                s, select(FrSeat).where(fastread.any_of(col(FrSeat.hall_id), [1]))
            )
            many = await fastread.rows(
                s, select(FrSeat).where(fastread.any_of(col(FrSeat.hall_id), [1, 2, 3, None]))
            )
    assert {r.hall_id for r in few} == {1} and len(many) == 12
    assert counter.statements[0] == counter.statements[1]  # the same prepared statement


async def test_the_rows_of_many_parents_in_one_statement(db: Database) -> None:
    async with db.lookup_session() as s:
        with count_queries(db.engine) as counter:
            by_hall = await fastread.children(
                s, FrSeat, col(FrSeat.hall_id), [1, 2, None], col(FrSeat.id)
            )
            none = await fastread.children(s, FrSeat, col(FrSeat.hall_id), [])
    assert counter.count == 1  # nothing asked for no parents
    assert [r.id for r in by_hall[2]] == [1, 4, 7, 10] and set(by_hall) == {1, 2}
    assert none == {}


async def test_the_first_entity_keeps_a_clashing_name(db: Database) -> None:
    stmt: Any = (
        select(FrSeat, FrHall)
        .join(FrHall, col(FrHall.id) == col(FrSeat.hall_id))
        .where(col(FrSeat.id) == 4)
    )
    async with db.lookup_session() as s:
        (row,) = await fastread.rows(s, stmt)
    assert (row.id, row.hall_id, row.id_1, row.name) == (4, 2, 2, "Hall 2")


async def test_a_lookup_compiled_once_on_the_database_pool(db: Database) -> None:
    lookup = fastread.Lookup.prepare(select(FrHall).where(col(FrHall.id) == bindparam("id")))
    with count_queries(db.engine) as counter:
        found = await lookup.fetch_direct(db, 2)
        missing = await lookup.fetch_direct(db, 99)
    assert found is not None and found.name == "Hall 2" and missing is None
    assert counter.count == 2  # the engine's listeners hear of them


async def test_the_repository_base(db: Database) -> None:
    seats = Repository(FrSeat)
    async with db.session() as s, s.begin():
        assert (await seats.get(s, 4)) is not None and await seats.exists(s, 4)
        assert not await seats.exists(s, 99)
        with pytest.raises(NotFound):
            await seats.require(s, 99)
        locked = await seats.require(s, 5, for_update=True)
        assert locked.label == "S5"
        by_hall = await seats.children(s, col(FrSeat.hall_id), [1, 2], col(FrSeat.id))
        assert [x.id for x in by_hall[2]] == [1, 4, 7, 10] and set(by_hall) == {1, 2}
        assert set(await seats.by_ids(s, [1, 2, None])) == {1, 2}
        count, page = await seats.page(s, PageParams(page=1, page_size=5), stmt=seats.select())
        assert count == 12 and [x.id for x in page] == [1, 2, 3, 4, 5]


def test_page_links_come_from_the_context() -> None:
    ctx = Context.plain(
        "https://gw.example/", path="/api/x/", query=(("search", "a"), ("page", "2"))
    )
    page = build_page(ctx, PageParams(page=2, page_size=2), 5, [])
    assert page["next"] == "https://gw.example/api/x/?page=3&search=a"
    assert page["previous"] == "https://gw.example/api/x/?search=a"
