"""Business rules of the exams service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit import records
from entraide_kit.auth import Principal, Role
from entraide_kit.copies import users
from entraide_kit.copies.programs import programs
from entraide_kit.errors import NotFound, PermissionDenied, ValidationFailed

from . import grading, policies, repository
from .copies import weekly_plans
from .models import Exam, Question
from .schemas import ExamPut, GradeIn, SubmitIn


def _invalid(field: str, pk: Any) -> list[str]:
    return [f'Invalid pk "{pk}" - object does not exist.']


async def check_training(
    session: AsyncSession, request: Request, training: int, week: int | None
) -> None:
    errors: dict[str, list[str]] = {}
    if await programs.get(session, training, request=request) is None:
        errors["training"] = _invalid("training", training)
    if week is not None:
        plan = await weekly_plans.get(session, week, request=request)
        if plan is None:
            errors["week"] = _invalid("week", week)
        elif plan["programe"] not in (None, training):
            errors["week"] = ["The weekly plan must be of the question's programme."]
    if errors:
        raise ValidationFailed(errors)


# ------------------------------------------------------------------ questions


async def save_question(
    session: AsyncSession,
    request: Request,
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
    await check_training(session, request, training, week)
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
        return await records.add(session, Question(**values, added_by=actor.id))
    return await records.save(session, question, values)


# ------------------------------------------------------------------ exams


async def _student_user(session: AsyncSession, request: Request, user_id: int) -> None:
    user = await users.get_user(session, user_id, request=request)
    if user is None:
        raise ValidationFailed({"student": _invalid("student", user_id)})
    if user.role != "student":
        raise ValidationFailed(
            {"student": ["The exam's student must be a user with the role student."]}
        )


async def save_exam(
    session: AsyncSession, request: Request, actor: Principal, data: ExamPut, exam: Exam | None
) -> Exam:
    await check_training(session, request, data.training, None)
    await policies.can_manage_program(session, actor, data.training)
    if exam is not None and exam.training_id != data.training:
        await policies.can_manage_program(session, actor, exam.training_id)
    await _student_user(session, request, data.student)
    ids = list(dict.fromkeys(data.questions))
    found = await repository.questions_by_ids(session, ids)
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


async def submit(
    session: AsyncSession, actor: Principal, exam: Exam, body: SubmitIn
) -> dict[str, int]:
    """A student answers their published exam; answering again before it is completed replaces."""
    if actor.role is not Role.student or exam.student_id != actor.id:
        raise PermissionDenied("Only the exam's student can answer it.")
    if exam.status != "published":
        raise ValidationFailed({"non_field_errors": ["Only a published exam can be answered."]})
    ids = set((await repository.question_ids(session, [exam.id or 0])).get(exam.id or 0, []))
    questions = await repository.questions_by_ids(session, list(ids))
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
    await repository.upsert_answers(session, rows)
    graded = sum(1 for r in rows if r["points"] is not None)
    return {"submitted": len(rows), "graded": graded, "waiting_for_grade": len(rows) - graded}


async def grade(session: AsyncSession, actor: Principal, exam: Exam, body: GradeIn) -> None:
    await policies.can_manage_program(session, actor, exam.training_id)
    if exam.status == "completed":
        raise ValidationFailed({"non_field_errors": ["The exam is completed."]})
    question = (await repository.questions_by_ids(session, [body.question])).get(body.question)
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
    submission.updated_at = dt.datetime.now(dt.UTC)
    await session.flush()
