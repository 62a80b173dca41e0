"""courses, units, sections, lessons, practices, questions, options; copies

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from entraide_kit.copies.programs import courses, programs
from entraide_kit.events.tables import (
    create_kit_tables,
    create_outbox_subject_index,
    drop_kit_tables,
)
from entraide_kit.migrations import record_columns

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIES = (programs, courses)


def _parent(column: str, table: str) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey(f"{table}.id", ondelete="CASCADE", name=f"fk_{column}_{table}"),
        nullable=False,
    )


def upgrade() -> None:
    create_kit_tables(op)
    create_outbox_subject_index(op)
    for copy in COPIES:
        copy.create(op)
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("cover_image", sa.String(512), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("order", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("program_id", sa.Integer(), nullable=True),
        *record_columns(),
        sa.UniqueConstraint("name", name="uq_courses_name"),
        sa.CheckConstraint('"order" >= 0', name="ck_courses_order"),
    )
    op.create_index("ix_courses_program_id", "courses", ["program_id"])
    op.create_index("ix_courses_order_name", "courses", ["order", "name"])
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), primary_key=True),
        _parent("course_id", "courses"),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("order", sa.Integer(), nullable=False, server_default="0"),
        *record_columns(),
        sa.UniqueConstraint("course_id", "order", name="uq_units_course_order"),
        sa.CheckConstraint('"order" >= 0', name="ck_units_order"),
    )
    op.create_table(
        "sections",
        sa.Column("id", sa.Integer(), primary_key=True),
        _parent("unit_id", "units"),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("about", sa.Text(), nullable=False, server_default=""),
        sa.Column("order", sa.Integer(), nullable=False, server_default="0"),
        *record_columns(),
        sa.UniqueConstraint("unit_id", "order", name="uq_sections_unit_order"),
        sa.CheckConstraint('"order" >= 0', name="ck_sections_order"),
    )
    op.create_table(
        "lessons",
        sa.Column("id", sa.Integer(), primary_key=True),
        _parent("section_id", "sections"),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("lesson_type", sa.String(10), nullable=False),
        sa.Column("text_content", sa.Text(), nullable=False, server_default=""),
        sa.Column("video_url", sa.String(500), nullable=False, server_default=""),
        sa.Column("pdf_file", sa.String(512), nullable=True),
        sa.Column("external_url", sa.String(500), nullable=False, server_default=""),
        sa.Column("order", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        *record_columns(),
        sa.UniqueConstraint("section_id", "order", name="uq_lessons_section_order"),
        sa.CheckConstraint('"order" >= 0', name="ck_lessons_order"),
        sa.CheckConstraint(
            "lesson_type IN ('video', 'pdf', 'text', 'link')", name="ck_lessons_lesson_type"
        ),
        # The field a type needs is set, the others are empty.
        sa.CheckConstraint(
            "(lesson_type = 'video') = (video_url <> '')"
            " AND (lesson_type = 'pdf') = (pdf_file IS NOT NULL)"
            " AND (lesson_type = 'text') = (text_content <> '')"
            " AND (lesson_type = 'link') = (external_url <> '')",
            name="ck_lessons_content",
        ),
        sa.CheckConstraint(
            "duration_minutes IS NULL OR duration_minutes >= 0", name="ck_lessons_duration"
        ),
    )
    op.create_index("ix_lessons_lesson_type", "lessons", ["lesson_type"])
    op.create_table(
        "practices",
        sa.Column("id", sa.Integer(), primary_key=True),
        _parent("section_id", "sections"),
        sa.Column("instructions", sa.Text(), nullable=False, server_default=""),
        *record_columns(),
        sa.UniqueConstraint("section_id", name="uq_practices_section"),
    )
    op.create_table(
        "practice_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _parent("practice_id", "practices"),
        sa.Column("question_text", sa.Text(), nullable=False),
        sa.Column("question_type", sa.String(20), nullable=False, server_default="mcq"),
        sa.Column("points", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("order", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("explanation", sa.Text(), nullable=False, server_default=""),
        *record_columns(),
        sa.UniqueConstraint("practice_id", "order", name="uq_practice_questions_practice_order"),
        sa.CheckConstraint('"order" >= 0', name="ck_practice_questions_order"),
        sa.CheckConstraint("points >= 0", name="ck_practice_questions_points"),
        sa.CheckConstraint(
            "question_type IN ('mcq', 'true_false', 'short_answer')",
            name="ck_practice_questions_question_type",
        ),
    )
    op.create_table(
        "question_options",
        sa.Column("id", sa.Integer(), primary_key=True),
        _parent("question_id", "practice_questions"),
        sa.Column("option_text", sa.String(500), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("order", sa.Integer(), nullable=False, server_default="0"),
        *record_columns(),
        sa.UniqueConstraint("question_id", "order", name="uq_question_options_question_order"),
        sa.CheckConstraint('"order" >= 0', name="ck_question_options_order"),
    )


def downgrade() -> None:
    for table in (
        "question_options",
        "practice_questions",
        "practices",
        "lessons",
        "sections",
        "units",
        "courses",
    ):
        op.drop_table(table)
    for copy in reversed(COPIES):
        copy.drop(op)
    drop_kit_tables(op)
