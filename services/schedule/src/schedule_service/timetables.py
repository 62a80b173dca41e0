"""Timetables (a trainer's or a group's sessions between two dates, as JSON or as
an iCalendar feed) and the weekly summary: reads only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.context import Context
from entraide_kit.copies.users import UserCopy
from entraide_kit.errors import ValidationFailed

from . import answers, feeds, repository
from .schemas import GroupDetails, GroupTimetable, Period, TrainerTimetable, WeeklySummary


def _check_period(ctx: Context, start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationFailed({"end_date": ["The end date cannot be before the start date."]})
    max_days = ctx.setting("timetable_max_days")
    if (end - start).days >= max_days:
        raise ValidationFailed({"end_date": [f"A timetable spans at most {max_days} days."]})


async def _trainer_rows(
    session: AsyncSession, ctx: Context, pk: int, start: dt.date, end: dt.date
) -> tuple[Any, list[Any]]:
    _check_period(ctx, start, end)
    found = await repository.user_row(session, pk)
    if found is None:
        raise ValidationFailed({"trainer_id": [f'Invalid pk "{pk}" - object does not exist.']})
    where = repository.timetable_of_trainer(pk, start, end)
    return UserCopy(**found._asdict()), await repository.instance_rows(session, *where)


async def _group_rows(
    session: AsyncSession, ctx: Context, pk: int, start: dt.date, end: dt.date
) -> tuple[Any, list[Any]]:
    _check_period(ctx, start, end)
    group = await repository.group_row(session, pk)
    if group is None:
        raise ValidationFailed({"group_id": [f'Invalid pk "{pk}" - object does not exist.']})
    where = repository.timetable_of_group(pk, start, end)
    return group, await repository.instance_rows(session, *where)


async def trainer_timetable(
    session: AsyncSession, ctx: Context, trainer_id: int, start: dt.date, end: dt.date
) -> TrainerTimetable:
    """A trainer's sessions between two dates (both included)."""
    trainer, rows = await _trainer_rows(session, ctx, trainer_id, start, end)
    return TrainerTimetable(
        trainer=answers.trainer_ref(trainer),
        period=Period(start_date=start, end_date=end),
        sessions=[answers.timetable_session(r) for r in rows],
    )


async def group_timetable(
    session: AsyncSession, ctx: Context, group_id: int, start: dt.date, end: dt.date
) -> GroupTimetable:
    """A group's sessions between two dates (both included)."""
    group, rows = await _group_rows(session, ctx, group_id, start, end)
    return GroupTimetable(
        group=GroupDetails(id=group.id, name=group.name, description=group.description),
        period=Period(start_date=start, end_date=end),
        sessions=[answers.timetable_session(r) for r in rows],
    )


async def trainer_calendar(
    session: AsyncSession, ctx: Context, trainer_id: int, start: dt.date, end: dt.date
) -> tuple[bytes, str]:
    """A trainer's timetable as an iCalendar feed: (the feed, its file name)."""
    trainer, rows = await _trainer_rows(session, ctx, trainer_id, start, end)
    body = feeds.feed(
        rows, name=f"Timetable - {trainer.full_name}", timezone=ctx.setting("timezone")
    )
    return body, f"trainer-{trainer.id}-{start}-{end}.ics"


async def group_calendar(
    session: AsyncSession, ctx: Context, group_id: int, start: dt.date, end: dt.date
) -> tuple[bytes, str]:
    """A group's timetable as an iCalendar feed: (the feed, its file name)."""
    group, rows = await _group_rows(session, ctx, group_id, start, end)
    body = feeds.feed(rows, name=f"Timetable - {group.name}", timezone=ctx.setting("timezone"))
    return body, f"group-{group.id}-{start}-{end}.ics"


async def weekly_summary(
    session: AsyncSession, *, week_start: dt.date, academic_year: str, center_id: int | None
) -> WeeklySummary:
    """A week's sessions: per day by status, hours per trainer, room occupancy, and the
    sessions themselves by date and start time."""
    end = week_start + dt.timedelta(days=6)
    rows = await repository.week_rows(
        session, start=week_start, end=end, academic_year=academic_year, center_id=center_id
    )
    return answers.weekly_summary(
        rows, week_start=week_start, week_end=end, academic_year=academic_year, center_id=center_id
    )
