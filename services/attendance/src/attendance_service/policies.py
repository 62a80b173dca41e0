"""Who records and reads which attendance.

Admins: everything. A centre supervisor: within the centres they supervise.
A trainer: for the sessions they teach (the effective trainer). A student:
reads their own records only. Lists are scoped the same way. Absence
justifications: ``justification_scope`` (a trainer reads those of the groups
they teach).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select, true, union
from sqlmodel import col

from entraide_kit.auth import Principal, Role
from entraide_kit.copies.centers import centers
from entraide_kit.copies.students import students
from entraide_kit.errors import PermissionDenied

from .copies import instances, sessions
from .models import AttendanceRecord as R
from .models import Justification

STAFF = (Role.admin, Role.center_supervisor, Role.trainer)


def supervised(principal: Principal) -> Any:
    return select(centers.table.c.id).where(centers.table.c.supervisor == principal.id)


def own_students(principal: Principal) -> Any:
    return select(students.table.c.id).where(students.table.c.user == principal.id)


def scope(principal: Principal) -> ColumnElement[bool]:
    """The records this caller may read."""
    if principal.role is Role.admin:
        return true()
    if principal.role is Role.center_supervisor:
        return col(R.center_id).in_(supervised(principal))
    if principal.role is Role.trainer:
        return col(R.trainer_id) == principal.id
    return col(R.student_id).in_(own_students(principal))


def staff_only(principal: Principal) -> None:
    if principal.role not in STAFF:
        raise PermissionDenied()


def can_record(principal: Principal, *, trainer: int | None, center: Any) -> None:
    """Writing attendance for a session: its trainer, its centre's supervisor, or an admin."""
    if principal.role is Role.admin:
        return
    if principal.role is Role.trainer and trainer == principal.id:
        return
    if (
        principal.role is Role.center_supervisor
        and center is not None
        and center["supervisor"] == principal.id
    ):
        return
    raise PermissionDenied(
        "You can only record attendance for the sessions you teach or supervise."
    )


def taught_groups(principal: Principal) -> Any:
    """The groups of the sessions a trainer teaches: their weekly templates', and the
    instances given to them."""
    return union(
        select(sessions.table.c.group).where(sessions.table.c.trainer == principal.id),
        select(instances.table.c.group).where(instances.table.c.effective_trainer == principal.id),
    )


def justification_scope(principal: Principal) -> ColumnElement[bool]:
    """The absence justifications this caller may read: a student their own, a
    trainer those of the students of their sessions' groups, a centre supervisor
    those of their centres, an admin all (by the student's centre and group when
    filed)."""
    if principal.role is Role.admin:
        return true()
    if principal.role is Role.center_supervisor:
        return col(Justification.center_id).in_(supervised(principal))
    if principal.role is Role.trainer:
        return col(Justification.group_id).in_(taught_groups(principal))
    if principal.role is Role.student:
        return col(Justification.student_id).in_(own_students(principal))
    return false()
