"""HTTP endpoints of the exams service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy import select
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import CurrentUser, Principal, Role, require_roles
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
# Roles are checked before the body and the id are looked at (a 403 is a 403).
Staff = Annotated[Principal, Depends(require_roles(*STAFF))]
Writers = Annotated[Principal, Depends(require_roles(*WRITERS))]
Readers = Annotated[Principal, Depends(require_roles(*STAFF, Role.student))]
StudentOnly = Annotated[Principal, Depends(require_roles(Role.student))]


async def _exam_reads(session: SessionDep, rows: list[Any]) -> list[ExamRead]:
    ids = await repository.question_ids(session, [r[0].id for r in rows])
    return [views.exam(r, ids.get(r[0].id, [])) for r in rows]


async def exam_in_scope(actor: Readers, exam_id: int, session: SessionDep) -> Exam:
    """The exam if the caller may see it (404 otherwise)."""
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


async def question_in_scope(actor: Writers, question_id: int, session: SessionDep) -> Question:
    return await records.get_or_404(session, Question, question_id, for_update=True)


QuestionDep = Annotated[Question, Depends(question_in_scope)]


@router.get("/questions/", response_model=QuestionPage)
async def list_questions(
    actor: Writers, request: Request, session: SessionDep, page: PageDep, query: QuestionQuery
) -> dict[str, Any]:
    """The question bank (a trainer: the programmes they teach, and their own questions)."""
    stmt = repository.QUESTION_LIST.apply(
        select(Question).where(policies.question_scope(actor)), query
    )
    return await paginate(session, stmt, request=request, params=page, transform=views.question)


@router.post("/questions/", response_model=QuestionRead, status_code=status.HTTP_201_CREATED)
async def create_question(
    actor: Writers, request: Request, body: QuestionCreate, session: SessionDep
) -> QuestionRead:
    """Add a question to the bank."""
    return views.question(
        await service.save_question(session, request, actor, body.model_dump(), None)
    )


@router.get("/questions/{question_id}/", response_model=QuestionRead)
async def retrieve_question(actor: CurrentUser, question: QuestionDep) -> QuestionRead:
    """Retrieve a question (its author or an admin)."""
    policies.can_change_question(actor, question)
    return views.question(question)


@router.put("/questions/{question_id}/", response_model=QuestionRead)
async def update_question(
    actor: CurrentUser,
    request: Request,
    question: QuestionDep,
    body: QuestionCreate,
    session: SessionDep,
) -> QuestionRead:
    """Update a question (its author or an admin)."""
    policies.can_change_question(actor, question)
    return views.question(
        await service.save_question(session, request, actor, body.model_dump(), question)
    )


@router.patch("/questions/{question_id}/", response_model=QuestionRead)
async def partial_update_question(
    actor: CurrentUser,
    request: Request,
    question: QuestionDep,
    body: QuestionUpdate,
    session: SessionDep,
) -> QuestionRead:
    """Update a question partially (its author or an admin)."""
    policies.can_change_question(actor, question)
    changes = body.model_dump(exclude_unset=True)
    return views.question(await service.save_question(session, request, actor, changes, question))


@router.delete("/questions/{question_id}/", status_code=status.HTTP_204_NO_CONTENT)
async def delete_question(
    actor: CurrentUser, question: QuestionDep, session: SessionDep
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
    actor: Staff, request: Request, session: SessionDep, page: PageDep
) -> dict[str, Any]:
    """Scores of completed exams (supervisors: their centres'; trainers: their programmes')."""
    return await _results(request, session, actor, page)


@router.get("/results/my-results/", response_model=list[Result])
async def my_results(actor: StudentOnly, session: SessionDep) -> list[Result]:
    """The caller's own results (students)."""
    stmt = repository.exams_query().where(
        col(Exam.status) == "completed", col(Exam.student_id) == actor.id
    )
    rows = list(await session.execute(stmt.order_by(col(Exam.completed_at).desc())))
    earned = await repository.earned_points(session, [r[0].id for r in rows])
    return [views.result(r, earned.get(r[0].id, 0.0)) for r in rows]


# ------------------------------------------------------------------ exams


@router.get("/", response_model=ExamPage)
async def list_exams(
    actor: Staff, request: Request, session: SessionDep, page: PageDep, query: ExamQuery
) -> dict[str, Any]:
    """List exams (filters: status, exam_type, student, training)."""
    stmt = repository.EXAM_LIST.apply(
        repository.exams_query().where(policies.exam_scope(actor)), query
    )
    result = await paginate(session, stmt, request=request, params=page, scalars=False)
    result["results"] = await _exam_reads(session, result["results"])
    return result


@router.post("/", response_model=ExamDetail, status_code=status.HTTP_201_CREATED)
async def create_exam(
    actor: Writers, request: Request, body: ExamCreate, session: SessionDep
) -> ExamDetail:
    """Create an exam for a student from questions of its programme."""
    exam = await service.save_exam(session, request, actor, body, None)
    return await _detail(session, actor, exam)


@router.get("/{exam_id}/", response_model=ExamDetail)
async def retrieve_exam(actor: CurrentUser, exam: ExamDep, session: SessionDep) -> ExamDetail:
    """Retrieve an exam with its questions (a student: their own, published, without answers)."""
    return await _detail(session, actor, exam)


@router.put("/{exam_id}/", response_model=ExamDetail)
async def update_exam(
    actor: Writers, request: Request, exam: ExamDep, body: ExamPut, session: SessionDep
) -> ExamDetail:
    """Update an exam; status completed closes it and computes its score."""
    exam = await service.save_exam(session, request, actor, body, exam)
    return await _detail(session, actor, exam)


@router.delete("/{exam_id}/", status_code=status.HTTP_204_NO_CONTENT)
async def delete_exam(actor: Writers, exam: ExamDep, session: SessionDep) -> Response:
    """Delete an exam."""
    await policies.can_manage_program(session, actor, exam.training_id)
    await records.remove(session, exam)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{exam_id}/submit/", response_model=SubmitOut)
async def submit(
    actor: StudentOnly, exam: ExamDep, body: SubmitIn, session: SessionDep
) -> dict[str, int]:
    """Answer a published exam (a student, theirs). MCQ, TF, FIB and MA are graded at once."""
    return await service.submit(session, actor, exam, body)


@router.post("/{exam_id}/grade/", response_model=ExamDetail)
async def grade(actor: Writers, exam: ExamDep, body: GradeIn, session: SessionDep) -> ExamDetail:
    """Grade an answer that waits for a trainer (SA, LA)."""
    await service.grade(session, actor, exam, body)
    return await _detail(session, actor, exam)
