"""Request and response shapes of the exams API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from entraide_kit.pagination import Page

QType = Literal["MCQ", "TF", "SA", "LA", "FIB", "MA"]
ExamType = Literal["term1_theory", "term1_practical", "term2_theory", "term2_practical"]
ExamStatus = Literal["draft", "published", "completed"]


class QuestionUpdate(BaseModel):
    training: int | None = None
    week: int | None = None
    type: QType | None = None
    question_text: Annotated[str, StringConstraints(min_length=1, max_length=10000)] | None = None
    options: list[Annotated[str, StringConstraints(max_length=1000)]] | None = None
    correct_answer: Any = None
    points: Annotated[float, Field(gt=0, le=1000)] | None = None


class QuestionCreate(QuestionUpdate):
    training: int
    type: QType
    question_text: Annotated[str, StringConstraints(min_length=1, max_length=10000)]
    points: Annotated[float, Field(gt=0, le=1000)] = 1.0


class QuestionForStudent(BaseModel):
    """What a student sees of a question: never the correct answer."""

    id: int
    training: int
    week: int | None
    type: QType
    question_text: str
    options: list[str] | None
    points: float


class QuestionRead(QuestionForStudent):
    correct_answer: Any
    added_by: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ExamPut(BaseModel):
    title: Annotated[str, StringConstraints(max_length=255, strip_whitespace=True)] | None = None
    exam_type: ExamType
    student: int
    training: int
    questions: list[int] = Field(default_factory=list, max_length=500)
    status: ExamStatus = "draft"


ExamCreate = ExamPut


class StudentInfo(BaseModel):
    id: int
    first_name: str
    last_name: str
    exam_id: str | None


class Answer(BaseModel):
    question: int
    student_answer: Any
    points: float | None


class ExamRead(BaseModel):
    id: int
    title: str
    exam_type: ExamType
    student: int
    student_details: StudentInfo | None
    training: int
    training_name: str | None
    questions: list[int]
    status: ExamStatus
    score: float | None
    total_points: float
    created_by: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ExamDetail(ExamRead):
    question_details: list[QuestionRead] | list[QuestionForStudent]
    answers: list[Answer]


ExamPage = Page[ExamRead]
QuestionPage = Page[QuestionRead]


class AnswerIn(BaseModel):
    question: int
    answer: Any


class SubmitIn(BaseModel):
    answers: Annotated[list[AnswerIn], Field(min_length=1, max_length=500)]


class SubmitOut(BaseModel):
    submitted: int
    graded: int
    waiting_for_grade: int


class GradeIn(BaseModel):
    question: int
    points: Annotated[float, Field(ge=0)]


class Result(BaseModel):
    exam: int
    title: str
    exam_type: ExamType
    student: int
    student_details: StudentInfo | None
    training: int
    training_name: str | None
    score: float | None
    earned_points: float
    total_points: float
    completed_at: dt.datetime | None


ResultPage = Page[Result]
