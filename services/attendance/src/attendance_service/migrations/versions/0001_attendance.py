"""attendance records; copies of users, centres, students, templates, instances

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from attendance_service.copies import instances, sessions
from entraide_kit.copies.centers import centers
from entraide_kit.copies.students import students
from entraide_kit.copies.users import create_user_copies
from entraide_kit.events.tables import create_kit_tables, drop_kit_tables
from entraide_kit.migrations import record_columns

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIES = (centers, students, sessions, instances)


def upgrade() -> None:
    create_kit_tables(op)
    create_user_copies(op)
    for copy in COPIES:
        copy.create(op)
    op.create_table(
        "attendance_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("session_template_id", sa.Integer(), nullable=True),
        sa.Column("session_instance_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False, server_default="absent"),
        sa.Column("notes", sa.Text(), nullable=False, server_default=""),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("trainer_id", sa.Integer(), nullable=True),
        sa.Column("center_id", sa.Integer(), nullable=True),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_attendance_records"),
        sa.CheckConstraint(
            "status IN ('present', 'absent', 'late')", name="ck_attendance_records_status"
        ),
        sa.CheckConstraint(
            "(session_template_id IS NULL) <> (session_instance_id IS NULL)",
            name="ck_attendance_records_one_session",
        ),
    )
    # One record per student, session and date (bulk entry updates in place).
    op.create_index(
        "uq_attendance_student_instance_date",
        "attendance_records",
        ["student_id", "session_instance_id", "date"],
        unique=True,
        postgresql_where=sa.text("session_instance_id IS NOT NULL"),
    )
    op.create_index(
        "uq_attendance_student_template_date",
        "attendance_records",
        ["student_id", "session_template_id", "date"],
        unique=True,
        postgresql_where=sa.text("session_template_id IS NOT NULL"),
    )
    # The filters of stats, student_stats and report: a scope and a date range.
    # INCLUDE (status) lets the aggregates run from the index alone.
    for column in ("group_id", "trainer_id", "student_id", "center_id"):
        op.create_index(
            f"ix_attendance_{column}_date",
            "attendance_records",
            [column, "date"],
            postgresql_include=["status"],
        )
    op.create_index(
        "ix_attendance_date", "attendance_records", ["date"], postgresql_include=["status"]
    )
    op.create_index("ix_attendance_instance", "attendance_records", ["session_instance_id"])


def downgrade() -> None:
    op.drop_table("attendance_records")
    for copy in reversed(COPIES):
        copy.drop(op)
    op.drop_table("user_copies")
    drop_kit_tables(op)
