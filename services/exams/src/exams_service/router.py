"""HTTP endpoints of the exams service: they declare what a request carries
and who may send it, call one service function and answer what it returns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from entraide_kit.answercache import cacheable
from entraide_kit.auth import Principal, Role, require_roles
from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageDep

from . import service
from .lists import EXAM_LIST, QUESTION_LIST
from .models import Exam, Question
from .schemas import (
    ExamCreate,
    ExamDetail,
    ExamPage,
    ExamPut,
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
ExamQuery = Annotated[ListQuery, Depends(EXAM_LIST.dependency())]
QuestionQuery = Annotated[ListQuery, Depends(QUESTION_LIST.dependency())]
STAFF = (Role.admin, Role.center_supervisor, Role.trainer)
WRITERS = (Role.admin, Role.trainer)
# Roles are checked before the body and the id are looked at (a 403 is a 403).
Staff = Annotated[Principal, Depends(require_roles(*STAFF))]
Writers = Annotated[Principal, Depends(require_roles(*WRITERS))]
Readers = Annotated[Principal, Depends(require_roles(*STAFF, Role.student))]
StudentOnly = Annotated[Principal, Depends(require_roles(Role.student))]
NO_CONTENT = status.HTTP_204_NO_CONTENT


# The record a write with a body changes is a dependency of its path: one out
# of reach is a 404 (or a 403 by role) before the body is looked at.
async def question_by_id(_: Writers, question_id: int, session: SessionDep) -> Question:
    return await service.question_for_write(session, question_id)


async def exam_by_id(actor: Readers, exam_id: int, session: SessionDep) -> Exam:
    return await service.exam_for_write(session, actor, exam_id)


QuestionDep = Annotated[Question, Depends(question_by_id)]
ExamDep = Annotated[Exam, Depends(exam_by_id)]


# ------------------------------------------------------------------ questions


@router.get("/questions/", response_model=QuestionPage)
@cacheable
async def list_questions(
    actor: Writers, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: QuestionQuery
) -> QuestionPage:
    """The question bank (a trainer: the programmes they teach, and their own questions)."""
    return await service.list_questions(session, ctx, actor, page, query)


@router.post("/questions/", response_model=QuestionRead, status_code=status.HTTP_201_CREATED)
async def create_question(
    actor: Writers, ctx: CtxDep, body: QuestionCreate, session: SessionDep
) -> QuestionRead:
    """Add a question to the bank."""
    return await service.create_question(session, ctx, actor, body)


@router.get("/questions/{question_id}/", response_model=QuestionRead)
@cacheable
async def retrieve_question(
    actor: Writers, question_id: int, session: ReadSessionDep
) -> QuestionRead:
    """Retrieve a question (its author or an admin)."""
    return await service.get_question(session, actor, question_id)


@router.put("/questions/{question_id}/", response_model=QuestionRead)
async def update_question(
    actor: Writers, ctx: CtxDep, question: QuestionDep, body: QuestionCreate, session: SessionDep
) -> QuestionRead:
    """Update a question (its author or an admin)."""
    return await service.update_question(session, ctx, actor, question, body, partial=False)


@router.patch("/questions/{question_id}/", response_model=QuestionRead)
async def partial_update_question(
    actor: Writers, ctx: CtxDep, question: QuestionDep, body: QuestionUpdate, session: SessionDep
) -> QuestionRead:
    """Update a question partially (its author or an admin)."""
    return await service.update_question(session, ctx, actor, question, body, partial=True)


@router.delete("/questions/{question_id}/", status_code=NO_CONTENT)
async def delete_question(actor: Writers, question_id: int, session: SessionDep) -> Response:
    """Delete a question (its author or an admin; not one an exam uses)."""
    await service.delete_question(session, actor, question_id)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ results


@router.get("/results/", response_model=ResultPage)
@cacheable
async def list_results(
    actor: Staff, ctx: CtxDep, session: ReadSessionDep, page: PageDep
) -> ResultPage:
    """Scores of completed exams (supervisors: their centres'; trainers: their programmes')."""
    return await service.list_results(session, ctx, actor, page)


@router.get("/results/my-results/", response_model=list[Result])
@cacheable
async def my_results(actor: StudentOnly, session: ReadSessionDep) -> list[Result]:
    """The caller's own results (students)."""
    return await service.my_results(session, actor)


# ------------------------------------------------------------------ exams


@router.get("/", response_model=ExamPage)
@cacheable
async def list_exams(
    actor: Staff, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: ExamQuery
) -> ExamPage:
    """List exams (filters: status, exam_type, student, training)."""
    return await service.list_exams(session, ctx, actor, page, query)


@router.post("/", response_model=ExamDetail, status_code=status.HTTP_201_CREATED)
async def create_exam(
    actor: Writers, ctx: CtxDep, body: ExamCreate, session: SessionDep
) -> ExamDetail:
    """Create an exam for a student from questions of its programme."""
    return await service.create_exam(session, ctx, actor, body)


@router.get("/{exam_id}/", response_model=ExamDetail)
@cacheable
async def retrieve_exam(actor: Readers, exam_id: int, session: ReadSessionDep) -> ExamDetail:
    """Retrieve an exam with its questions (a student: their own, published, without answers)."""
    return await service.get_exam(session, actor, exam_id)


@router.put("/{exam_id}/", response_model=ExamDetail)
async def update_exam(
    actor: Writers, ctx: CtxDep, exam: ExamDep, body: ExamPut, session: SessionDep
) -> ExamDetail:
    """Update an exam; status completed closes it and computes its score."""
    return await service.update_exam(session, ctx, actor, exam, body)


@router.delete("/{exam_id}/", status_code=NO_CONTENT)
async def delete_exam(actor: Writers, exam_id: int, session: SessionDep) -> Response:
    """Delete an exam."""
    await service.delete_exam(session, actor, exam_id)
    return Response(status_code=NO_CONTENT)


@router.post("/{exam_id}/submit/", response_model=SubmitOut)
async def submit(
    actor: StudentOnly, exam: ExamDep, body: SubmitIn, session: SessionDep
) -> SubmitOut:
    """Answer a published exam (a student, theirs). MCQ, TF, FIB and MA are graded at once."""
    return await service.submit(session, actor, exam, body)


@router.post("/{exam_id}/grade/", response_model=ExamDetail)
async def grade(actor: Writers, exam: ExamDep, body: GradeIn, session: SessionDep) -> ExamDetail:
    """Grade an answer that waits for a trainer (SA, LA)."""
    return await service.grade(session, actor, exam, body)
