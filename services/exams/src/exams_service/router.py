"""HTTP endpoints of the exams service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy import select
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import CurrentUser, Role
from entraide_kit.db import SessionDep, flush_checked
from entraide_kit.errors import NotFound
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageDep, paginate

from . import policies, repository, service, views
from .models import Exam, Question
from .schemas import (
    ExamCreate,
    ExamDetail,
    ExamPage,
    ExamPut,
    ExamRead,
    GradeIn,
    QuestionCreate,
    QuestionPage,
    QuestionRead,
    QuestionUpdate,
    Result,
    ResultPage,
    SubmitIn,
    SubmitOut,
)

router = APIRouter(prefix="/api/exams", tags=["exams"])
ExamQuery = Annotated[ListQuery, Depends(repository.EXAM_LIST.dependency())]
QuestionQuery = Annotated[ListQuery, Depends(repository.QUESTION_LIST.dependency())]
STAFF = (Role.admin, Role.center_supervisor, Role.trainer)
WRITERS = (Role.admin, Role.trainer)


async def _exam_reads(session: SessionDep, rows: list[Any]) -> list[ExamRead]:
    ids = await repository.question_ids(session, [r[0].id for r in rows])
    return [views.exam(r, ids.get(r[0].id, [])) for r in rows]


async def exam_in_scope(exam_id: int, session: SessionDep, actor: CurrentUser) -> Exam:
    """The exam if the caller may see it (404 otherwise)."""
    policies.require(actor, *STAFF, Role.student)
    stmt = repository.exams_query().where(col(Exam.id) == exam_id, policies.exam_scope(actor))
    if (await session.execute(stmt)).first() is None:
        raise NotFound()
    found = await repository.get_exam(session, exam_id, for_update=True)
    if found is None:
        raise NotFound()
    return found


ExamDep = Annotated[Exam, Depends(exam_in_scope)]


async def _detail(session: SessionDep, actor: CurrentUser, exam: Exam) -> ExamDetail:
    row = await repository.exam_row(session, exam.id or 0)
    ids = (await repository.question_ids(session, [exam.id or 0])).get(exam.id or 0, [])
    questions = await repository.questions_by_ids(session, ids)
    submissions = await repository.submissions_of(session, exam.id or 0)
    return views.exam_detail(
        row, ids, questions, submissions, for_student=actor.role is Role.student
    )


# ------------------------------------------------------------------ questions


async def question_in_scope(question_id: int, session: SessionDep, actor: CurrentUser) -> Question:
    policies.require(actor, *WRITERS)
    found = await records.get(session, Question, question_id, for_update=True)
    if found is None:
        raise NotFound()
    return found


QuestionDep = Annotated[Question, Depends(question_in_scope)]


@router.get("/questions/", response_model=QuestionPage)
async def list_questions(
    request: Request, session: SessionDep, actor: CurrentUser, page: PageDep, query: QuestionQuery
) -> dict[str, Any]:
    """The question bank (a trainer: the programmes they teach, and their own questions)."""
    policies.require(actor, *WRITERS)
    stmt = repository.QUESTION_LIST.apply(
        select(Question).where(policies.question_scope(actor)), query
    )
    return await paginate(session, stmt, request=request, params=page, transform=views.question)


@router.post("/questions/", response_model=QuestionRead, status_code=status.HTTP_201_CREATED)
async def create_question(
    request: Request, body: QuestionCreate, session: SessionDep, actor: CurrentUser
) -> QuestionRead:
    """Add a question to the bank."""
    policies.require(actor, *WRITERS)
    return views.question(
        await service.save_question(session, request, actor, body.model_dump(), None)
    )


@router.get("/questions/{question_id}/", response_model=QuestionRead)
async def retrieve_question(question: QuestionDep, actor: CurrentUser) -> QuestionRead:
    """Retrieve a question (its author or an admin)."""
    policies.can_change_question(actor, question)
    return views.question(question)


@router.put("/questions/{question_id}/", response_model=QuestionRead)
async def update_question(
    request: Request,
    question: QuestionDep,
    body: QuestionCreate,
    session: SessionDep,
    actor: CurrentUser,
) -> QuestionRead:
    """Update a question (its author or an admin)."""
    policies.can_change_question(actor, question)
    return views.question(
        await service.save_question(session, request, actor, body.model_dump(), question)
    )


@router.patch("/questions/{question_id}/", response_model=QuestionRead)
async def partial_update_question(
    request: Request,
    question: QuestionDep,
    body: QuestionUpdate,
    session: SessionDep,
    actor: CurrentUser,
) -> QuestionRead:
    """Update a question partially (its author or an admin)."""
    policies.can_change_question(actor, question)
    changes = body.model_dump(exclude_unset=True)
    return views.question(await service.save_question(session, request, actor, changes, question))


@router.delete("/questions/{question_id}/", status_code=status.HTTP_204_NO_CONTENT)
async def delete_question(
    question: QuestionDep, session: SessionDep, actor: CurrentUser
) -> Response:
    """Delete a question (its author or an admin; not one an exam uses)."""
    policies.can_change_question(actor, question)
    await session.delete(question)
    await flush_checked(
        session,
        {
            "fk_exam_questions_question_id_questions": (
                "non_field_errors",
                "An exam uses this question.",
            )
        },
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ------------------------------------------------------------------ results


async def _results(
    request: Request, session: SessionDep, actor: CurrentUser, page: PageDep
) -> dict[str, Any]:
    stmt = repository.exams_query().where(
        col(Exam.status) == "completed", policies.exam_scope(actor)
    )
    stmt = stmt.order_by(col(Exam.completed_at).desc(), col(Exam.id))
    result = await paginate(session, stmt, request=request, params=page, scalars=False)
    rows = result["results"]
    earned = await repository.earned_points(session, [r[0].id for r in rows])
    result["results"] = [views.result(r, earned.get(r[0].id, 0.0)) for r in rows]
    return result


@router.get("/results/", response_model=ResultPage)
async def list_results(
    request: Request, session: SessionDep, actor: CurrentUser, page: PageDep
) -> dict[str, Any]:
    """Scores of completed exams (supervisors: their centres'; trainers: their programmes')."""
    policies.require(actor, *STAFF)
    return await _results(request, session, actor, page)


@router.get("/results/my-results/", response_model=list[Result])
async def my_results(session: SessionDep, actor: CurrentUser) -> list[Result]:
    """The caller's own results (students)."""
    policies.require(actor, Role.student)
    stmt = repository.exams_query().where(
        col(Exam.status) == "completed", col(Exam.student_id) == actor.id
    )
    rows = list(await session.execute(stmt.order_by(col(Exam.completed_at).desc())))
    earned = await repository.earned_points(session, [r[0].id for r in rows])
    return [views.result(r, earned.get(r[0].id, 0.0)) for r in rows]


