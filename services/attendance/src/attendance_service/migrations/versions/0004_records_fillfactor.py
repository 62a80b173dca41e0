"""room on each records page for its rows' next versions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Entering a class list again with the same marks rewrites notes, version and
updated_at, none of them indexed: with free room on the page, PostgreSQL keeps
the new version there (a HOT update) and touches none of the table's nine
indexes; on full pages (the default fillfactor of 100) every update wrote nine
index entries (issue 18, bulk_create). A changed status is not HOT: the
scope/date indexes INCLUDE it. Pages written
before this revision keep no room until the table is rewritten
(``VACUUM FULL attendance_records`` in a quiet hour).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE attendance_records SET (fillfactor = 80)")


def downgrade() -> None:
    op.execute("ALTER TABLE attendance_records RESET (fillfactor)")
