"""Every query of the exams service."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit.copies.programs import programs
from entraide_kit.copies.students import students
from entraide_kit.filters import Filter, ListSpec

from .models import Exam, ExamQuestion, Question, Submission

S = students.table
P = programs.table

EXAM_LIST = ListSpec(
    search_fields=[col(Exam.title), S.c.first_name, S.c.last_name, S.c.exam_id],
    ordering_fields={
        "id": col(Exam.id),
        "title": col(Exam.title),
        "exam_type": col(Exam.exam_type),
        "status": col(Exam.status),
        "score": col(Exam.score),
        "created_at": col(Exam.created_at),
        "updated_at": col(Exam.updated_at),
    },
    default_ordering=("-created_at",),
    filters={
        "status": Filter(col(Exam.status), choices={"draft", "published", "completed"}),
        "exam_type": Filter(
            col(Exam.exam_type),
            choices={"term1_theory", "term1_practical", "term2_theory", "term2_practical"},
        ),
        "student": Filter(col(Exam.student_id), kind=int),
        "training": Filter(col(Exam.training_id), kind=int),
    },
    tiebreaker=col(Exam.id),
)

QUESTION_LIST = ListSpec(
    search_fields=[col(Question.question_text)],
    ordering_fields={
        "id": col(Question.id),
        "type": col(Question.type),
        "points": col(Question.points),
        "created_at": col(Question.created_at),
    },
    default_ordering=("id",),
    filters={
        "training": Filter(col(Question.training_id), kind=int),
        "week": Filter(col(Question.week_id), kind=int),
        "type": Filter(col(Question.type), choices={"MCQ", "TF", "SA", "LA", "FIB", "MA"}),
        "added_by": Filter(col(Question.added_by), kind=int),
    },
    tiebreaker=col(Question.id),
)


def exams_query() -> Select:
    """Exams with their student's names and their programme's name (one query)."""
    return (
        select(
            Exam,
            S.c.first_name.label("first_name"),
            S.c.last_name.label("last_name"),
            S.c.exam_id.label("student_exam_id"),
            S.c.user.label("student_user"),
            P.c.name.label("training_name"),
        )
        .outerjoin(S, S.c.user == col(Exam.student_id))
        .outerjoin(P, P.c.id == col(Exam.training_id))
    )


async def get_exam(session: AsyncSession, exam_id: int, *, for_update: bool = False) -> Exam | None:
    stmt = select(Exam).where(col(Exam.id) == exam_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def exam_row(session: AsyncSession, exam_id: int) -> Any:
    return (await session.execute(exams_query().where(col(Exam.id) == exam_id))).first()


async def question_ids(session: AsyncSession, exam_ids: Sequence[int]) -> dict[int, list[int]]:
    """The questions of many exams in one query, in their order."""
    out: dict[int, list[int]] = defaultdict(list)
    if exam_ids:
        rows = await session.execute(
            select(col(ExamQuestion.exam_id), col(ExamQuestion.question_id))
            .where(col(ExamQuestion.exam_id).in_(exam_ids))
            .order_by(col(ExamQuestion.exam_id), col(ExamQuestion.position))
        )
        for exam_id, question_id in rows:
            out[exam_id].append(question_id)
    return out


async def questions_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Question]:
    if not ids:
        return {}
    rows = await session.execute(select(Question).where(col(Question.id).in_(ids)))
    return {q.id or 0: q for q in rows.scalars()}


async def set_questions(session: AsyncSession, exam_id: int, ids: Sequence[int]) -> None:
    """Make the exam's questions exactly ``ids``, in order; answers to questions that
    stay are kept (removing a question removes its answers)."""
    await session.execute(
        delete(ExamQuestion).where(
            col(ExamQuestion.exam_id) == exam_id, col(ExamQuestion.question_id).not_in(ids or [-1])
        )
    )
    if ids:
        stmt = insert(ExamQuestion).values(
            [{"exam_id": exam_id, "question_id": q, "position": i} for i, q in enumerate(ids)]
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["exam_id", "question_id"], set_={"position": stmt.excluded.position}
            )
        )


async def submissions_of(session: AsyncSession, exam_id: int) -> list[Submission]:
    rows = await session.execute(
        select(Submission)
        .where(col(Submission.exam_id) == exam_id)
        .order_by(col(Submission.question_id))
    )
    return list(rows.scalars())


async def upsert_answers(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    stmt = insert(Submission).values(rows)
    await session.execute(
        stmt.on_conflict_do_update(
            constraint="uq_submissions_student_exam_question",
            set_={
                "student_answer": stmt.excluded.student_answer,
                "points": stmt.excluded.points,
                "graded_by": None,
                "updated_at": func.now(),
            },
        )
    )


async def earned_points(session: AsyncSession, exam_ids: Sequence[int]) -> dict[int, float]:
    if not exam_ids:
        return {}
    rows = await session.execute(
        select(col(Submission.exam_id), func.coalesce(func.sum(col(Submission.points)), 0.0))
        .where(col(Submission.exam_id).in_(exam_ids))
        .group_by(col(Submission.exam_id))
    )
    return {r[0]: float(r[1] or 0.0) for r in rows}


async def ungraded(session: AsyncSession, exam_id: int) -> int:
    stmt = select(func.count()).where(
        col(Submission.exam_id) == exam_id, col(Submission.points).is_(None)
    )
    return int((await session.execute(stmt)).scalar_one())
