"""Read copies of another service's records, declared once and kept by events.

A ``CopyTable`` names the table, the subject it follows, its columns and how a
snapshot (from an event, or from the owner's API) becomes a row. It gives the
migration helper, the consumer subscription, bulk lookups by id, and
``get()``, which falls back once to the owner's API (with the caller's token)
for a record created a moment ago whose event has not arrived yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .. import http
from ..context import Context
from ..events.consumer import Handler, Subscription
from ..events.envelope import Envelope

log = logging.getLogger("entraide.copies")

Row = Any  # a row mapping: row["name"], row["center"]


class CopyTable:
    def __init__(
        self,
        name: str,
        *,
        subject: str,
        columns: Callable[[], list[sa.Column[Any]]],
        from_snapshot: Callable[[Mapping[str, Any]], dict[str, Any]],
        owner_url_setting: str | None = None,
        owner_path: str | None = None,
        owner_list_path: str | None = None,
        indexes: Iterable[tuple[str, list[str]]] = (),
    ) -> None:
        self.name = name
        self.subject = subject
        self._columns = columns
        self.from_snapshot = from_snapshot
        self.owner_url_setting = owner_url_setting
        self.owner_path = owner_path
        # The owner's list filtered by ids (``{ids}``: comma-separated), one page
        # of at most LEARN_BATCH: what ``learn`` asks for a batch of misses.
        self.owner_list_path = owner_list_path
        self.indexes = list(indexes)
        self.table = sa.Table(name, sa.MetaData(), *columns())
        self.fields = [c.name for c in self.table.columns if c.name != "id"]

    # -- schema
    def create(self, op: Any) -> None:
        """For a service's Alembic migration."""
        op.create_table(self.name, *self._columns())
        for index_name, cols in self.indexes:
            op.create_index(index_name, self.name, cols)

    def drop(self, op: Any) -> None:
        op.drop_table(self.name)

    # -- writes
    async def upsert(
        self, session: AsyncSession, record_id: int, snapshot: Mapping[str, Any]
    ) -> None:
        values = self.from_snapshot(snapshot)
        values["id"] = record_id
        stmt = insert(self.table).values(**values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"], set_={f: stmt.excluded[f] for f in values if f != "id"}
            )
        )

    async def apply(self, session: AsyncSession, envelope: Envelope) -> None:
        if envelope.op == "delete":
            await session.execute(self.table.delete().where(self.table.c.id == int(envelope.id)))
        else:
            await self.upsert(session, int(envelope.id), envelope.data or {})

    async def wipe(self, session: AsyncSession) -> None:
        await session.execute(self.table.delete())

    def subscription(self, *, then: Handler | None = None) -> Subscription:
        """The consumer subscription keeping this copy; ``then(session, envelope)`` runs
        after each change, in the same transaction (e.g. to re-publish the records
        that show this copy's data)."""
        if then is None:
            return Subscription(self.subject, self.apply, self.wipe)
        after = then

        async def apply_then(session: AsyncSession, envelope: Envelope) -> None:
            await self.apply(session, envelope)
            await after(session, envelope)

        return Subscription(self.subject, apply_then, self.wipe)

    # -- reads
    async def by_ids(self, session: AsyncSession, ids: Iterable[int | None]) -> dict[int, Row]:
        wanted = {int(i) for i in ids if i is not None}
        if not wanted:
            return {}
        rows = await session.execute(sa.select(self.table).where(self.table.c.id.in_(wanted)))
        return {r.id: r._mapping for r in rows}

    #: ids asked of the owner per call (its page size cap)
    LEARN_BATCH = 100

    async def learn(self, session: AsyncSession, ids: Iterable[int], *, ctx: Context) -> set[int]:
        """Ask the owner, with the caller's token, for records the copy lacks (just
        created, their events not there yet): one call per ``LEARN_BATCH`` ids,
        not one per id. What it answers is kept (the events that follow bring the
        same or a newer state); the ids it knows are returned. An id the owner
        does not show this caller stays unknown."""
        wanted = sorted({int(i) for i in ids})
        base = ctx.setting(self.owner_url_setting) if self.owner_url_setting else None
        if not wanted or not base or not ctx.authorization or not self.owner_list_path:
            return set()
        learned: set[int] = set()
        async with http.client(ctx, base, timeout=3.0) as client:
            for start in range(0, len(wanted), self.LEARN_BATCH):
                chunk = wanted[start : start + self.LEARN_BATCH]
                url = base.rstrip("/") + self.owner_list_path.format(
                    ids=",".join(map(str, chunk)), size=len(chunk)
                )
                try:
                    resp = await client.get(url, headers={"Authorization": ctx.authorization})
                except httpx.HTTPError as exc:
                    log.warning(
                        "could not ask %s about %d %s: %s", base, len(chunk), self.name, exc
                    )
                    break
                if resp.status_code != 200:
                    log.warning("%s answered %s about %s", base, resp.status_code, self.name)
                    break
                body = resp.json()
                for item in body.get("results", []) if isinstance(body, dict) else []:
                    record_id = item.get("id")
                    if isinstance(record_id, int) and record_id in chunk:
                        await self.upsert(session, record_id, item)
                        learned.add(record_id)
        return learned

    async def get(
        self,
        session: AsyncSession,
        record_id: int,
        *,
        ctx: Context | None = None,
    ) -> Row | None:
        """The record from the copy, else (once) from its owner's API with the caller's token."""
        found = (await self.by_ids(session, [record_id])).get(record_id)
        here = ctx
        if found is not None or here is None or not (self.owner_url_setting and self.owner_path):
            return found
        base = here.setting(self.owner_url_setting)
        authorization = here.authorization
        if not base or not authorization:
            return None
        url = base.rstrip("/") + self.owner_path.format(id=record_id)
        try:
            async with http.client(here, base, timeout=3.0) as client:
                resp = await client.get(url, headers={"Authorization": authorization})
        except httpx.HTTPError as exc:
            log.warning("could not ask %s about %s %s: %s", base, self.name, record_id, exc)
            return None
        if resp.status_code != 200:
            return None
        # Kept: the event that follows brings the same or a newer state.
        await self.upsert(session, record_id, resp.json())
        return (await self.by_ids(session, [record_id])).get(record_id)
