"""provision_ref: the caller's key for an account it asked for (to release it if unused)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("provision_ref", sa.String(64), nullable=True))
    op.create_index("uq_users_provision_ref", "users", ["provision_ref"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_provision_ref", "users")
    op.drop_column("users", "provision_ref")
