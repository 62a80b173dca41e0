"""What the exams service publishes (what it consumes: ``handlers.py``).

Through the outbox, like every service (issue 19):

- ``entraide.exams.question.<id>``: id, training, week, type, question_text,
  options, points, added_by. Never the correct answer: integrations and other
  services may be read by students' tools.
- ``entraide.exams.exam.<id>``: id, title, exam_type, student (user id),
  training, status, score, total_points, created_by, completed_at, questions
  (ids, in order).
- ``entraide.exams.submission.<id>``: a student's answer to a question of an
  exam, as its result: id, exam, question, student (user id), points (None
  until graded), graded_by. Not the answer's text.

A deleted exam publishes its own deletion and those of its submissions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.events import Outbox

from .models import Exam, Question

OUTBOX = Outbox("exams")
QUESTION, EXAM, SUBMISSION = "question", "exam", "submission"


def question_snapshot(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "training": q.training_id,
        "week": q.week_id,
        "type": q.type,
        "question_text": q.question_text,
        "options": q.options,
        "points": q.points,
        "added_by": q.added_by,
    }


def exam_snapshot(exam: Exam, question_ids: Sequence[int]) -> dict[str, Any]:
    return {
        "id": exam.id,
        "title": exam.title,
        "exam_type": exam.exam_type,
        "student": exam.student_id,
        "training": exam.training_id,
        "status": exam.status,
        "score": exam.score,
        "total_points": exam.total_points,
        "created_by": exam.created_by,
        "completed_at": exam.completed_at.isoformat() if exam.completed_at else None,
        "questions": list(question_ids),
    }


def submission_snapshot(s: Any) -> dict[str, Any]:
    """``s``: a submission (the ORM's, or a row of its columns)."""
    return {
        "id": s.id,
        "exam": s.exam_id,
        "question": s.question_id,
        "student": s.student_id,
        "points": s.points,
        "graded_by": s.graded_by,
    }


async def question_changed(session: AsyncSession, q: Question) -> None:
    await OUTBOX.upsert(session, QUESTION, q.id or 0, q.version, question_snapshot(q))


async def question_deleted(session: AsyncSession, q: Question) -> None:
    await OUTBOX.delete(session, QUESTION, q.id or 0, q.version + 1)


async def exam_changed(session: AsyncSession, exam: Exam, question_ids: Sequence[int]) -> None:
    await OUTBOX.upsert(
        session, EXAM, exam.id or 0, exam.version, exam_snapshot(exam, question_ids)
    )


async def exam_deleted(session: AsyncSession, exam: Exam, submissions: Iterable[Any]) -> None:
    await OUTBOX.add(
        session,
        [
            OUTBOX.envelope(EXAM, exam.id or 0, exam.version + 1, None, "delete"),
            *(
                OUTBOX.envelope(SUBMISSION, s.id, s.version + 1, None, "delete")
                for s in submissions
            ),
        ],
    )


async def submissions_changed(session: AsyncSession, rows: Iterable[Any]) -> None:
    await OUTBOX.add(
        session,
        [
            OUTBOX.envelope(SUBMISSION, s.id, s.version, submission_snapshot(s), "upsert")
            for s in rows
        ],
    )
