"""A minimal consuming service for tests: keeps copies of auth's users.

It is built with the same app factory, migrations, consumer runner and token
revocation as every real service, so tests can watch events arrive "in a
second service" through production code paths. Not used in production.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.app import create_app
from entraide_kit.auth import CurrentUser
from entraide_kit.contracts import User
from entraide_kit.db import Database
from entraide_kit.events.connection import Nats
from entraide_kit.events.consumer import ConsumerRunner, Subscription
from entraide_kit.events.envelope import Envelope
from entraide_kit.events.revocation import revocation_subscription
from entraide_kit.migrations import upgrade
from entraide_kit.settings import ServiceSettings

MIGRATIONS = Path(__file__).resolve().parent / "probe_migrations"
COPY_FIELDS = ("email", "first_name", "last_name", "role", "is_active")

metadata = sa.MetaData()
user_copies = sa.Table(
    "user_copies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("first_name", sa.String(30), nullable=False),
    sa.Column("last_name", sa.String(30), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # When the source wrote the event, and when this copy was applied: the
    # propagation benchmark reads its lag from these.
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("copied_at", sa.DateTime(timezone=True), nullable=True),
)


async def apply_user(session: AsyncSession, envelope: Envelope) -> None:
    if envelope.op == "delete":
        await session.execute(user_copies.delete().where(user_copies.c.id == int(envelope.id)))
        return
    values: dict[str, Any] = envelope.payload(User).model_dump(include=set(COPY_FIELDS))
    values.update(
        id=int(envelope.id),
        version=envelope.version,
        occurred_at=envelope.occurred_at,
        copied_at=sa.func.clock_timestamp(),
    )
    stmt = insert(user_copies).values(**values)
    updated = (*COPY_FIELDS, "version", "occurred_at", "copied_at")
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"], set_={k: stmt.excluded[k] for k in updated}
        )
    )


async def wipe_users(session: AsyncSession) -> None:
    await session.execute(user_copies.delete())


def subscriptions() -> list[Subscription]:
    return [Subscription("entraide.auth.user.*", apply_user, wipe_users)]


def build_probe_app(settings: ServiceSettings) -> FastAPI:
    router = APIRouter(prefix="/api/probe")

    @router.get("/whoami/")
    async def whoami(principal: CurrentUser) -> dict[str, Any]:
        return {"id": principal.id, "role": principal.role}

    return create_app(
        settings=settings,
        title="probe",
        description="test consumer",
        routers=[router],
        migrations=MIGRATIONS,
        subscriptions=subscriptions(),
    )


def consumer_for(db: Database, nats: Nats, **options: Any) -> ConsumerRunner:
    """The probe's consumer (user copies and token revocations), as the app runs it."""
    return ConsumerRunner(
        service="probe",
        db=db,
        nats=nats,
        subscriptions=[*subscriptions(), revocation_subscription()],
        **options,
    )


async def _run_consumer(database_url: str, nats_url: str, ack_wait: float) -> None:
    db = Database(database_url, pool_size=2, max_overflow=0)
    await upgrade(db.engine, MIGRATIONS, service="probe")
    nats = Nats(nats_url, name="probe-consumer")
    await consumer_for(db, nats, ack_wait=ack_wait).run()


def main() -> None:
    """``python -m entraide_stack.testing.probe --database-url U --nats-url N``: consume forever."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--nats-url", required=True)
    parser.add_argument("--ack-wait", type=float, default=2.0)
    args = parser.parse_args()
    asyncio.run(_run_consumer(args.database_url, args.nats_url, args.ack_wait))


if __name__ == "__main__":
    main()
