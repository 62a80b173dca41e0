"""Read shapes built from rows of ``repository.sessions_query()`` / ``instances_query()``
(the copies' names come with the row: no query per record). The rows are
``fastread``'s: the template's (or the instance's) columns by their names, then
the labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from entraide_kit.copies.users import UserCopy

from .models import DAYS, STATUSES
from .schemas import (
    CourseCenter,
    CourseDetails,
    CourseProgram,
    DaySummary,
    GeneratedInstance,
    GroupDetails,
    GroupFull,
    InstanceRead,
    ProgramName,
    RoomDetails,
    RoomOccupancy,
    SessionRead,
    StatusCounts,
    TimetableCourse,
    TimetableSession,
    TimetableTemplate,
    TrainerDetails,
    TrainerHours,
    TrainerRef,
    WeeklySummary,
    WeekSession,
)


def _full_name(row: Any) -> str:
    return f"{row.trainer_first_name or ''} {row.trainer_last_name or ''}".strip()


def trainer_details(user_id: int, row: Any) -> TrainerDetails | None:
    if row.trainer_known is None:
        return None
    first, last = row.trainer_first_name or "", row.trainer_last_name or ""
    return TrainerDetails(
        id=user_id,
        first_name=first,
        last_name=last,
        email=row.trainer_email or "",
        full_name=f"{first} {last}".strip(),
    )


def user_details(user: UserCopy | None) -> TrainerDetails | None:
    return None if user is None else user_mini(user)


def user_mini(user: UserCopy) -> TrainerDetails:
    """A user as the original backend's ``TrainerSerializer`` showed them."""
    return TrainerDetails(
        id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        full_name=user.full_name,
    )


def user_row(row: Any) -> TrainerDetails:
    """A row of the users copy, as ``user_mini`` shows it."""
    return user_mini(UserCopy(**row._asdict()))


def trainer_ref(user: UserCopy) -> TrainerRef:
    return TrainerRef(id=user.id, name=user.full_name, email=user.email)


def room_details(room_id: int | None, row: Any) -> RoomDetails | None:
    if room_id is None or row.room_known is None:
        return None
    return RoomDetails(
        id=room_id, name=row.room_name, type=row.room_type, capacity=row.room_capacity
    )


def group_details(group_id: int | None, row: Any) -> GroupDetails | None:
    if group_id is None or row.group_known is None:
        return None
    return GroupDetails(id=group_id, name=row.group_name, description=row.group_description)


def session_trainer(user_id: int, row: Any) -> TrainerDetails:
    """A template's trainer; empty names while (or if) the users copy lacks them."""
    return trainer_details(user_id, row) or TrainerDetails(
        id=user_id, first_name="", last_name="", email="", full_name=""
    )


def course_details(course_id: int, row: Any) -> CourseDetails:
    """A template's training course, never null: when the course copy lacks it (the
    course was deleted in programs, or the copy is being rebuilt), the programme's and
    the centre's names are empty and the rest unknown."""
    if row.course_known is None:
        return CourseDetails(
            id=course_id,
            program=CourseProgram(name="", duration_years=None),
            center=CourseCenter(name=""),
            academic_year="",
        )
    return CourseDetails(
        id=course_id,
        program=CourseProgram(name=row.program_name, duration_years=row.program_duration_years),
        center=CourseCenter(name=row.center_name),
        academic_year=row.course_academic_year,
    )


