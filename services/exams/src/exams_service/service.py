"""Business rules of the exams service: every request's work, its answer
built once as the route's response model. Never commits (the request's
session does)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import Principal, Role
from entraide_kit.context import Context
from entraide_kit.copies import users
from entraide_kit.copies.programs import programs
from entraide_kit.db import flush_checked
from entraide_kit.errors import NotFound, PermissionDenied, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams, build_page

from . import answers, events, grading, policies, repository
from .copies import weekly_plans
from .lists import EXAM_LIST, QUESTION_LIST
from .models import Exam, Question
from .schemas import (
    ExamDetail,
    ExamPage,
    ExamPut,
    GradeIn,
    QuestionPage,
    QuestionRead,
    Result,
    ResultPage,
    SubmitIn,
    SubmitOut,
)

QUESTION_IN_USE = {
    "fk_exam_questions_question_id_questions": (
        "non_field_errors",
        "An exam uses this question.",
    )
}


def _invalid(field: str, pk: Any) -> list[str]:
    return [f'Invalid pk "{pk}" - object does not exist.']


async def check_training(
    session: AsyncSession, ctx: Context, training: int, week: int | None
) -> None:
    errors: dict[str, list[str]] = {}
    if await programs.get(session, training, ctx=ctx) is None:
        errors["training"] = _invalid("training", training)
    if week is not None:
        plan = await weekly_plans.get(session, week, ctx=ctx)
        if plan is None:
            errors["week"] = _invalid("week", week)
        elif plan["programe"] not in (None, training):
            errors["week"] = ["The weekly plan must be of the question's programme."]
    if errors:
        raise ValidationFailed(errors)


# ------------------------------------------------------------------ questions


async def list_questions(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> QuestionPage:
    """The question bank (a trainer: the programmes they teach, and their own questions)."""
    stmt = select(Question).where(policies.question_scope(actor))
    count, rows = await repository.read_page(session, params, stmt, QUESTION_LIST, query)
    return QuestionPage.model_construct(
        **build_page(ctx, params, count, [answers.question(q) for q in rows])
    )


async def get_question(session: AsyncSession, actor: Principal, question_id: int) -> QuestionRead:
    """A question, to its author or an admin."""
    question = await repository.question_row(session, question_id)
    if question is None:
        raise NotFound()
    policies.can_change_question(actor, question)
    return answers.question(question)


async def create_question(
    session: AsyncSession, ctx: Context, actor: Principal, body: BaseModel
) -> QuestionRead:
    return answers.question(await _save_question(session, ctx, actor, body.model_dump(), None))


async def question_for_write(session: AsyncSession, question_id: int) -> Question:
    """The question, locked (routers declare it as the path's dependency: a
    missing one is a 404 before the body is looked at)."""
    return await repository.questions.require(session, question_id, for_update=True)


async def update_question(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    question: Question,
    body: BaseModel,
    *,
    partial: bool,
) -> QuestionRead:
    """Its author or an admin; a partial update changes only the fields sent."""
    policies.can_change_question(actor, question)
    changes = body.model_dump(exclude_unset=partial)
    return answers.question(await _save_question(session, ctx, actor, changes, question))


async def delete_question(session: AsyncSession, actor: Principal, question_id: int) -> None:
    """Its author or an admin; not one an exam uses."""
    question = await question_for_write(session, question_id)
    policies.can_change_question(actor, question)
    await session.delete(question)
    await flush_checked(session, QUESTION_IN_USE)
    await events.question_deleted(session, question)


async def _save_question(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    changes: dict[str, Any],
    question: Question | None,
) -> Question:
    for name in ("training", "type", "question_text", "points"):
        if name in changes and changes[name] is None:
            raise ValidationFailed({name: ["This field may not be null."]})
    training = changes.get("training", question.training_id if question else None)
    week = changes.get("week", question.week_id if question else None)
    qtype = changes.get("type", question.type if question else None)
    options = changes.get("options", question.options if question else None)
    correct = changes.get("correct_answer", question.correct_answer if question else None)
    assert training is not None and qtype is not None
    await check_training(session, ctx, training, week)
    await policies.can_manage_program(session, actor, training)
    errors = grading.problems(qtype, options, correct)
    if errors:
        raise ValidationFailed(errors)
    values = {
        "training_id": training,
        "week_id": week,
        "type": qtype,
        "options": options,
        "correct_answer": correct,
    }
    if "question_text" in changes:
        values["question_text"] = changes["question_text"]
    if "points" in changes:
        values["points"] = changes["points"]
    if question is None:
        saved = await records.add(session, Question(**values, added_by=actor.id))
    else:
        saved = await records.save(session, question, values)
    await events.question_changed(session, saved)
    return saved


# ------------------------------------------------------------------ results


async def list_results(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams
) -> ResultPage:
    """Scores of completed exams (supervisors: their centres'; trainers: their programmes')."""
    stmt = repository.exams_query().where(
        col(Exam.status) == "completed", policies.exam_scope(actor)
    )
    stmt = stmt.order_by(col(Exam.completed_at).desc(), col(Exam.id))
    count, rows = await repository.read_page(session, params, stmt)
    earned = await repository.read_earned_points(session, [r.id for r in rows])
    results = [answers.result(r, earned.get(r.id, 0.0)) for r in rows]
    return ResultPage.model_construct(**build_page(ctx, params, count, results))


async def my_results(session: AsyncSession, actor: Principal) -> list[Result]:
    """The caller's own results (students)."""
    rows = await repository.completed_exams_of(session, actor.id)
    earned = await repository.read_earned_points(session, [r.id for r in rows])
    return [answers.result(r, earned.get(r.id, 0.0)) for r in rows]


