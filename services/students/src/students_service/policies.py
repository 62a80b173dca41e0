"""Who sees and manages which students.

Admins: all. A centre supervisor: the students of the centres they supervise
(from the centres copy); creating one elsewhere, or moving one out, is a 403.
A trainer: their own student record, if any, and the students of the groups
they teach (the groups of their active weekly templates, from the schedule's
events; the web client's trainer pages, M6). Anybody else: their own student
record only (others are a 404).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlmodel import col

from entraide_kit.auth import Principal, Role
from entraide_kit.copies.centers import centers
from entraide_kit.errors import NotFound, PermissionDenied

from .copies import taught_groups
from .models import Student

MANAGERS = (Role.admin, Role.center_supervisor)


def supervised_centers(principal: Principal) -> Any:
    return select(centers.table.c.id).where(centers.table.c.supervisor == principal.id)


def scope(stmt: Select, principal: Principal) -> Select:
    if principal.role is Role.admin:
        return stmt
    if principal.role is Role.center_supervisor:
        return stmt.where(col(Student.center_id).in_(supervised_centers(principal)))
    if principal.role is Role.trainer:
        return stmt.where(
            or_(
                col(Student.user_id) == principal.id,
                col(Student.group_id).in_(taught_groups(principal.id)),
            )
        )
    return stmt.where(col(Student.user_id) == principal.id)


def can_manage(principal: Principal) -> None:
    if principal.role not in MANAGERS:
        raise PermissionDenied()


def can_read(
    principal: Principal, student: Any, center: Any, *, teaches_group: bool = False
) -> None:
    """``student``: a Student or a ``students_query()`` row (its ``user_id``);
    ``center``: the centre's copy row (its ``supervisor``), or None."""
    if principal.role is Role.admin:
        return
    if (
        principal.role is Role.center_supervisor
        and center is not None
        and center["supervisor"] == principal.id
    ):
        return
    if student.user_id == principal.id:
        return
    if principal.role is Role.trainer and teaches_group:
        return
    raise NotFound()


def can_write_into(principal: Principal, center: Any) -> None:
    """The centre a student is created in or moved to must be the supervisor's."""
    if principal.role is Role.admin:
        return
    if center is None or center["supervisor"] != principal.id:
        raise PermissionDenied("You can only manage the students of the centres you supervise.")
