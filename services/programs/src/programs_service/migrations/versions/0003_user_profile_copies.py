"""copies of the profile half of auth's users (the web client's whole user objects)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from entraide_kit.copies.profiles import profiles

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    profiles.create(op)


def downgrade() -> None:
    profiles.drop(op)