def session(s: Any) -> SessionRead:
    """``s``: a row of ``sessions_query()``."""
    return SessionRead(
        id=s.id,
        day=s.day,
        start_time=s.start_time,
        end_time=s.end_time,
        academic_year=s.academic_year,
        is_active=s.is_active,
        trainer=s.trainer_id,
        trainer_details=session_trainer(s.trainer_id, s),
        room=s.room_id,
        room_details=room_details(s.room_id, s),
        group=s.group_id,
        group_details=group_details(s.group_id, s),
        training_course=s.training_course_id,
        training_course_details=course_details(s.training_course_id, s),
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


def instance(i: Any) -> InstanceRead:
    """``i``: a row of ``instances_query()``."""
    return InstanceRead(
        id=i.id,
        schedule_template=i.schedule_template_id,
        specific_date=i.specific_date,
        custom_start_time=i.custom_start_time,
        custom_end_time=i.custom_end_time,
        custom_room=i.custom_room_id,
        custom_trainer=i.custom_trainer_id,
        status=i.status,
        notes=i.notes,
        effective_start_time=i.effective_start_time,
        effective_end_time=i.effective_end_time,
        effective_trainer=trainer_details(i.effective_trainer_id, i),
        effective_room=room_details(i.effective_room_id, i),
        group=i.group_id,
        center=i.center_id,
        created_at=i.created_at,
        updated_at=i.updated_at,
    )


def group_full(group: Any) -> GroupFull:
    """``group``: a row of the groups copy."""
    return GroupFull(
        id=group.id, name=group.name, description=group.description, center=group.center
    )


def week_session(i: Any) -> WeekSession:
    """``i``: a row of ``instances_query()``."""
    return WeekSession(
        id=i.id,
        schedule_template=i.schedule_template_id,
        specific_date=i.specific_date,
        effective_start_time=i.effective_start_time,
        effective_end_time=i.effective_end_time,
        status=i.status,
        effective_trainer=trainer_details(i.effective_trainer_id, i),
        effective_room=room_details(i.effective_room_id, i),
        group=i.group_id,
        group_details=group_details(i.group_id, i),
        training_course=i.training_course_id,
        training_course_details=course_details(i.training_course_id, i),
    )


def generated(rows: Sequence[Any], people: Mapping[int, UserCopy]) -> list[GeneratedInstance]:
    """``rows``: what ``repository.generate_week`` created."""
    return [
        GeneratedInstance(
            id=r.id,
            schedule_template=r.schedule_template_id,
            specific_date=r.specific_date,
            status=r.status,
            effective_start_time=r.start_time,
            effective_end_time=r.end_time,
            effective_trainer=user_details(people.get(r.trainer_id)),
        )
        for r in rows
    ]


def timetable_session(i: Any) -> TimetableSession:
    """``i``: a row of ``instances_query()``."""
    return TimetableSession(
        id=i.id,
        specific_date=i.specific_date,
        effective_start_time=i.effective_start_time,
        effective_end_time=i.effective_end_time,
        status=i.status,
        schedule_template_details=TimetableTemplate(
            training_course_details=TimetableCourse(program=ProgramName(name=i.program_name or ""))
        ),
    )


def hours(row: Any) -> float:
    start, end = row.effective_start_time, row.effective_end_time
    seconds = (end.hour * 3600 + end.minute * 60 + end.second) - (
        start.hour * 3600 + start.minute * 60 + start.second
    )
    return seconds / 3600


def weekly_summary(
    rows: Sequence[Any],
    *,
    week_start: dt.date,
    week_end: dt.date,
    academic_year: str,
    center_id: int | None,
) -> WeeklySummary:
    """Per day the sessions by status; per trainer the hours taught; per room the hours
    booked (cancelled sessions count in neither)."""
    days = []
    totals = dict.fromkeys(STATUSES, 0)
    per_day: dict[dt.date, dict[str, int]] = {}
    trainers: dict[int, dict[str, Any]] = {}
    rooms: dict[int, dict[str, Any]] = {}
    for row in rows:
        per_day.setdefault(row.specific_date, dict.fromkeys(STATUSES, 0))[row.status] += 1
        totals[row.status] += 1
        if row.status == "cancelled":
            continue
        length = hours(row)
        trainer = trainers.setdefault(
            row.effective_trainer_id, {"row": row, "sessions": 0, "hours": 0.0}
        )
        trainer["sessions"] += 1
        trainer["hours"] += length
        if row.effective_room_id is not None:
            room = rooms.setdefault(
                row.effective_room_id, {"row": row, "sessions": 0, "hours": 0.0}
            )
            room["sessions"] += 1
            room["hours"] += length
    day = week_start
    while day <= week_end:
        counts = per_day.get(day, dict.fromkeys(STATUSES, 0))
        days.append(
            DaySummary(
                date=day,
                day=DAYS[day.weekday()],
                total=sum(counts.values()),
                by_status=StatusCounts(**counts),
            )
        )
        day += dt.timedelta(days=1)
    trainer_hours = [
        TrainerHours(
            trainer=TrainerRef(
                id=trainer_id,
                name=_full_name(t["row"]),
                email=t["row"].trainer_email or "",
            ),
            sessions=t["sessions"],
            hours=round(t["hours"], 2),
        )
        for trainer_id, t in trainers.items()
    ]
    trainer_hours.sort(key=lambda t: (-t.hours, t.trainer.name, t.trainer.id))
    occupancy = [
        RoomOccupancy(
            room=room_details(room_id, r["row"])
            or RoomDetails(id=room_id, name="", type="", capacity=0),
            sessions=r["sessions"],
            hours=round(r["hours"], 2),
        )
        for room_id, r in rooms.items()
    ]
    occupancy.sort(key=lambda r: (-r.hours, r.room.name, r.room.id))
    return WeeklySummary(
        week_start=week_start,
        week_end=week_end,
        academic_year=academic_year,
        center_id=center_id,
        total_sessions=len(rows),
        by_status=StatusCounts(**totals),
        days=days,
        trainer_hours=trainer_hours,
        room_occupancy=occupancy,
        sessions=[week_session(r) for r in rows],
    )
