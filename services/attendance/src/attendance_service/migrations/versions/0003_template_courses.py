"""the templates' training course, and copies of training courses (records' details)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Records show their session's training course (programme and name): the
template copies gain schedule's ``training_course`` and the service keeps the
kit's copies of programs' training courses. Copies made before this revision
lack both until ``./dev rebuild-copies attendance`` replays the stream.
"""

from collections.abc import Sequence

from alembic import op

from entraide_kit.copies.programs import courses

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 0001 builds session_copies from the current column list (which has the
    # column): only a database made before this revision lacks it.
    op.execute("ALTER TABLE session_copies ADD COLUMN IF NOT EXISTS training_course INTEGER")
    courses.create(op)


def downgrade() -> None:
    courses.drop(op)
    op.drop_column("session_copies", "training_course")
