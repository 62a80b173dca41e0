"""Every statement of the exams service: one typed repository per table it
owns, and the reads with their joins beside them.

Reads that only build an answer (GET lists and details, the answer of a
write) run on asyncpg through ``entraide_kit.fastread``: their rows are flat
named tuples (an ``Exam`` in the statement reads as its columns, ``row.id``,
beside the labels, ``row.training_name``). Writes, and the reads before them,
keep the ORM."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import fastread
from entraide_kit.copies.programs import programs
from entraide_kit.copies.students import students
from entraide_kit.filters import ListQuery, ListSpec
from entraide_kit.pagination import PageParams
from entraide_kit.repository import Repository

from .models import Exam, ExamQuestion, Question, Submission

S = students.table
P = programs.table

exams = Repository(Exam)
questions = Repository(Question)
submissions = Repository(Submission)
# exam_questions has no id of its own (exam, question): its statements are below.


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


async def read_page(
    session: AsyncSession,
    params: PageParams,
    stmt: Select,
    spec: ListSpec | None = None,
    query: ListQuery | None = None,
) -> tuple[int, list[Any]]:
    """(count, the page's flat rows) of a list, its filters, search and ordering
    applied (when it has a spec), in one statement."""
    if spec is not None and query is not None:
        stmt = spec.apply(stmt, query)
    return await fastread.page(session, stmt, params)


async def exam_for_update(
    session: AsyncSession, exam_id: int, scope: ColumnElement[bool]
) -> Exam | None:
    """The exam if ``scope`` lets the caller see it, locked (read before a write)."""
    stmt = select(Exam).where(col(Exam.id) == exam_id, scope).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def exam_row(
    session: AsyncSession, exam_id: int, scope: ColumnElement[bool] | None = None
) -> Any:
    """One flat ``exams_query()`` row (None when ``scope`` hides it), no lock."""
    stmt = exams_query().where(col(Exam.id) == exam_id)
    if scope is not None:
        stmt = stmt.where(scope)
    return await fastread.first(session, stmt)


async def completed_exams_of(session: AsyncSession, student_id: int) -> list[Any]:
    """A student's completed exams (flat ``exams_query()`` rows), the latest first."""
    stmt = exams_query().where(col(Exam.status) == "completed", col(Exam.student_id) == student_id)
    return await fastread.rows(session, stmt.order_by(col(Exam.completed_at).desc()))


def _question_ids_query(exam_ids: Sequence[int]) -> Select:
    return (
        select(col(ExamQuestion.exam_id), col(ExamQuestion.question_id))
        .where(col(ExamQuestion.exam_id).in_(exam_ids))
        .order_by(col(ExamQuestion.exam_id), col(ExamQuestion.position))
    )


async def question_ids(session: AsyncSession, exam_ids: Sequence[int]) -> dict[int, list[int]]:
    """The questions of many exams in one query, in their order (before a write)."""
    out: dict[int, list[int]] = defaultdict(list)
    if exam_ids:
        for exam_id, question_id in await session.execute(_question_ids_query(exam_ids)):
            out[exam_id].append(question_id)
    return out


async def read_question_ids(session: AsyncSession, exam_ids: Sequence[int]) -> dict[int, list[int]]:
    """``question_ids`` for the answers (fastread)."""
    out: dict[int, list[int]] = defaultdict(list)
    if exam_ids:
        for exam_id, question_id in await fastread.rows(session, _question_ids_query(exam_ids)):
            out[exam_id].append(question_id)
    return out


async def question_row(session: AsyncSession, question_id: int) -> Any:
    """One question's flat row, or None (reads)."""
    return await fastread.first(session, select(Question).where(col(Question.id) == question_id))


async def question_rows(session: AsyncSession, ids: Sequence[int]) -> dict[int, Any]:
    """Many questions' flat rows by id, in one statement (reads)."""
    if not ids:
        return {}
    stmt = select(Question).where(col(Question.id).in_(set(ids)))
    return {r.id: r for r in await fastread.rows(session, stmt)}


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
    """An exam's answers, by question."""
    found = await submissions.children(
        session, col(Submission.exam_id), [exam_id], col(Submission.question_id)
    )
    return found.get(exam_id, [])


async def submission_rows(session: AsyncSession, exam_id: int) -> list[Any]:
    """An exam's answers as flat rows, by question (reads)."""
    stmt = (
        select(Submission)
        .where(col(Submission.exam_id) == exam_id)
        .order_by(col(Submission.question_id))
    )
    return await fastread.rows(session, stmt)


async def upsert_answers(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert or replace answers; the saved rows (their new versions) come back."""
    stmt = insert(Submission).values(rows)
    table = Submission.__table__  # type: ignore[attr-defined]
    result = await session.execute(
        stmt.on_conflict_do_update(
            constraint="uq_submissions_student_exam_question",
            set_={
                "student_answer": stmt.excluded.student_answer,
                "points": stmt.excluded.points,
                "graded_by": None,
                "version": table.c.version + 1,
                "updated_at": func.now(),
            },
        ).returning(
            table.c.id,
            table.c.exam_id,
            table.c.question_id,
            table.c.student_id,
            table.c.points,
            table.c.graded_by,
            table.c.version,
        )
    )
    return list(result.all())


def _earned_query(exam_ids: Sequence[int]) -> Select:
    return (
        select(col(Submission.exam_id), func.coalesce(func.sum(col(Submission.points)), 0.0))
        .where(col(Submission.exam_id).in_(exam_ids))
        .group_by(col(Submission.exam_id))
    )


async def earned_points(session: AsyncSession, exam_ids: Sequence[int]) -> dict[int, float]:
    """The points earned in many exams (before a write: closing one)."""
    if not exam_ids:
        return {}
    rows = await session.execute(_earned_query(exam_ids))
    return {r[0]: float(r[1] or 0.0) for r in rows}


async def read_earned_points(session: AsyncSession, exam_ids: Sequence[int]) -> dict[int, float]:
    """``earned_points`` for the answers (fastread)."""
    if not exam_ids:
        return {}
    rows = await fastread.rows(session, _earned_query(exam_ids))
    return {r[0]: float(r[1] or 0.0) for r in rows}


async def ungraded(session: AsyncSession, exam_id: int) -> int:
    stmt = select(func.count()).where(
        col(Submission.exam_id) == exam_id, col(Submission.points).is_(None)
    )
    return int((await session.execute(stmt)).scalar_one())
