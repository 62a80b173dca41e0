"""The outbox relay: publishes pending outbox rows to JetStream, then marks them sent.

- ``Nats-Msg-Id`` = the event id, so a row published twice (a crash after the
  ack, before the mark) is stored once.
- ``FOR UPDATE SKIP LOCKED``: several replicas relay at once without taking the
  same rows; a row is eligible only when no earlier row of the same subject is
  still pending, so each subject's events reach the stream in order (its last
  message, which the stream keeps, is always the newest state).
- Woken by LISTEN/NOTIFY at commit, with a short poll as a safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import asyncpg
from sqlalchemy import Text, cast, delete, func, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.engine import make_url
from sqlalchemy.orm import aliased

from ..db import Database
from ..shutdown import raise_if_cancelled, stop_tasks
from .connection import Nats
from .outbox import NOTIFY_CHANNEL
from .tables import outbox

log = logging.getLogger("entraide.relay")

_earlier = aliased(outbox)


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


class OutboxRelay:
    def __init__(
        self,
        *,
        db: Database,
        nats: Nats,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        keep_published: float = 3600.0,
    ) -> None:
        self.db = db
        self.nats = nats
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.keep_published = keep_published
        self._wake = asyncio.Event()
        self._next_purge = 0.0
        self.published = 0

    def _pending(self) -> Any:
        # The earliest pending row of each subject, among the oldest pending rows
        # only (a few batches' worth, read in id order off the pending index):
        # a subject's earliest pending row, when it is among them, is its
        # earliest at all (an earlier one would have a smaller id, so be among
        # them too). Each batch thus costs the same whatever the backlog: walking
        # every pending row for DISTINCT ON made a batch linear in the backlog,
        # and PostgreSQL the bulk_create benchmark's bottleneck (47,000 pending
        # rows at c=32, issue 18). (Before that, a correlated "no earlier pending
        # row" check planned as a nested loop was quadratic: 9 minutes a batch.)
        oldest = (
            select(_earlier.c.id, _earlier.c.subject)
            .where(_earlier.c.published_at.is_(None))
            .order_by(_earlier.c.id)
            .limit(self.batch_size * 4)
            .cte("oldest_pending")
        )
        heads = (
            select(oldest.c.id)
            .ext(distinct_on(oldest.c.subject))
            .order_by(oldest.c.subject, oldest.c.id)
        )
        return (
            # The payload as the database's JSON text: sent as it is, not decoded
            # and encoded again.
            select(
                outbox.c.id,
                outbox.c.event_id,
                outbox.c.subject,
                cast(outbox.c.payload, Text).label("payload"),
                outbox.c.traceparent,
            )
            .where(outbox.c.published_at.is_(None), outbox.c.id.in_(heads))
            .order_by(outbox.c.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )

    async def publish_batch(self) -> int:
        """Publish one batch; return how many rows were sent.

        The batch holds at most one row per subject (the earliest pending), so
        its publishes are sent together and their acks awaited together: one
        write and one round trip for the batch instead of one per row, without
        reordering any subject's events. A publish that fails leaves its row
        pending for the next batch; the acknowledged ones are marked.
        """
        js = await self.nats.ready()
        async with self.db.session() as session, session.begin():
            rows = (await session.execute(self._pending())).all()
            results = await asyncio.gather(
                *(
                    js.publish(
                        row.subject,
                        row.payload.encode(),
                        headers=(
                            {"Nats-Msg-Id": row.event_id, "traceparent": row.traceparent}
                            if row.traceparent
                            else {"Nats-Msg-Id": row.event_id}
                        ),
                        timeout=3,
                    )
                    for row in rows
                ),
                return_exceptions=True,
            )
            failed = [r for r in results if isinstance(r, BaseException)]
            sent = [
                row.id
                for row, r in zip(rows, results, strict=True)
                if not isinstance(r, BaseException)
            ]
            # Whatever was acknowledged is marked, even when another publish failed.
            if sent:
                await session.execute(
                    update(outbox).where(outbox.c.id.in_(sent)).values(published_at=func.now())
                )
        self.published += len(sent)
        if failed:
            raise failed[0]
        return len(sent)

    async def purge(self) -> None:
        async with self.db.session() as session, session.begin():
            await session.execute(
                delete(outbox).where(
                    outbox.c.published_at
                    < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, self.keep_published)
                )
            )

    async def run(self) -> None:
        """Relay until cancelled. A cancelled batch's transaction rolls back: its rows
        stay pending and are sent after the restart (the stream drops a duplicate)."""
        listener = asyncio.create_task(self._listen(), name="outbox-listener")
        delay = 0.1
        try:
            while True:
                raise_if_cancelled()
                self._wake.clear()
                try:
                    count = await self.publish_batch()
                    delay = 0.1
                    if time.monotonic() >= self._next_purge:
                        self._next_purge = time.monotonic() + 60
                        await self.purge()
                    if count >= self.batch_size:
                        continue
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("outbox relay: %s; retrying in %.1fs", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                # asyncio.timeout, not wait_for: on 3.11 wait_for loses a cancellation
                # that arrives as the wake-up does (entraide_kit.shutdown).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()
        finally:
            await stop_tasks([listener], 1.5, what="outbox listener")

    async def _listen(self) -> None:
        """LISTEN for commits that wrote outbox rows; reconnect when the database goes away."""
        dsn = asyncpg_dsn(self.db.url)
        while True:
            conn: asyncpg.Connection | None = None
            try:
                closed = asyncio.Event()
                conn = await asyncpg.connect(dsn, timeout=10)
                conn.add_termination_listener(lambda *_, ev=closed: ev.set())
                await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
                # A commit may have been missed while reconnecting: look once.
                self._wake.set()
                await closed.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("outbox listener: %s", exc)
                await asyncio.sleep(1)
            finally:
                if conn is not None and not conn.is_closed():
                    # Bounded: a server that no longer answers never acknowledges
                    # the goodbye (asyncpg aborts the socket at the timeout).
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=1.0)
