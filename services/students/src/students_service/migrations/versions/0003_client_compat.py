"""the web client's student pages: profile copies of users, copies of weekly templates
(who teaches which group), a counter per centre for generated exam ids

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from entraide_kit.copies.profiles import profiles
from students_service.copies import sessions

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    profiles.create(op)
    sessions.create(op)
    op.create_table(
        "exam_id_counters",
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("center_id", name="pk_exam_id_counters"),
    )


def downgrade() -> None:
    op.drop_table("exam_id_counters")
    sessions.drop(op)
    profiles.drop(op)
