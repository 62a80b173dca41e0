"""Who may do what in the programs service, and how lists are scoped.

Programmes, distributions, weekly plans and training courses: any
authenticated user reads, admins write.

Teachers: admins, centre supervisors and association supervisors read;
admins and centre supervisors create and update; admins delete. A centre
supervisor sees and manages the teachers of the centres they supervise only
(their centres: ``supervisor`` is them in the centres copy): another centre's
teacher is a 404 to read and a 403 to write into; moving a teacher needs the
right to both centres. A trainer reads their own teacher record only (the web
client's trainer pages start from it; any other is a 404).
``/teachers/{id}/courses/``: admins, centre supervisors (for their centres'
teachers) and trainers (the teachers of the centres they teach in: their
teacher record's and their training courses' centres).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit.auth import Principal, Role, require_roles
from entraide_kit.copies.centers import centers
from entraide_kit.errors import NotFound, PermissionDenied

from . import repository
from .models import Teacher

NOT_YOURS = "You can only manage the teachers of the centres you supervise."

TeacherReader = Annotated[
    Principal,
    Depends(
        require_roles(Role.admin, Role.center_supervisor, Role.association_supervisor, Role.trainer)
    ),
]
TeacherWriter = Annotated[Principal, Depends(require_roles(Role.admin, Role.center_supervisor))]
CourseOfTeacherReader = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.center_supervisor, Role.trainer))
]


def scope_teachers(stmt: Select, principal: Principal) -> Select:
    if principal.role is Role.center_supervisor:
        return stmt.where(col(Teacher.center_id).in_(repository.supervised_centers(principal.id)))
    if principal.role is Role.trainer:
        return stmt.where(col(Teacher.user_id) == principal.id)
    return stmt


async def supervises(session: AsyncSession, principal: Principal, center_id: int) -> bool:
    center = (await centers.by_ids(session, [center_id])).get(center_id)
    return center is not None and center["supervisor"] == principal.id


async def can_read_teacher(session: AsyncSession, principal: Principal, teacher: Any) -> None:
    """``teacher``: a Teacher or a (flat) row of it (its ``user_id`` and ``center_id``)."""
    if principal.role is Role.trainer and teacher.user_id != principal.id:
        raise NotFound()
    if principal.role is Role.center_supervisor and not await supervises(
        session, principal, teacher.center_id
    ):
        raise NotFound()


async def can_read_courses_of(session: AsyncSession, principal: Principal, teacher: Any) -> None:
    if principal.role is Role.trainer:
        if teacher.user_id != principal.id and teacher.center_id not in (
            await repository.centers_taught_by(session, principal.id)
        ):
            raise PermissionDenied(
                "A trainer can only see the courses of the teachers of the centres they teach in."
            )
        return
    await can_read_teacher(session, principal, teacher)


def can_write_in_center(principal: Principal, center: Any) -> None:
    """``center``: the centre's copy row a teacher is written into."""
    if principal.role is not Role.admin and center["supervisor"] != principal.id:
        raise PermissionDenied(NOT_YOURS)
