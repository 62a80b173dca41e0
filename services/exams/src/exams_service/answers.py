"""Read shapes of exams, questions and results.

Rows are the repository's flat read rows (``fastread``: a record's columns
as attributes, beside the labels of its joins) or ORM records: both read the
same attributes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .schemas import (
    Answer,
    ExamDetail,
    ExamRead,
    QuestionForStudent,
    QuestionRead,
    Result,
    StudentInfo,
)


def question(q: Any) -> QuestionRead:
    return QuestionRead(
        id=q.id or 0,
        training=q.training_id,
        week=q.week_id,
        type=q.type,  # type: ignore[arg-type,unused-ignore]
        question_text=q.question_text,
        options=q.options,
        points=q.points,
        correct_answer=q.correct_answer,
        added_by=q.added_by,
        created_at=q.created_at,
        updated_at=q.updated_at,
    )


def question_for_student(q: Any) -> QuestionForStudent:
    return QuestionForStudent(
        id=q.id or 0,
        training=q.training_id,
        week=q.week_id,
        type=q.type,  # type: ignore[arg-type,unused-ignore]
        question_text=q.question_text,
        options=q.options,
        points=q.points,
    )


def _student(row: Any) -> StudentInfo | None:
    if row.student_user is None:
        return None
    return StudentInfo(
        id=row.student_user,
        first_name=row.first_name,
        last_name=row.last_name,
        exam_id=row.student_exam_id,
    )


def _exam_fields(e: Any, question_ids: Sequence[int]) -> dict[str, Any]:
    """``e``: a flat ``exams_query()`` row (the exam's columns and the names)."""
    return {
        "id": e.id,
        "title": e.title,
        "exam_type": e.exam_type,
        "student": e.student_id,
        "student_details": _student(e),
        "training": e.training_id,
        "training_name": e.training_name,
        "questions": list(question_ids),
        "status": e.status,
        "score": e.score,
        "total_points": e.total_points,
        "created_by": e.created_by,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def exam(row: Any, question_ids: Sequence[int]) -> ExamRead:
    return ExamRead(**_exam_fields(row, question_ids))


def exam_detail(
    row: Any,
    question_ids: Sequence[int],
    questions: dict[int, Any],
    submissions: Sequence[Any],
    *,
    for_student: bool,
) -> ExamDetail:
    ordered = [questions[q] for q in question_ids if q in questions]
    completed = row.status == "completed"
    details: list[Any] = [question_for_student(q) if for_student else question(q) for q in ordered]
    answers = [
        Answer(
            question=s.question_id,
            student_answer=s.student_answer,
            # A student learns their points when the exam is completed.
            points=s.points if (completed or not for_student) else None,
        )
        for s in submissions
    ]
    return ExamDetail(**_exam_fields(row, question_ids), question_details=details, answers=answers)


def result(e: Any, earned: float) -> Result:
    """``e``: a flat ``exams_query()`` row."""
    return Result(
        exam=e.id,
        title=e.title,
        exam_type=e.exam_type,
        student=e.student_id,
        student_details=_student(e),
        training=e.training_id,
        training_name=e.training_name,
        score=e.score,
        earned_points=earned,
        total_points=e.total_points,
        completed_at=e.completed_at,
    )
