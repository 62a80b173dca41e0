"""Read copies of another service's records, declared once and kept by events.

A ``CopyTable`` names the table, the subject it follows, its columns, the
subject's contract model (``entraide_kit.contracts``) and two functions:
``from_payload`` turns a validated payload (by attribute) into the row's
values; ``from_api`` builds that payload from the owner's REST answer, whose
shape differs (nested objects, other names). An event and an owner's answer
about the same record end in the same ``from_payload``, so both fill the copy
alike, and a renamed field fails where it is read (mypy, the kit's test of the
copies) instead of silently emptying a column.

It gives the migration helper, the consumer subscription, bulk lookups by id,
and ``get()``/``learn()``, which fall back once to the owner's API (with the
caller's token) for a record created a moment ago whose event has not arrived
yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .. import http
from ..context import Context
from ..contracts import Payload
from ..events.consumer import Handler, Subscription
from ..events.envelope import Envelope

log = logging.getLogger("entraide.copies")

Row = Any  # a row mapping: row["name"], row["center"]
M = TypeVar("M", bound=Payload)
#: what an owner's answer that does not have the shape its copy reads raises
ANSWER_ERRORS = (KeyError, TypeError, ValueError)  # pydantic's ValidationError is a ValueError


def id_of(value: Any) -> int | None:
    """An owner's answer's reference: a nested object's ``id``, or the id itself."""
    if isinstance(value, Mapping):
        value = value["id"]
    return None if value is None else int(value)


def answer_as(model: type[M], answer: Mapping[str, Any], **shown_otherwise: Any) -> M:
    """``model`` from an owner's answer showing its fields under the event's names;
    ``shown_otherwise``: the fields it shows another way (a nested object's id, a
    name under another key). A field in neither raises KeyError: the answer no
    longer has what the copy reads (the kit's test of the copies catches it)."""
    return model.model_validate(
        {
            name: shown_otherwise[name] if name in shown_otherwise else answer[name]
            for name in model.model_fields
        }
    )


class CopyTable(Generic[M]):
    def __init__(
        self,
        name: str,
        *,
        subject: str,
        columns: Callable[[], list[sa.Column[Any]]],
        model: type[M],
        from_payload: Callable[[M], dict[str, Any]],
        from_api: Callable[[Mapping[str, Any]], M] | None = None,
        owner_url_setting: str | None = None,
        owner_path: str | None = None,
        owner_list_path: str | None = None,
        indexes: Iterable[tuple[str, list[str]]] = (),
    ) -> None:
        if (owner_path or owner_list_path) and from_api is None:
            raise ValueError(f"{name}: asking its owner needs a from_api adapter")
        self.name = name
        self.subject = subject
        self._columns = columns
        #: the subject's contract model (``contracts.PAYLOADS``)
        self.model = model
        #: a validated payload -> the row's values (all columns but ``id``)
        self.from_payload = from_payload
        #: the owner's REST answer about one record -> its payload
        self.from_api = from_api
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
    async def upsert(self, session: AsyncSession, payload: M) -> None:
        """Insert or update the record ``payload`` describes (its ``id``)."""
        values = self.from_payload(payload)
        values["id"] = payload.id
        stmt = insert(self.table).values(**values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"], set_={f: stmt.excluded[f] for f in values if f != "id"}
            )
        )

    def from_answer(self, record_id: int, answer: Mapping[str, Any]) -> M:
        """The payload of the owner's answer about ``record_id`` (``from_api``);
        raises one of ``ANSWER_ERRORS`` when the answer has not the shape it reads."""
        if self.from_api is None:
            raise TypeError(f"{self.name} reads no owner's answer (no from_api)")
        return self.from_api({**answer, "id": record_id})

    async def upsert_answer(
        self, session: AsyncSession, record_id: int, answer: Mapping[str, Any]
    ) -> None:
        """Keep what the owner answered about a record (the event that follows
        brings the same or a newer state)."""
        await self.upsert(session, self.from_answer(record_id, answer))

    def read(self, envelope: Envelope) -> M:
        """An upsert event's payload as the contract model (validated once, by the consumer)."""
        return envelope.payload(self.model)

    async def apply(self, session: AsyncSession, envelope: Envelope) -> None:
        if envelope.op == "delete":
            await session.execute(self.table.delete().where(self.table.c.id == int(envelope.id)))
        else:
            await self.upsert(session, self.read(envelope))

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
                    record_id = item.get("id") if isinstance(item, dict) else None
                    if not isinstance(record_id, int) or record_id not in chunk:
                        continue
                    try:
                        payload = self.from_answer(record_id, item)
                    except ANSWER_ERRORS as exc:
                        log.warning("%s's answer about %s %s: %r", base, self.name, record_id, exc)
                        continue
                    await self.upsert(session, payload)
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
        try:
            payload = self.from_answer(record_id, resp.json())
        except ANSWER_ERRORS as exc:
            log.warning("%s's answer about %s %s: %r", base, self.name, record_id, exc)
            return None
        # Kept: the event that follows brings the same or a newer state.
        await self.upsert(session, payload)
        return (await self.by_ids(session, [record_id])).get(record_id)
