"""Alembic at start-up: each service migrates its own database before serving.

Replicas starting together serialize on a PostgreSQL advisory lock, so only
one runs the migrations and the others find them done.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config(script_location: Path, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, script_location: Path, lock_id: int, revision: str) -> None:
    from .answercache import watch_tables

    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
    command.upgrade(alembic_config(script_location, connection), revision)
    # Every table the migrations made, watched by the answer cache's generation.
    watch_tables(connection)


async def upgrade(
    engine: AsyncEngine, script_location: Path, *, service: str, revision: str = "head"
) -> None:
    lock_id = zlib.crc32(f"entraide-migrate-{service}".encode())
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, script_location, lock_id, revision)


async def downgrade(engine: AsyncEngine, script_location: Path, *, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda c: command.downgrade(alembic_config(script_location, c), revision)
        )


def run_env(target_metadata: Any) -> None:
    """The body of every service's ``migrations/env.py``.

    Migrations run on the connection the service hands over; offline SQL
    generation is not used.
    """
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run through entraide_kit.migrations.upgrade()")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


def record_columns() -> list[Any]:
    """``version``, ``created_at``, ``updated_at``: for a migration's create_table."""
    import sqlalchemy as sa

    return [
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    ]
