"""Who may do what in the centers service, and how lists are scoped.

Admins manage everything. A centre supervisor supervises the centres whose
``supervisor`` is them: they read those centres, and manage rooms, equipment
and groups inside them only. Anything of another centre is a 404 to read and
a 403 to write into. Associations: everybody reads, admins write.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit.auth import Principal, Role
from entraide_kit.errors import NotFound, PermissionDenied, ValidationFailed

from . import repository
from .models import Center


def supervised(principal: Principal) -> Any:
    """The ids of the centres this supervisor supervises, as a subquery."""
    return select(col(Center.id)).where(col(Center.supervisor_id) == principal.id)


def scope(stmt: Select[Any], principal: Principal, center_column: Any) -> Select[Any]:
    if principal.role is Role.admin:
        return stmt
    return stmt.where(center_column.in_(supervised(principal)))


def can_read_center(principal: Principal, center: Any) -> None:
    """``center``: a ``Center`` or a flat row of one (its ``supervisor_id``)."""
    if principal.role is not Role.admin and center.supervisor_id != principal.id:
        raise NotFound()


async def center_for_write(session: AsyncSession, principal: Principal, center_id: int) -> Center:
    """The centre a room, equipment or group is written into: it must exist and be theirs."""
    center = await repository.centers.get(session, center_id)
    if center is None:
        raise ValidationFailed({"center": [f'Invalid pk "{center_id}" - object does not exist.']})
    if principal.role is not Role.admin and center.supervisor_id != principal.id:
        raise PermissionDenied("You can only manage the centres you supervise.")
    return center


def can_read_in_center(principal: Principal, center: Center | None) -> None:
    """Reading a room, equipment or group: a supervisor sees those of their centres only."""
    if principal.role is Role.admin:
        return
    if center is None or center.supervisor_id != principal.id:
        raise NotFound()


def can_read_under(principal: Principal, center_supervisor_id: int | None) -> None:
    """Reading a room, equipment or group of a centre whose supervisor is
    ``center_supervisor_id`` (a read's flat row carries it)."""
    if principal.role is not Role.admin and center_supervisor_id != principal.id:
        raise NotFound()
