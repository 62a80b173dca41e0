"""the outbox keeps each event's trace context (sent as its traceparent header)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from entraide_kit.events.tables import add_outbox_traceparent, drop_outbox_traceparent

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_outbox_traceparent(op)


def downgrade() -> None:
    drop_outbox_traceparent(op)
