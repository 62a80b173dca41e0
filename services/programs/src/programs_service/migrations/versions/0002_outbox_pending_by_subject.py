"""the outbox's pending rows indexed by subject (the relay's order check)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

from entraide_kit.events.tables import create_outbox_subject_index, drop_outbox_subject_index

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_subject_index(op)


def downgrade() -> None:
    drop_outbox_subject_index(op)
