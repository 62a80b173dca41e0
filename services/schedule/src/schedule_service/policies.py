"""Who may do what in the schedule service.

Anybody authenticated reads every template, instance and timetable through the
contract's endpoints. The web client's four weekly-template actions
(``trainers_by_center``, ``groups_by_center``, ``trainer_schedule``,
``group_schedule``) are scoped: an admin reads all, a centre supervisor their
centres' (another centre asked for is a 403), a trainer their own schedule
(another trainer's is a 403); association supervisors and students are refused
(the centres copy does not say which association a centre belongs to, so an
association supervisor's centres cannot be told).

Admins manage everything. A centre supervisor manages the schedules of the
centres they supervise (the centres copy: those whose ``supervisor`` is them); a
template's centre is its training course's. A trainer updates only the
instances they teach (their effective trainer), and of those only the status
and the notes, or cancels or reschedules them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.auth import Principal, Role
from entraide_kit.copies.centers import centers
from entraide_kit.errors import PermissionDenied

from . import repository
from .models import ScheduleSession, SessionInstance

OTHER_CENTRE = "You can only manage the schedules of the centres you supervise."
NOT_YOURS = "You can only update the sessions you teach."
TRAINER_FIELDS = frozenset({"status", "notes"})
NOT_YOUR_CENTRE = "You can only read the schedules of the centres you supervise."
NOT_YOUR_SCHEDULE = "You can only read your own schedule."


def supervised(principal: Principal) -> Any:
    """The ids of the centres this supervisor supervises, as a subquery."""
    return select(centers.table.c.id).where(centers.table.c.supervisor == principal.id)


def manager(principal: Principal) -> None:
    """Admins and centre supervisors only (which centres: ``center_for_write``)."""
    if principal.role not in (Role.admin, Role.center_supervisor):
        raise PermissionDenied()


async def center_for_write(
    session: AsyncSession, principal: Principal, center_id: int | None
) -> None:
    """A schedule written into (or out of) this centre must be the supervisor's."""
    manager(principal)
    if principal.role is Role.admin:
        return
    center = (await centers.by_ids(session, [center_id])).get(center_id) if center_id else None
    if center is None or center["supervisor"] != principal.id:
        raise PermissionDenied(OTHER_CENTRE)


def generation_scope(principal: Principal) -> Any | None:
    """Which templates a week is generated for: all for admins, their centres' for supervisors."""
    manager(principal)
    return None if principal.role is Role.admin else supervised(principal)


async def instance_for_write(
    session: AsyncSession,
    principal: Principal,
    instance: SessionInstance,
    template: ScheduleSession,
    fields: set[str] | None = None,
) -> None:
    """May this caller change this instance (``fields``: what a PUT/PATCH changes;
    None for cancel and reschedule)?"""
    if principal.role is Role.trainer:
        teacher = (
            instance.custom_trainer_id
            if instance.custom_trainer_id is not None
            else template.trainer_id
        )
        if teacher != principal.id:
            raise PermissionDenied(NOT_YOURS)
        if fields is not None and not fields <= TRAINER_FIELDS:
            raise PermissionDenied("A trainer may only change the status and notes of a session.")
        return
    await center_for_write(session, principal, template.center_id)


# ------------------------------------------------------------------ scoped reads


async def centers_for_read(
    session: AsyncSession, principal: Principal, center_ids: set[int]
) -> None:
    """A centre supervisor may read only the centres they supervise (one statement; none
    for an admin or when no centre is named)."""
    if principal.role is Role.admin or not center_ids:
        return
    found = await repository.center_supervisors(session, center_ids)
    if any(c not in found or found[c] != principal.id for c in center_ids):
        raise PermissionDenied(NOT_YOUR_CENTRE)


def read_scope(principal: Principal) -> Any | None:
    """The centres whose templates a caller of the scoped actions reads: all for
    admins (None), their centres' for supervisors, any for a trainer (whose reads are
    narrowed to their own templates instead)."""
    if principal.role is Role.center_supervisor:
        return supervised(principal)
    return None


def trainer_for_read(principal: Principal, trainer_id: int) -> None:
    if principal.role is Role.trainer and trainer_id != principal.id:
        raise PermissionDenied(NOT_YOUR_SCHEDULE)
