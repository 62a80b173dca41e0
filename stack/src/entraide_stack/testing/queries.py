"""Counting SQL statements, for tests that prove a constant number of queries (no N+1)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class QueryCounter:
    """Counts what the request itself asks: statements of this asyncio task only
    (an in-process ASGI client runs the request in the caller's task; the outbox
    relay and the consumer run in their own), without the token revocation lookup
    (cached per process for half a second, so present or not by timing)."""

    IGNORED = ("token_revocations",)

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.task = asyncio.current_task()

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if asyncio.current_task() is not self.task:
            return
        # pool_pre_ping's "SELECT 1" depends on the pool, not on the request.
        if statement.strip() == "SELECT 1" or any(n in statement for n in self.IGNORED):
            return
        self.statements.append(statement)


@contextmanager
def count_queries(engine: AsyncEngine) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", counter)
