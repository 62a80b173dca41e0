"""students, pending accounts; copies of users, centres, groups, programmes, courses

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from entraide_kit.copies.centers import centers, groups
from entraide_kit.copies.programs import courses, programs
from entraide_kit.copies.users import create_user_copies
from entraide_kit.events.tables import create_kit_tables, drop_kit_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIES = (centers, groups, programs, courses)


def upgrade() -> None:
    create_kit_tables(op)
    create_user_copies(op)
    for copy in COPIES:
        copy.create(op)
    op.execute("CREATE SEQUENCE exam_id_seq START 1")
    op.create_table(
        "students",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.String(20), nullable=False),
        sa.Column("center_code", sa.String(20), nullable=False, server_default=""),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("academic_year", sa.String(9), nullable=False),
        sa.Column("joining_date", sa.Date(), nullable=False),
        sa.Column("training_course_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("cin_id", sa.String(20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_students"),
        sa.UniqueConstraint("user_id", name="uq_students_user_id"),
        sa.UniqueConstraint("exam_id", name="uq_students_exam_id"),
        sa.CheckConstraint(
            "academic_year ~ '^[0-9]{4}-[0-9]{4}$'", name="ck_students_academic_year"
        ),
    )
    op.create_index(
        "uq_students_cin_id",
        "students",
        ["cin_id"],
        unique=True,
        postgresql_where=sa.text("cin_id IS NOT NULL AND cin_id <> ''"),
    )
    for column in ("center_id", "program_id", "training_course_id", "group_id"):
        op.create_index(f"ix_students_{column}", "students", [column])
    op.create_table(
        "pending_accounts",
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("ref", name="pk_pending_accounts"),
    )


def downgrade() -> None:
    op.drop_table("pending_accounts")
    op.drop_table("students")
    op.execute("DROP SEQUENCE exam_id_seq")
    for copy in reversed(COPIES):
        copy.drop(op)
    op.drop_table("user_copies")
    drop_kit_tables(op)
