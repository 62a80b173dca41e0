"""absence justifications, alert rules and alerts; records say whether an absence is justified

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Issue 20. ``attendance_records.is_justified`` (false by default) is set on a
student's absences by an approved justification covering their date; the
statistics count it, so the scope/date indexes that let the aggregates run from
the index alone now include it beside ``status``. The network roll-ups add the
copies of associations and groups and the centres' ``association``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from entraide_kit.copies.centers import associations, groups
from entraide_kit.migrations import record_columns

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPES = ("group_id", "trainer_id", "student_id", "center_id")


def _scope_indexes(include: list[str]) -> None:
    for column in SCOPES:
        op.drop_index(f"ix_attendance_{column}_date", table_name="attendance_records")
        op.create_index(
            f"ix_attendance_{column}_date",
            "attendance_records",
            [column, "date"],
            postgresql_include=include,
        )
    op.drop_index("ix_attendance_date", table_name="attendance_records")
    op.create_index(
        "ix_attendance_date", "attendance_records", ["date"], postgresql_include=include
    )


def upgrade() -> None:
    op.add_column(
        "attendance_records",
        sa.Column("is_justified", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _scope_indexes(["status", "is_justified"])

    op.create_table(
        "justifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        # The student's centre and group when filed (from the student copy): what
        # scopes and filters use, without joining.
        sa.Column("center_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("document", sa.String(500), nullable=True),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_justifications"),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name="ck_justifications_status"
        ),
        # At most 60 days, inclusive: bulk entry's EXISTS looks back 60 days only.
        sa.CheckConstraint(
            "date_to >= date_from AND date_to - date_from < 60", name="ck_justifications_range"
        ),
    )
    op.create_index("ix_justifications_student", "justifications", ["student_id", "date_from"])
    op.create_index("ix_justifications_center", "justifications", ["center_id", "status"])
    op.create_index("ix_justifications_group", "justifications", ["group_id", "status"])

    op.create_table(
        "alert_rules",
        sa.Column("center_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("consecutive_absences", sa.Integer(), nullable=False, server_default="3"),
        sa.Column("absence_rate_threshold", sa.Float(), nullable=False, server_default="20"),
        sa.Column("min_records", sa.Integer(), nullable=False, server_default="10"),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        *record_columns(),
        sa.PrimaryKeyConstraint("center_id", name="pk_alert_rules"),
        sa.CheckConstraint("consecutive_absences >= 1", name="ck_alert_rules_consecutive"),
        sa.CheckConstraint(
            "absence_rate_threshold > 0 AND absence_rate_threshold <= 100",
            name="ck_alert_rules_threshold",
        ),
        sa.CheckConstraint("min_records >= 0", name="ck_alert_rules_min_records"),
    )

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("center_id", sa.Integer(), nullable=True),
        # consecutive_absences: the training course whose latest records are the
        # absences (null: records of sessions without a course).
        sa.Column("training_course_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=True),
        sa.Column("last_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(15), nullable=False, server_default="open"),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.CheckConstraint(
            "kind IN ('consecutive_absences', 'absence_rate')", name="ck_alerts_kind"
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved')", name="ck_alerts_status"
        ),
    )
    # One unresolved alert per student and kind.
    op.create_index(
        "uq_alerts_student_kind_unresolved",
        "alerts",
        ["student_id", "kind"],
        unique=True,
        postgresql_where=sa.text("status <> 'resolved'"),
    )
    op.create_index("ix_alerts_center_status", "alerts", ["center_id", "status"])
    op.create_index("ix_alerts_group_status", "alerts", ["group_id", "status"])

    # Network roll-ups (records/network_stats): the names and the tree above the
    # records' group_id and center_id. 0001 builds center_copies from the current
    # column list (which has ``association``): only an older database lacks it.
    # Copies made before this revision lack the associations, the groups and the
    # centres' association until ``./dev rebuild-copies attendance`` replays the
    # stream.
    op.execute("ALTER TABLE center_copies ADD COLUMN IF NOT EXISTS association INTEGER")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_center_copies_association ON center_copies (association)"
    )
    associations.create(op)
    groups.create(op)


def downgrade() -> None:
    groups.drop(op)
    associations.drop(op)
    op.drop_index("ix_center_copies_association", table_name="center_copies")
    op.drop_column("center_copies", "association")
    op.drop_table("alerts")
    op.drop_table("alert_rules")
    op.drop_table("justifications")
    _scope_indexes(["status"])
    op.drop_column("attendance_records", "is_justified")
