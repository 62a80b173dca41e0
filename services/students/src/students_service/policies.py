"""Who sees and manages which students.

Admins: all. A centre supervisor: the students of the centres they supervise
(from the centres copy); creating one elsewhere, or moving one out, is a 403.
Anybody else: their own student record only (others are a 404).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlmodel import col

from entraide_kit.auth import Principal, Role
from entraide_kit.copies.centers import centers
from entraide_kit.errors import NotFound, PermissionDenied

from .models import Student

MANAGERS = (Role.admin, Role.center_supervisor)


def supervised_centers(principal: Principal) -> Any:
    return select(centers.table.c.id).where(centers.table.c.supervisor == principal.id)


def scope(stmt: Select, principal: Principal) -> Select:
    if principal.role is Role.admin:
        return stmt
    if principal.role is Role.center_supervisor:
        return stmt.where(col(Student.center_id).in_(supervised_centers(principal)))
    return stmt.where(col(Student.user_id) == principal.id)


def can_manage(principal: Principal) -> None:
    if principal.role not in MANAGERS:
        raise PermissionDenied()


def can_read(principal: Principal, student: Student, center: Any) -> None:
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
    raise NotFound()


def can_write_into(principal: Principal, center: Any) -> None:
    """The centre a student is created in or moved to must be the supervisor's."""
    if principal.role is Role.admin:
        return
    if center is None or center["supervisor"] != principal.id:
        raise PermissionDenied("You can only manage the students of the centres you supervise.")
