"""Who sees and manages which exams and questions.

Admins: everything. Trainers: the exams and questions of the programmes they
teach (a training course of theirs), and questions they wrote. Centre
supervisors: read the exams of the students of their centres. Students: their
own exams once published, never the correct answers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit.auth import Principal, Role
from entraide_kit.copies.centers import centers
from entraide_kit.copies.programs import courses
from entraide_kit.copies.students import students
from entraide_kit.errors import NotFound, PermissionDenied

from .models import Exam, Question


def taught_programs(principal: Principal) -> Any:
    return select(courses.table.c.program).where(courses.table.c.trainer == principal.id)


def supervised_students(principal: Principal) -> Any:
    supervised = select(centers.table.c.id).where(centers.table.c.supervisor == principal.id)
    return select(students.table.c.user).where(students.table.c.center.in_(supervised))


def exam_scope(principal: Principal) -> ColumnElement[bool]:
    if principal.role is Role.admin:
        return true()
    if principal.role is Role.trainer:
        return or_(
            col(Exam.training_id).in_(taught_programs(principal)),
            col(Exam.created_by) == principal.id,
        )
    if principal.role is Role.center_supervisor:
        return col(Exam.student_id).in_(supervised_students(principal))
    if principal.role is Role.student:
        return (col(Exam.student_id) == principal.id) & (col(Exam.status) != "draft")
    return col(Exam.id).is_(None)


def question_scope(principal: Principal) -> ColumnElement[bool]:
    if principal.role is Role.admin:
        return true()
    return or_(
        col(Question.training_id).in_(taught_programs(principal)),
        col(Question.added_by) == principal.id,
    )


def require(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise PermissionDenied()


async def can_manage_program(session: AsyncSession, principal: Principal, program_id: int) -> None:
    """Writing an exam (or question) of a programme: admins, and the trainers who teach it."""
    if principal.role is Role.admin:
        return
    if principal.role is Role.trainer:
        found = await session.execute(
            select(courses.table.c.id)
            .where(courses.table.c.trainer == principal.id, courses.table.c.program == program_id)
            .limit(1)
        )
        if found.first() is not None:
            return
    raise PermissionDenied("You can only manage the exams of the programmes you teach.")


def can_change_question(principal: Principal, question: Any) -> None:
    """``question``: a ``Question`` or a flat row of one (its ``added_by``)."""
    if principal.role is Role.admin or question.added_by == principal.id:
        return
    raise PermissionDenied("Only the question's author or an admin can change it.")


def hidden(found: bool) -> None:
    if not found:
        raise NotFound()
