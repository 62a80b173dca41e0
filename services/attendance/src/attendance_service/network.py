"""Network roll-ups (issue 20): attendance per association, centre or group of
an academic year, for those above a centre. Reads only; one statement
(``network_repository``); also as .csv and .xlsx downloads (``exports.py``).

Who sees what:

- an admin: the whole network;
- an association supervisor: the associations they supervise, their centres
  and those centres' groups;
- a centre supervisor: the centres they supervise and their groups. The
  association level is refused them (403): an association's row stands for
  all its centres, and figures of only the centres they supervise under an
  association's name would read as the association's (their own centres'
  figures are the centre level);
- trainers and students: refused (the router's roles).

The academic year runs from 1 September to 31 August; ``start_date`` and
``end_date`` narrow it and must fall within it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.auth import Principal, Role
from entraide_kit.errors import PermissionDenied, ValidationFailed

from . import exports, network_repository
from .network_repository import Scope
from .network_schemas import Level, NetworkRow
from .schemas import rate

ROLES = (Role.admin, Role.association_supervisor, Role.center_supervisor)

COLUMNS = [
    "level",
    "id",
    "name",
    "parent",
    "students",
    "total_records",
    "present",
    "late",
    "absent",
    "justified_absences",
    "attendance_rate",
    "open_alerts",
]


def year_bounds(academic_year: str) -> tuple[dt.date, dt.date]:
    """``2024-2025`` -> 1 September 2024 to 31 August 2025."""
    first = int(academic_year[:4])
    return dt.date(first, 9, 1), dt.date(first + 1, 8, 31)


def period(
    academic_year: str, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The days counted: the academic year, narrowed by ``start`` and ``end``."""
    if not 1 <= int(academic_year[:4]) < 9999:  # dates have a year from 1 to 9999
        raise ValidationFailed({"academic_year": ["Enter an academic year after 0001."]})
    first, last = year_bounds(academic_year)
    errors: dict[str, list[str]] = {}
    outside = f"Must fall within the academic year {academic_year} ({first} to {last})."
    if start is not None and not first <= start <= last:
        errors["start_date"] = [outside]
    if end is not None and not first <= end <= last:
        errors["end_date"] = [outside]
    if start is not None and end is not None and end < start:
        errors.setdefault("end_date", []).append("The end date is before the start date.")
    if errors:
        raise ValidationFailed(errors)
    return start or first, end or last


def scope(actor: Principal, level: Level, *, association: int | None, center: int | None) -> Scope:
    """The centres this caller's roll-up counts (filters narrow it, never widen it)."""
    if actor.role is Role.admin:
        return Scope(association=association, center=center)
    if actor.role is Role.association_supervisor:
        return Scope(association_supervisor=actor.id, association=association, center=center)
    if actor.role is Role.center_supervisor:
        if level == "association":
            raise PermissionDenied(
                "Centre supervisors see the centre and group levels: an association's "
                "figures cover centres they do not supervise."
            )
        return Scope(center_supervisor=actor.id, association=association, center=center)
    raise PermissionDenied()


async def network_stats(
    session: AsyncSession,
    actor: Principal,
    *,
    level: Level,
    academic_year: str,
    start: dt.date | None,
    end: dt.date | None,
    association: int | None,
    center: int | None,
    format: str,
) -> list[NetworkRow] | exports.Download:
    """One row per unit at ``level`` in the caller's scope, by name; as a list (json)
    or a file to download (csv, xlsx)."""
    where = scope(actor, level, association=association, center=center)
    first, last = period(academic_year, start, end)
    rows = await network_repository.network_stats(
        session, level, where, year=academic_year, start=first, end=last
    )
    answer = [
        NetworkRow(
            level=level,
            id=r.id,
            name=r.name,
            parent=r.parent,
            students=r.students,
            total_records=r.total,
            present=r.present,
            late=r.late,
            absent=r.absent,
            justified_absences=r.justified,
            attendance_rate=rate(r.present, r.late, r.total),
            open_alerts=r.open_alerts,
        )
        for r in rows
    ]
    if format == "json":
        return answer
    table = [[getattr(row, name) for name in COLUMNS] for row in answer]
    return await exports.render(
        format,
        f"network-{level}-{academic_year}",
        COLUMNS,
        table,
        label_col=COLUMNS.index("name") + 1,
        rate_col=COLUMNS.index("attendance_rate") + 1,
        rtl_cols=set(),
    )
