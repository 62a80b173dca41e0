"""The transactional outbox: an event is a row written with the change it describes.

Service code calls ``await outbox.upsert(session, "user", user.id, user.version, snapshot)``
inside the request's transaction; the relay publishes it after the commit.
A crash between commit and publish loses nothing: the row is still pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Insert,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from .. import contracts, tracing
from .envelope import SUBJECT_PREFIX, Envelope, subject_for
from .tables import outbox

NOTIFY_CHANNEL = "entraide_outbox"


class Outbox:
    def __init__(self, service: str) -> None:
        self.service = service

    def envelope(
        self, entity: str, entity_id: int | str, version: int, data: dict[str, Any] | None, op: str
    ) -> Envelope:
        return Envelope(
            subject=subject_for(self.service, entity, entity_id),
            producer=self.service,
            entity=entity,
            id=entity_id,
            op=op,  # type: ignore[arg-type,unused-ignore]
            version=version,
            data=data,
        )

    async def add(self, session: AsyncSession, envelopes: Iterable[Envelope]) -> None:
        """Write the events; each payload is checked against its subject's model
        first (``contracts``): one that does not match raises, and the change
        it describes is not committed."""
        rows = []
        trace = tracing.traceparent()
        for e in envelopes:
            contracts.check(e.producer, e.entity, e.op, e.data, complete=True)
            rows.append(
                {
                    "event_id": e.event_id,
                    "subject": e.subject,
                    "payload": e.model_dump(mode="json"),
                    "traceparent": trace,
                }
            )
        if not rows:
            return
        await session.execute(insert(outbox), rows)
        # Delivered at commit (and only then); wakes the relay at once.
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))

    def upserts_of(self, saved: CTE, entity: str, data: Mapping[str, str]) -> Insert:
        """The events of the rows a data-modifying CTE returns (``saved``: its
        ``id`` and ``version`` columns, and those ``data`` names: payload field
        -> column), built by PostgreSQL: an ``INSERT INTO outbox ... SELECT``
        for a statement that writes a batch of records and their upsert events
        in one round trip, without an envelope object per record in Python
        (issue 18's bulk entry).

        The envelope has ``Envelope``'s fields; ``data`` must name exactly the
        fields of the subject's contract (checked here, each time the statement
        is built). The values' types are the database's; a test of each
        producer using this validates the rows it writes against the model.
        Its ``traceparent`` parameter is the trace the events belong to
        (``tracing.traceparent()``). The statement that holds it should also
        ``notify()``."""
        contracts.check_fields(self.service, entity, data.keys())

        def text_(value: str) -> ColumnElement[Any]:
            return cast(literal(value), Text)

        rows = select(
            saved,
            func.replace(cast(func.gen_random_uuid(), Text), "-", "").label("event_id_"),
        ).subquery()
        subject = text_(f"{SUBJECT_PREFIX}.{self.service}.{entity}.") + cast(rows.c.id, Text)
        pairs: list[Any] = []
        for name, column in data.items():
            pairs += [text_(name), rows.c[column]]
        payload = func.jsonb_build_object(
            text_("event_id"),
            rows.c.event_id_,
            text_("subject"),
            subject,
            text_("producer"),
            text_(self.service),
            text_("entity"),
            text_(entity),
            text_("id"),
            rows.c.id,
            text_("op"),
            text_("upsert"),
            text_("version"),
            rows.c.version,
            text_("occurred_at"),
            func.now(),
            text_("data"),
            func.jsonb_build_object(*pairs),
        )
        trace = bindparam("traceparent", type_=String)
        return insert(outbox).from_select(
            ["event_id", "subject", "payload", "traceparent"],
            select(rows.c.event_id_, subject, payload, trace),
        )

    @staticmethod
    def notify() -> ColumnElement[Any]:
        """``pg_notify`` of the relay's channel, for a statement that writes outbox
        rows itself (delivered at commit, like ``add``'s NOTIFY)."""
        return func.pg_notify(literal(NOTIFY_CHANNEL, Text), literal("", Text))

    async def upsert(
        self,
        session: AsyncSession,
        entity: str,
        entity_id: int | str,
        version: int,
        data: dict[str, Any],
    ) -> None:
        await self.add(session, [self.envelope(entity, entity_id, version, data, "upsert")])

    async def delete(
        self, session: AsyncSession, entity: str, entity_id: int | str, version: int
    ) -> None:
        await self.add(session, [self.envelope(entity, entity_id, version, None, "delete")])
