"""the centres copy keeps each centre's association

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Issue 20: the kit's ``centers`` copy gains ``association`` (the centre event
carries it). 0001 builds center_copies from the current column list (which has
it): only a database made before this revision lacks the column. Copies made
before it hold null until ``./dev rebuild-copies students`` replays the stream.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE center_copies ADD COLUMN IF NOT EXISTS association INTEGER")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_center_copies_association ON center_copies (association)"
    )


def downgrade() -> None:
    op.drop_index("ix_center_copies_association", table_name="center_copies")
    op.drop_column("center_copies", "association")