# ------------------------------------------------------------------ exams


async def list_exams(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> ExamPage:
    stmt = repository.exams_query().where(policies.exam_scope(actor))
    count, rows = await repository.read_page(session, params, stmt, EXAM_LIST, query)
    ids = await repository.read_question_ids(session, [r.id for r in rows])
    results = [answers.exam(r, ids.get(r.id, [])) for r in rows]
    return ExamPage.model_construct(**build_page(ctx, params, count, results))


async def get_exam(session: AsyncSession, actor: Principal, exam_id: int) -> ExamDetail:
    """An exam with its questions (a student: their own, published, without answers)."""
    row = await repository.exam_row(session, exam_id, policies.exam_scope(actor))
    if row is None:
        raise NotFound()
    return await _detail(session, actor, row)


async def create_exam(
    session: AsyncSession, ctx: Context, actor: Principal, body: ExamPut
) -> ExamDetail:
    """An exam for a student from questions of its programme."""
    exam = await _save_exam(session, ctx, actor, body, None)
    return await _detail(session, actor, await repository.exam_row(session, exam.id or 0))


async def update_exam(
    session: AsyncSession, ctx: Context, actor: Principal, exam: Exam, body: ExamPut
) -> ExamDetail:
    """Status completed closes the exam (from ``exam_for_write``) and computes its score."""
    exam = await _save_exam(session, ctx, actor, body, exam)
    return await _detail(session, actor, await repository.exam_row(session, exam.id or 0))


async def delete_exam(session: AsyncSession, actor: Principal, exam_id: int) -> None:
    exam = await exam_for_write(session, actor, exam_id)
    await policies.can_manage_program(session, actor, exam.training_id)
    answered = await repository.submissions_of(session, exam.id or 0)
    await records.remove(session, exam)  # its submissions go with it (ON DELETE CASCADE)
    await events.exam_deleted(session, exam, answered)


async def exam_for_write(session: AsyncSession, actor: Principal, exam_id: int) -> Exam:
    """The exam, locked, if the caller may see it (404 otherwise). Routers
    declare it as the path's dependency of the writes with a body: a 404
    before the body is looked at."""
    exam = await repository.exam_for_update(session, exam_id, policies.exam_scope(actor))
    if exam is None:
        raise NotFound()
    return exam


async def _detail(session: AsyncSession, actor: Principal, row: Any) -> ExamDetail:
    """``row``: the exam's flat ``exams_query()`` row."""
    exam_id = row.id
    ids = (await repository.read_question_ids(session, [exam_id])).get(exam_id, [])
    questions = await repository.question_rows(session, ids)
    submissions = await repository.submission_rows(session, exam_id)
    return answers.exam_detail(
        row, ids, questions, submissions, for_student=actor.role is Role.student
    )


async def _student_user(session: AsyncSession, ctx: Context, user_id: int) -> None:
    user = await users.get_user(session, user_id, ctx=ctx)
    if user is None:
        raise ValidationFailed({"student": _invalid("student", user_id)})
    if user.role != "student":
        raise ValidationFailed(
            {"student": ["The exam's student must be a user with the role student."]}
        )


async def _save_exam(
    session: AsyncSession, ctx: Context, actor: Principal, data: ExamPut, exam: Exam | None
) -> Exam:
    await check_training(session, ctx, data.training, None)
    await policies.can_manage_program(session, actor, data.training)
    if exam is not None and exam.training_id != data.training:
        await policies.can_manage_program(session, actor, exam.training_id)
    await _student_user(session, ctx, data.student)
    ids = list(dict.fromkeys(data.questions))
    found = await repository.questions.by_ids(session, ids)
    errors = [f'Invalid pk "{q}" - object does not exist.' for q in ids if q not in found]
    errors += [
        f"Question {q} is not of the exam's programme."
        for q in ids
        if q in found and found[q].training_id != data.training
    ]
    if errors:
        raise ValidationFailed({"questions": errors})
    if exam is not None and exam.status == "completed" and data.status != "completed":
        raise ValidationFailed({"status": ["A completed exam cannot be reopened."]})
    if exam is not None and exam.status != "draft":
        current = (await repository.question_ids(session, [exam.id or 0])).get(exam.id or 0, [])
        if ids != current:
            raise ValidationFailed(
                {"questions": ["The questions cannot change once the exam is published."]}
            )
    values: dict[str, Any] = {
        "title": data.title or "",
        "exam_type": data.exam_type,
        "student_id": data.student,
        "training_id": data.training,
        "total_points": float(sum(found[q].points for q in ids)),
    }
    if exam is None:
        exam = await records.add(session, Exam(**values, status="draft", created_by=actor.id))
    else:
        exam = await records.save(session, exam, values)
    await repository.set_questions(session, exam.id or 0, ids)
    if data.status == "completed" and exam.status != "completed":
        await complete(session, exam)
    elif data.status != exam.status:
        exam = await records.save(session, exam, {"status": data.status})
    await events.exam_changed(session, exam, ids)
    return exam


async def complete(session: AsyncSession, exam: Exam) -> Exam:
    """Close the exam: every answer graded; score = earned / possible * 100."""
    waiting = await repository.ungraded(session, exam.id or 0)
    if waiting:
        raise ValidationFailed(
            {"status": [f"{waiting} answer(s) still wait for a trainer's grade."]}
        )
    earned = (await repository.earned_points(session, [exam.id or 0])).get(exam.id or 0, 0.0)
    return await records.save(
        session,
        exam,
        {
            "status": "completed",
            "score": grading.score(earned, exam.total_points),
            "completed_at": dt.datetime.now(dt.UTC),
        },
    )


async def submit(session: AsyncSession, actor: Principal, exam: Exam, body: SubmitIn) -> SubmitOut:
    """A student answers their published exam; answering again before it is completed replaces.
    MCQ, TF, FIB and MA are graded at once."""
    if actor.role is not Role.student or exam.student_id != actor.id:
        raise PermissionDenied("Only the exam's student can answer it.")
    if exam.status != "published":
        raise ValidationFailed({"non_field_errors": ["Only a published exam can be answered."]})
    ids = set((await repository.question_ids(session, [exam.id or 0])).get(exam.id or 0, []))
    questions = await repository.questions.by_ids(session, ids)
    unknown = [a.question for a in body.answers if a.question not in ids]
    if unknown:
        raise ValidationFailed({"answers": [f"Question {q} is not in this exam." for q in unknown]})
    rows = []
    for answer in {a.question: a for a in body.answers}.values():
        q = questions[answer.question]
        rows.append(
            {
                "exam_id": exam.id,
                "question_id": q.id,
                "student_id": actor.id,
                "student_answer": answer.answer,
                "points": grading.grade(q.type, q.correct_answer, answer.answer, q.points),
            }
        )
    saved = await repository.upsert_answers(session, rows)
    await events.submissions_changed(session, saved)
    graded = sum(1 for r in rows if r["points"] is not None)
    return SubmitOut(submitted=len(rows), graded=graded, waiting_for_grade=len(rows) - graded)


async def grade(session: AsyncSession, actor: Principal, exam: Exam, body: GradeIn) -> ExamDetail:
    """Grade an answer that waits for a trainer (SA, LA)."""
    await policies.can_manage_program(session, actor, exam.training_id)
    if exam.status == "completed":
        raise ValidationFailed({"non_field_errors": ["The exam is completed."]})
    question = await repository.questions.get(session, body.question)
    submission = next(
        (
            s
            for s in await repository.submissions_of(session, exam.id or 0)
            if s.question_id == body.question
        ),
        None,
    )
    if question is None or submission is None:
        raise NotFound("No answer to this question in this exam.")
    if body.points > question.points:
        raise ValidationFailed({"points": [f"At most {question.points} points for this question."]})
    submission.points = body.points
    submission.graded_by = actor.id
    submission.version += 1
    submission.updated_at = dt.datetime.now(dt.UTC)
    await session.flush()
    await events.submissions_changed(session, [submission])
    return await _detail(session, actor, await repository.exam_row(session, exam.id or 0))
