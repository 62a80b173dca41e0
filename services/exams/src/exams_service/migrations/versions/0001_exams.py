"""questions, exams, their questions, submissions; copies

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from entraide_kit.copies.centers import centers
from entraide_kit.copies.programs import courses, programs
from entraide_kit.copies.students import students
from entraide_kit.copies.users import create_user_copies
from entraide_kit.events.tables import create_kit_tables, drop_kit_tables
from entraide_kit.migrations import record_columns
from exams_service.copies import weekly_plans

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIES = (centers, programs, courses, students, weekly_plans)


def upgrade() -> None:
    create_kit_tables(op)
    create_user_copies(op)
    for copy in COPIES:
        copy.create(op)
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("week_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(3), nullable=False),
        sa.Column("question_text", sa.Text(), nullable=False),
        sa.Column("options", JSONB(), nullable=True),
        sa.Column("correct_answer", JSONB(), nullable=True),
        sa.Column("points", sa.Float(), nullable=False, server_default="1.0"),
        sa.Column("added_by", sa.Integer(), nullable=False),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_questions"),
        sa.CheckConstraint(
            "type IN ('MCQ', 'TF', 'SA', 'LA', 'FIB', 'MA')", name="ck_questions_type"
        ),
        sa.CheckConstraint("points > 0", name="ck_questions_points"),
    )
    op.create_index("ix_questions_training_id", "questions", ["training_id"])
    op.create_index("ix_questions_added_by", "questions", ["added_by"])
    op.create_table(
        "exams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(255), nullable=False, server_default=""),
        sa.Column("exam_type", sa.String(20), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="draft"),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("total_points", sa.Float(), nullable=False, server_default="0"),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        *record_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_exams"),
        sa.CheckConstraint(
            "exam_type IN ('term1_theory', 'term1_practical', 'term2_theory', 'term2_practical')",
            name="ck_exams_exam_type",
        ),
        sa.CheckConstraint("status IN ('draft', 'published', 'completed')", name="ck_exams_status"),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="ck_exams_score"),
    )
    op.create_index("ix_exams_student_id", "exams", ["student_id"])
    op.create_index("ix_exams_training_id", "exams", ["training_id"])
    op.create_table(
        "exam_questions",
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("exam_id", "question_id", name="pk_exam_questions"),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name="fk_exam_questions_exam_id_exams", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name="fk_exam_questions_question_id_questions",
            ondelete="RESTRICT",
        ),
    )
    op.create_index("ix_exam_questions_question_id", "exam_questions", ["question_id"])
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("student_answer", JSONB(), nullable=True),
        sa.Column("points", sa.Float(), nullable=True),
        sa.Column("graded_by", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
        sa.UniqueConstraint(
            "student_id", "exam_id", "question_id", name="uq_submissions_student_exam_question"
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name="fk_submissions_exam_id_exams", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["exam_id", "question_id"],
            ["exam_questions.exam_id", "exam_questions.question_id"],
            name="fk_submissions_exam_question",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_submissions_exam_id", "submissions", ["exam_id"])


def downgrade() -> None:
    for table in ("submissions", "exam_questions", "exams", "questions"):
        op.drop_table(table)
    for copy in reversed(COPIES):
        copy.drop(op)
    op.drop_table("user_copies")
    drop_kit_tables(op)
