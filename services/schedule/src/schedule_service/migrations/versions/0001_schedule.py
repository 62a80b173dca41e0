"""weekly templates (conflicts excluded by the database), session instances; copies

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from entraide_kit.copies.centers import centers, groups, rooms
from entraide_kit.copies.programs import courses
from entraide_kit.copies.users import create_user_copies
from entraide_kit.events.tables import create_kit_tables, drop_kit_tables
from entraide_kit.migrations import record_columns

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIES = (centers, rooms, groups, courses)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _exclude(name: str, column: str, where: str) -> None:
    # Two active templates of the same academic year and day whose [start, end)
    # overlap may not share this column: enforced here, so two concurrent
    # requests cannot both pass a check made before their inserts.
    op.execute(
        f"ALTER TABLE schedule_sessions ADD CONSTRAINT {name} EXCLUDE USING gist "
        f"({column} WITH =, academic_year WITH =, day WITH =, span WITH &&) WHERE ({where})"
    )


def upgrade() -> None:
    create_kit_tables(op)
    create_user_copies(op)
    for copy in COPIES:
        copy.create(op)
    # Equality on integers and text inside a GiST index (the exclusion constraints).
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")

    days = ", ".join(f"'{d}'" for d in DAYS)
    op.create_table(
        "schedule_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(9), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("academic_year", sa.String(9), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("training_course_id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=True),
        # Seconds of the day, [start, end): touching end-to-start does not overlap.
        sa.Column(
            "span",
            sa.dialects.postgresql.INT4RANGE(),
            sa.Computed(
                "int4range(extract(epoch FROM start_time)::int, "
                "extract(epoch FROM end_time)::int, '[)')",
                persisted=True,
            ),
            nullable=True,
        ),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_sessions"),
        sa.CheckConstraint(f"day IN ({days})", name="ck_schedule_sessions_day"),
        sa.CheckConstraint("end_time > start_time", name="ck_schedule_sessions_times"),
        sa.CheckConstraint(
            "academic_year ~ '^[0-9]{4}-[0-9]{4}$'", name="ck_schedule_sessions_academic_year"
        ),
    )
    _exclude("ex_schedule_sessions_trainer", "trainer_id", "is_active")
    _exclude("ex_schedule_sessions_room", "room_id", "is_active AND room_id IS NOT NULL")
    _exclude("ex_schedule_sessions_group", "group_id", "is_active AND group_id IS NOT NULL")
    for column in ("trainer_id", "room_id", "group_id", "training_course_id", "center_id"):
        op.create_index(f"ix_schedule_sessions_{column}", "schedule_sessions", [column])

    op.create_table(
        "session_instances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_template_id", sa.Integer(), nullable=False),
        sa.Column("specific_date", sa.Date(), nullable=False),
        sa.Column("custom_start_time", sa.Time(), nullable=True),
        sa.Column("custom_end_time", sa.Time(), nullable=True),
        sa.Column("custom_room_id", sa.Integer(), nullable=True),
        sa.Column("custom_trainer_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False, server_default="scheduled"),
        sa.Column("notes", sa.Text(), nullable=False, server_default=""),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_session_instances"),
        sa.ForeignKeyConstraint(
            ["schedule_template_id"],
            ["schedule_sessions.id"],
            name="fk_session_instances_schedule_template_id_schedule_sessions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "schedule_template_id", "specific_date", name="uq_session_instances_template_date"
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'cancelled', 'completed', 'rescheduled')",
            name="ck_session_instances_status",
        ),
    )
    op.create_index("ix_session_instances_specific_date", "session_instances", ["specific_date"])
    op.create_index(
        "ix_session_instances_custom_trainer_id", "session_instances", ["custom_trainer_id"]
    )
    op.create_index("ix_session_instances_custom_room_id", "session_instances", ["custom_room_id"])


def downgrade() -> None:
    op.drop_table("session_instances")
    op.drop_table("schedule_sessions")
    for copy in reversed(COPIES):
        copy.drop(op)
    op.drop_table("user_copies")
    drop_kit_tables(op)