# ------------------------------------------------------------------ exams


@router.get("/", response_model=ExamPage)
async def list_exams(
    request: Request, session: SessionDep, actor: CurrentUser, page: PageDep, query: ExamQuery
) -> dict[str, Any]:
    """List exams (filters: status, exam_type, student, training)."""
    policies.require(actor, *STAFF)
    stmt = repository.EXAM_LIST.apply(
        repository.exams_query().where(policies.exam_scope(actor)), query
    )
    result = await paginate(session, stmt, request=request, params=page, scalars=False)
    result["results"] = await _exam_reads(session, result["results"])
    return result


@router.post("/", response_model=ExamDetail, status_code=status.HTTP_201_CREATED)
async def create_exam(
    request: Request, body: ExamCreate, session: SessionDep, actor: CurrentUser
) -> ExamDetail:
    """Create an exam for a student from questions of its programme."""
    policies.require(actor, *WRITERS)
    exam = await service.save_exam(session, request, actor, body, None)
    return await _detail(session, actor, exam)


@router.get("/{exam_id}/", response_model=ExamDetail)
async def retrieve_exam(exam: ExamDep, session: SessionDep, actor: CurrentUser) -> ExamDetail:
    """Retrieve an exam with its questions (a student: their own, published, without answers)."""
    return await _detail(session, actor, exam)


@router.put("/{exam_id}/", response_model=ExamDetail)
async def update_exam(
    request: Request, exam: ExamDep, body: ExamPut, session: SessionDep, actor: CurrentUser
) -> ExamDetail:
    """Update an exam; status completed closes it and computes its score."""
    policies.require(actor, *WRITERS)
    exam = await service.save_exam(session, request, actor, body, exam)
    return await _detail(session, actor, exam)


@router.delete("/{exam_id}/", status_code=status.HTTP_204_NO_CONTENT)
async def delete_exam(exam: ExamDep, session: SessionDep, actor: CurrentUser) -> Response:
    """Delete an exam."""
    policies.require(actor, *WRITERS)
    await policies.can_manage_program(session, actor, exam.training_id)
    await records.remove(session, exam)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{exam_id}/submit/", response_model=SubmitOut)
async def submit(
    exam: ExamDep, body: SubmitIn, session: SessionDep, actor: CurrentUser
) -> dict[str, int]:
    """Answer a published exam (a student, theirs). MCQ, TF, FIB and MA are graded at once."""
    return await service.submit(session, actor, exam, body)


@router.post("/{exam_id}/grade/", response_model=ExamDetail)
async def grade(
    exam: ExamDep, body: GradeIn, session: SessionDep, actor: CurrentUser
) -> ExamDetail:
    """Grade an answer that waits for a trainer (SA, LA)."""
    policies.require(actor, *WRITERS)
    await service.grade(session, actor, exam, body)
    return await _detail(session, actor, exam)
