"""The statements of absence justifications (issue 20): their list and rows, and
what an approval does to the records it covers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import fastread
from entraide_kit.copies.students import students
from entraide_kit.filters import Filter, ListQuery, ListSpec
from entraide_kit.pagination import PageParams

from .models import AttendanceRecord as R
from .models import Justification as J

S = students.table

JUSTIFICATION_LIST = ListSpec(
    search_fields=[col(J.reason), S.c.first_name, S.c.last_name],
    ordering_fields={
        "id": col(J.id),
        "created_at": col(J.created_at),
        "date_from": col(J.date_from),
        "date_to": col(J.date_to),
        "status": col(J.status),
        "student": col(J.student_id),
    },
    default_ordering=("-created_at",),
    filters={
        "status": Filter(col(J.status), choices={"pending", "approved", "rejected"}),
        "student": Filter(col(J.student_id), kind=int),
        "center": Filter(
            col(J.center_id), kind=int, description="The student's centre when filed."
        ),
        "group": Filter(col(J.group_id), kind=int, description="The student's group when filed."),
    },
    tiebreaker=col(J.id),
)


#: the longest range a justification covers, in days (both ends included; the
#: service refuses longer ones): what bounds ``approved_cover``'s index scan
MAX_DAYS = 60


def approved_cover(student_id: Any, date: Any) -> ColumnElement[bool]:
    """An approved justification of ``student_id`` covers ``date`` (a column, a
    parameter or a value): an EXISTS on the (student_id, date_from) index, read
    only over the justifications starting in the ``MAX_DAYS`` days up to
    ``date`` (the only ones that can cover it), whatever the student's history."""
    if isinstance(date, dt.date):
        # Computed by PostgreSQL (a Python date before 0001-03-01 would overflow).
        date = literal(date, Date)
    earliest = date - literal(MAX_DAYS - 1)
    return exists().where(
        col(J.student_id) == student_id,
        col(J.date_from) >= earliest,
        col(J.date_from) <= date,
        col(J.date_to) >= date,
        col(J.status) == "approved",
    )


def justifications_query() -> Select[Any]:
    """Justifications with their student's names from the copy (one query)."""
    return select(
        J,
        S.c.first_name.label("student_first_name"),
        S.c.last_name.label("student_last_name"),
    ).outerjoin(S, S.c.id == col(J.student_id))


async def page(
    session: AsyncSession, params: PageParams, stmt: Select[Any], query: ListQuery
) -> tuple[int, list[Any]]:
    """(count, a page of ``justifications_query()`` rows), the list's query applied."""
    return await fastread.page(session, JUSTIFICATION_LIST.apply(stmt, query), params)


async def get_row(session: AsyncSession, justification_id: int, *where: Any) -> Any:
    """A justification with its student's names, if ``where`` lets it be seen."""
    return await fastread.first(
        session, justifications_query().where(col(J.id) == justification_id, *where)
    )


async def lock(session: AsyncSession, justification_id: int, *where: Any) -> J | None:
    """The justification, locked until the transaction ends, if ``where`` (a scope on
    its own columns) lets it be seen."""
    stmt = select(J).where(col(J.id) == justification_id, *where).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def justify_absences(
    session: AsyncSession, student_id: int, date_from: dt.date, date_to: dt.date
) -> list[Any]:
    """Mark the student's unjustified absences from ``date_from`` to ``date_to`` as
    justified, in one UPDATE: each with a new version; the rows come back (for
    their events)."""
    result = await session.execute(
        update(R)
        .where(
            col(R.student_id) == student_id,
            col(R.date) >= date_from,
            col(R.date) <= date_to,
            col(R.status) == "absent",
            col(R.is_justified).is_(False),
        )
        .values(is_justified=True, version=col(R.version) + 1, updated_at=func.now())
        .returning(
            col(R.id),
            col(R.date),
            col(R.student_id),
            col(R.session_template_id),
            col(R.session_instance_id),
            col(R.status),
            col(R.group_id),
            col(R.trainer_id),
            col(R.center_id),
            col(R.is_justified),
            col(R.version),
        )
    )
    return list(result.all())
