"""training programmes, distributions, weekly plans, courses, teachers, pending accounts;
copies of users, centres and groups; the kit's tables

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from entraide_kit.copies.centers import centers, groups
from entraide_kit.copies.users import create_user_copies
from entraide_kit.events.tables import create_kit_tables, drop_kit_tables
from entraide_kit.migrations import record_columns

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACADEMIC_YEAR = (
    "academic_year ~ '^[0-9]{4}-[0-9]{4}$' "
    "AND substr(academic_year, 6, 4)::int = substr(academic_year, 1, 4)::int + 1"
)


def upgrade() -> None:
    create_kit_tables(op)
    create_user_copies(op)
    centers.create(op)
    groups.create(op)

    op.create_table(
        "training_programs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("duration_years", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("logo", sa.String(500), nullable=True),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_training_programs"),
        sa.UniqueConstraint("name", name="uq_training_programs_name"),
        sa.CheckConstraint(
            "duration_years BETWEEN 1 AND 10", name="ck_training_programs_duration_years"
        ),
    )

    op.create_table(
        "annual_course_distributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("academic_year", sa.String(9), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=True),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_annual_course_distributions"),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["training_programs.id"],
            name="fk_annual_course_distributions_program_id_training_programs",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(ACADEMIC_YEAR, name="ck_annual_course_distributions_academic_year"),
    )
    for column in ("program_id", "academic_year", "trainer_id"):
        op.create_index(
            f"ix_annual_course_distributions_{column}", "annual_course_distributions", [column]
        )

    op.create_table(
        "weekly_course_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("annual_distribution_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("week_number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("trainer_id", sa.Integer(), nullable=True),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_weekly_course_plans"),
        sa.ForeignKeyConstraint(
            ["annual_distribution_id"],
            ["annual_course_distributions.id"],
            name="fk_weekly_course_plans_annual_distribution_id",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="ck_weekly_course_plans_month"),
        sa.CheckConstraint("week_number BETWEEN 1 AND 52", name="ck_weekly_course_plans_week"),
    )
    for column in ("annual_distribution_id", "trainer_id"):
        op.create_index(f"ix_weekly_course_plans_{column}", "weekly_course_plans", [column])

    op.create_table(
        "training_courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("academic_year", sa.String(9), nullable=False),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_training_courses"),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["training_programs.id"],
            name="fk_training_courses_program_id_training_programs",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(ACADEMIC_YEAR, name="ck_training_courses_academic_year"),
    )
    for column in ("program_id", "center_id", "trainer_id", "academic_year"):
        op.create_index(f"ix_training_courses_{column}", "training_courses", [column])

    op.create_table(
        "teachers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("contract_with", sa.String(20), nullable=False, server_default="entraide"),
        sa.Column("contract_start_date", sa.Date(), nullable=True),
        sa.Column("contract_end_date", sa.Date(), nullable=True),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_teachers"),
        sa.UniqueConstraint("user_id", name="uq_teachers_user_id"),
        # Deleting a programme keeps its teachers, without a programme.
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["training_programs.id"],
            name="fk_teachers_program_id_training_programs",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(
            "contract_with IN ('entraide', 'association')", name="ck_teachers_contract_with"
        ),
        sa.CheckConstraint(
            "contract_end_date IS NULL OR contract_start_date IS NULL "
            "OR contract_end_date >= contract_start_date",
            name="ck_teachers_contract_dates",
        ),
    )
    op.create_index("ix_teachers_center_id", "teachers", ["center_id"])
    op.create_index("ix_teachers_program_id", "teachers", ["program_id"])

    op.create_table(
        "teacher_groups",
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("teacher_id", "group_id", name="pk_teacher_groups"),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teachers.id"],
            name="fk_teacher_groups_teacher_id_teachers",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_teacher_groups_group_id", "teacher_groups", ["group_id"])

    op.create_table(
        "pending_accounts",
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("ref", name="pk_pending_accounts"),
    )


def downgrade() -> None:
    for table in (
        "pending_accounts",
        "teacher_groups",
        "teachers",
        "training_courses",
        "weekly_course_plans",
        "annual_course_distributions",
        "training_programs",
        "group_copies",
        "center_copies",
        "user_copies",
    ):
        op.drop_table(table)
    drop_kit_tables(op)
