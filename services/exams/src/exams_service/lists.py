"""What the exams service's lists filter on, search and order by (the routers
declare them as query parameters, the repository applies them)."""

from __future__ import annotations

from sqlmodel import col

from entraide_kit.copies.students import students
from entraide_kit.filters import Filter, ListSpec

from .models import Exam, Question

S = students.table

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
