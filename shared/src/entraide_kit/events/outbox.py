"""The transactional outbox: an event is a row written with the change it describes.

Service code calls ``await outbox.upsert(session, "user", user.id, user.version, snapshot)``
inside the request's transaction; the relay publishes it after the commit.
A crash between commit and publish loses nothing: the row is still pending.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from .. import contracts
from .envelope import Envelope, subject_for
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
        for e in envelopes:
            contracts.check(e.producer, e.entity, e.op, e.data, complete=True)
            rows.append(
                {"event_id": e.event_id, "subject": e.subject, "payload": e.model_dump(mode="json")}
            )
        if not rows:
            return
        await session.execute(insert(outbox), rows)
        # Delivered at commit (and only then); wakes the relay at once.
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))

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
