"""Tables the kit keeps in every service database (created by each service's migrations).

- ``outbox``: events written in the same transaction as the change they describe.
- ``event_versions``: the newest version applied per subject, so consumers apply
  a snapshot only when it is newer (duplicates and reordering are harmless) and
  remember deletions (a late upsert never resurrects a deleted record).
- ``token_revocations``: what each service knows of users' tokens (from auth's
  user events), so it refuses revoked tokens without calling auth.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

kit_metadata = sa.MetaData()

outbox = sa.Table(
    "outbox",
    kit_metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.String(32), nullable=False, unique=True),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    # The W3C trace context of the transaction that wrote it (sent as a header).
    sa.Column("traceparent", sa.String(55), nullable=True),
    sa.Index("ix_outbox_pending", "id", postgresql_where=sa.text("published_at IS NULL")),
    sa.Index(
        "ix_outbox_pending_subject",
        "subject",
        "id",
        postgresql_where=sa.text("published_at IS NULL"),
    ),
)

event_versions = sa.Table(
    "event_versions",
    kit_metadata,
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("op", sa.String(10), nullable=False),
    sa.Column(
        "applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

token_revocations = sa.Table(
    "token_revocations",
    kit_metadata,
    sa.Column("user_id", sa.Integer, primary_key=True),
    sa.Column("token_version", sa.Integer, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
)

KIT_TABLES = ("outbox", "event_versions", "token_revocations")


def create_kit_tables(op: Any) -> None:
    """For a service's Alembic migration: ``create_kit_tables(op)``."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    # The relay scans only what is still to be sent.
    op.create_index(
        "ix_outbox_pending", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL")
    )
    op.create_table(
        "event_versions",
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column(
            "applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("subject", name="pk_event_versions"),
    )
    op.create_table(
        "token_revocations",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("token_version", sa.Integer, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("user_id", name="pk_token_revocations"),
    )


def create_outbox_subject_index(op: Any) -> None:
    """For a service's Alembic migration (after ``create_kit_tables``); also tunes
    the outbox's autovacuum.

    The relay takes the earliest pending row of each subject: with this index
    that is one ordered walk of the pending rows' (subject, id) entries, linear
    in the backlog whatever the plan (without it, the check was planned as a
    nested loop over the id index: 9 minutes for one batch at 78,000 pending).
    """
    op.create_index(
        "ix_outbox_pending_subject",
        "outbox",
        ["subject", "id"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
    # Every row is written, then updated once sent: vacuum the queue often, or
    # the pending indexes fill with entries of sent rows that every scan visits.
    op.execute(
        "ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.0,"
        " autovacuum_vacuum_threshold = 5000, autovacuum_analyze_scale_factor = 0.0,"
        " autovacuum_analyze_threshold = 5000)"
    )


def add_outbox_traceparent(op: Any) -> None:
    """For a service's Alembic migration: the outbox keeps each event's trace
    context (``entraide_kit.tracing``), which the relay sends as a header."""
    op.execute("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS traceparent VARCHAR(55)")


def drop_outbox_traceparent(op: Any) -> None:
    op.execute("ALTER TABLE outbox DROP COLUMN IF EXISTS traceparent")


def drop_outbox_subject_index(op: Any) -> None:
    op.execute(
        "ALTER TABLE outbox RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,"
        " autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)"
    )
    op.drop_index("ix_outbox_pending_subject", table_name="outbox")


def drop_kit_tables(op: Any) -> None:
    for name in reversed(KIT_TABLES):
        op.drop_table(name)
