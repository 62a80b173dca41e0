"""Records whose account lives in auth (students, teachers): neither may outlive
the other (see docs/architecture.md, "A record and its account").

1. ``remember(db, refs)``: random refs, committed on their own;
2. the service has auth make the accounts under those refs (``auth_client``);
3. the service saves its records and ``forget(session, refs)`` in the request's
   transaction. If that fails, ``release_now()``; if the process dies between
   2 and 3, the refs stay pending and ``reconcile()`` (run by ``hook()``)
   releases the accounts after a grace period.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from .auth_client import release_accounts
from .context import Context
from .db import Database
from .shutdown import shutdown_deadline, stop_tasks

log = logging.getLogger("entraide.accounts")

pending_accounts = sa.Table(
    "pending_accounts",
    sa.MetaData(),
    sa.Column("ref", sa.String(64), primary_key=True),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)


def create_pending_accounts(op: Any) -> None:
    """For a service's Alembic migration."""
    op.create_table(
        "pending_accounts",
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("ref", name="pk_pending_accounts"),
    )


def new_refs(count: int) -> list[str]:
    return [secrets.token_urlsafe(24) for _ in range(count)]


async def remember(db: Database, refs: Sequence[str]) -> None:
    """Step 1, in a transaction of its own: it must outlive the request's."""
    async with db.session() as session, session.begin():
        await session.execute(sa.insert(pending_accounts), [{"ref": r} for r in refs])


async def forget(session: AsyncSession, refs: Sequence[str]) -> None:
    """Step 3, in the transaction that saves the records."""
    if refs:
        await session.execute(pending_accounts.delete().where(pending_accounts.c.ref.in_(refs)))


async def _release(
    db: Database, auth_url: str | None, refs: Sequence[str], transports: Any
) -> int | None:
    if not auth_url or not refs:
        return None
    count = await release_accounts(auth_url, refs, transports=transports)
    if count is not None:
        async with db.session() as session, session.begin():
            await forget(session, refs)
    return count


async def release_now(ctx: Context, refs: Sequence[str]) -> None:
    """The records could not be saved: give the accounts back at once (best effort,
    shielded from the request's cancellation; what fails, ``reconcile()`` does later)."""
    here = ctx
    if here.db is None:
        raise RuntimeError("release_now needs a context with the app's database")
    await asyncio.shield(_release(here.db, here.setting("auth_url"), refs, here.transports))


async def reconcile(
    db: Database, *, auth_url: str | None, grace: float, transports: Mapping[str, Any] | None = None
) -> int:
    """Release the accounts whose records were never saved (pending longer than ``grace``)."""
    if not auth_url:
        return 0
    async with db.session() as session, session.begin():
        rows = await session.execute(
            sa.select(pending_accounts.c.ref)
            .where(
                pending_accounts.c.created_at
                < sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, grace)
            )
            .order_by(pending_accounts.c.created_at)
            .limit(500)
            .with_for_update(skip_locked=True)
        )
        refs = [r[0] for r in rows]
        if not refs:
            return 0
        count = await release_accounts(auth_url, refs, transports=transports)
        if count is None:
            return 0  # auth unreachable: the refs stay pending for the next round
        await forget(session, refs)
    if count:
        log.warning("released %d accounts whose records were never saved", count)
    return count


def hook(
    *, grace: float, interval: float
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan hook running ``reconcile()`` every ``interval`` seconds."""

    async def loop(app: FastAPI) -> None:
        while True:
            try:
                await reconcile(
                    app.state.db,
                    auth_url=app.state.settings.auth_url,
                    grace=grace,
                    transports=getattr(app.state, "http_transports", None),
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("reconcile: %s", exc)
            await asyncio.sleep(interval)

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(loop(app), name="reconcile-accounts")
        try:
            yield
        finally:
            await stop_tasks(
                [task], shutdown_deadline(app).left(cap=1.0), what="accounts reconciliation"
            )

    return run
