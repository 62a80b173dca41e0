"""Durable consumers that keep a service's read copies of other services' records.

- One durable pull consumer per service, shared by its replicas (each message
  goes to one replica), filtered on the subjects the service subscribes to.
- A message is acked only after the transaction that applied it committed.
- A snapshot is applied only if its version is newer than the last one applied
  for that subject (``event_versions``): duplicates and reordering are harmless,
  and a late upsert never resurrects a deleted record.
- A handler that keeps failing is retried a bounded number of times, then the
  message goes to the dead-letter stream; a malformed message goes there at
  once. Neither blocks the messages behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from .. import contracts, tracing
from ..db import Database
from ..shutdown import raise_if_cancelled
from .connection import Nats
from .envelope import DLQ_PREFIX, STREAM, Envelope
from .tables import event_versions

log = logging.getLogger("entraide.consumer")

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]

_APPLY_IF_NEWER = text(
    "INSERT INTO event_versions (subject, version, op) VALUES (:subject, :version, :op) "
    "ON CONFLICT (subject) DO UPDATE SET version = excluded.version, op = excluded.op, "
    "applied_at = now() WHERE event_versions.version < excluded.version RETURNING 1"
)


@dataclass(frozen=True)
class Subscription:
    """``entraide.auth.user.*`` -> handler(session, envelope)."""

    subject: str
    handler: Handler
    # Called by the rebuild command to empty the copies this handler fills.
    wipe: Callable[[AsyncSession], Awaitable[None]] | None = None


def subject_matches(pattern: str, subject: str) -> bool:
    p_tokens, s_tokens = pattern.split("."), subject.split(".")
    for i, token in enumerate(p_tokens):
        if token == ">":
            return len(s_tokens) > i
        if i >= len(s_tokens) or (token != "*" and token != s_tokens[i]):
            return False
    return len(p_tokens) == len(s_tokens)


class PoisonMessage(Exception):
    """A message no retry will fix: it goes to the dead-letter stream at once."""


class ConsumerRunner:
    def __init__(
        self,
        *,
        service: str,
        db: Database,
        nats: Nats,
        subscriptions: Sequence[Subscription],
        durable: str | None = None,
        max_deliver: int = 5,
        batch: int = 100,
        ack_wait: float = 30.0,
        retry_base_delay: float = 0.5,
    ) -> None:
        self.service = service
        self.db = db
        self.nats = nats
        self.subscriptions = list(subscriptions)
        self.durable = durable or f"{service}-copies"
        self.max_deliver = max_deliver
        self.batch = batch
        self.ack_wait = ack_wait
        self.retry_base_delay = retry_base_delay
        self.applied = 0
        self.dead_lettered = 0

    @property
    def filter_subjects(self) -> list[str]:
        # JetStream refuses overlapping filters: several handlers may share one.
        return list(dict.fromkeys(s.subject for s in self.subscriptions))

    def handlers_for(self, subject: str) -> list[Handler]:
        return [sub.handler for sub in self.subscriptions if subject_matches(sub.subject, subject)]

    async def apply(self, envelope: Envelope) -> bool:
        """Apply one event in its own transaction; False when it was not newer."""
        handlers = self.handlers_for(envelope.subject)
        if not handlers:
            raise PoisonMessage(f"no handler for {envelope.subject}")
        try:
            payload = contracts.check(
                envelope.producer, envelope.entity, envelope.op, envelope.data
            )
        except contracts.ContractViolation as exc:
            raise PoisonMessage(f"payload does not match its contract: {exc}") from None
        # The handlers read this instance (``envelope.payload(model)``): validated once.
        envelope.keep_payload(payload)
        async with self.db.session() as session, session.begin():
            newer = await session.execute(
                _APPLY_IF_NEWER,
                {"subject": envelope.subject, "version": envelope.version, "op": envelope.op},
            )
            if newer.first() is None:
                return False
            for handler in handlers:
                await handler(session, envelope)
        self.applied += 1
        return True

    async def _consumer(self) -> Any:
        js = await self.nats.ready()
        config = ConsumerConfig(
            name=self.durable,
            durable_name=self.durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=self.max_deliver + 1,
            filter_subjects=self.filter_subjects,
            max_ack_pending=10000,
        )
        # Create, or update when the subscriptions changed (NATS >= 2.10).
        await self.nats.jsm.add_consumer(STREAM, config=config)
        return await js.pull_subscribe_bind(durable=self.durable, stream=STREAM)

    async def handle(self, msg: Msg) -> None:
        # Inside the trace of the request that caused the event (its header).
        with tracing.consumed(msg.headers, msg.subject):
            await self._handle(msg)

    async def _handle(self, msg: Msg) -> None:
        try:
            try:
                envelope = Envelope.model_validate_json(msg.data)
            except ValidationError as exc:
                raise PoisonMessage(f"malformed event: {exc.errors()[:3]}") from exc
            if envelope.subject != msg.subject:
                raise PoisonMessage(f"envelope subject {envelope.subject} != {msg.subject}")
            if await self.apply(envelope):
                # A line per event applied, as the access log has one per request.
                log.info(
                    "applied %s v%d",
                    envelope.subject,
                    envelope.version,
                    extra={"event_id": envelope.event_id, "op": envelope.op},
                )
        except PoisonMessage as exc:
            await self.dead_letter(msg, str(exc))
            return
        except Exception as exc:
            delivered = msg.metadata.num_delivered if msg.metadata else 1
            if delivered >= self.max_deliver:
                await self.dead_letter(msg, f"failed {delivered} times: {exc!r}")
                return
            log.warning("event %s failed (try %d): %r", msg.subject, delivered, exc)
            await msg.nak(delay=min(self.retry_base_delay * 2**delivered, 10.0))
            return
        await msg.ack()

    async def dead_letter(self, msg: Msg, reason: str) -> None:
        js = await self.nats.ready()
        headers = {"Entraide-Reason": reason[:500], "Entraide-Consumer": self.durable}
        await js.publish(f"{DLQ_PREFIX}.{self.service}.{msg.subject}", msg.data, headers=headers)
        await msg.ack()
        self.dead_lettered += 1
        log.error("dead-lettered %s: %s", msg.subject, reason)

    async def run(self) -> None:
        """Consume until cancelled: reconnects and re-binds after any failure.

        Cancelled, it stops between two messages or inside one (its transaction
        rolls back); what was fetched and not acked is redelivered by JetStream
        after ``ack_wait``. The loop checks for a cancellation on every turn: the
        fetch can swallow one (``entraide_kit.shutdown``).
        """
        if not self.subscriptions:
            return
        delay = 0.2
        while True:
            raise_if_cancelled()
            try:
                sub = await self._consumer()
                delay = 0.2
                while True:
                    raise_if_cancelled()
                    try:
                        msgs = await sub.fetch(self.batch, timeout=1.0)
                    except (NatsTimeout, TimeoutError):
                        continue
                    for msg in msgs:
                        raise_if_cancelled()
                        await self.handle(msg)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                detail = getattr(exc, "description", None) or repr(exc)
                log.warning("consumer %s: %s; again in %.1fs", self.durable, detail, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def rebuild(self) -> int:
        """Wipe the copies and replay the stream (the stream keeps each record's last state)."""
        async with self.db.session() as session, session.begin():
            for sub in self.subscriptions:
                if sub.wipe is not None:
                    await sub.wipe(session)
                prefix = sub.subject.split("*")[0].split(">")[0]
                await session.execute(
                    delete(event_versions).where(event_versions.c.subject.startswith(prefix))
                )
        js = await self.nats.ready()
        psub = await js.pull_subscribe(
            "",
            stream=STREAM,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.NONE,
                filter_subjects=self.filter_subjects,
                inactive_threshold=60.0,
            ),
        )
        replayed = 0
        try:
            while True:
                try:
                    msgs = await psub.fetch(self.batch, timeout=2.0)
                except (NatsTimeout, TimeoutError):
                    break
                for msg in msgs:
                    try:
                        await self.apply(Envelope.model_validate_json(msg.data))
                        replayed += 1
                    except (ValidationError, PoisonMessage) as exc:
                        log.error("rebuild skipped %s: %s", msg.subject, exc)
                if msgs and msgs[-1].metadata.num_pending == 0:
                    break
        finally:
            await psub.unsubscribe()
        return replayed
