"""What templates and instances check alike: the references they name (trainer,
room, group, from the copies) and the words of a conflict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.context import Context
from entraide_kit.copies import users
from entraide_kit.copies.centers import groups, rooms

UNIQUE_DATE = "The fields schedule_template, specific_date must make a unique set."
END_AFTER_START = "End time must be after start time."
CONSTRAINTS = {
    "ck_schedule_sessions_times": ("end_time", END_AFTER_START),
    "uq_session_instances_template_date": ("non_field_errors", UNIQUE_DATE),
}


def invalid_pk(pk: Any) -> str:
    return f'Invalid pk "{pk}" - object does not exist.'


def own_or(value: Any, fallback: Any) -> Any:
    return value if value is not None else fallback


def _hms(value: dt.time) -> str:
    return value.strftime("%H:%M:%S")


def person(first: str | None, last: str | None, user_id: int | None) -> str:
    name = f"{first or ''} {last or ''}".strip()
    return name or f"#{user_id}"


def conflict_message(kind: str, name: str, when: str, start: dt.time) -> str:
    """The contract's words: who (or what), when, at what time the other session starts."""
    if kind == "trainer":
        return f"Trainer {name} already has a session on {when} at {_hms(start)}"
    if kind == "room":
        return f"Room {name} is already booked on {when} at {_hms(start)}"
    return f"Group {name} already has a session on {when} at {_hms(start)}"


def shared(row_values: Mapping[str, Any], wanted: Mapping[str, int | None]) -> list[str]:
    """The resources (trainer, room, group) a busy slot shares with the wanted one."""
    return [
        kind
        for kind in ("trainer", "room", "group")
        if wanted.get(kind) is not None and row_values.get(kind) == wanted[kind]
    ]


# ------------------------------------------------------------------ references


async def trainer_error(session: AsyncSession, ctx: Context, user_id: int) -> str | None:
    user = await users.get_user(session, user_id, ctx=ctx)
    if user is None:
        return invalid_pk(user_id)
    if user.role != "trainer":
        return "The trainer must be a user with the role trainer."
    if not user.is_active:
        return "The trainer must be an active user."
    return None


async def room_error(
    session: AsyncSession, ctx: Context, room_id: int, center_id: int | None
) -> str | None:
    room = await rooms.get(session, room_id, ctx=ctx)
    if room is None:
        return invalid_pk(room_id)
    if center_id is not None and room["center"] != center_id:
        return "The room must belong to the training course's center."
    return None


async def group_error(
    session: AsyncSession, ctx: Context, group_id: int, center_id: int | None
) -> str | None:
    group = await groups.get(session, group_id, ctx=ctx)
    if group is None:
        return invalid_pk(group_id)
    if center_id is not None and group["center"] != center_id:
        return "The group must belong to the training course's center."
    return None


async def name_of(session: AsyncSession, kind: str, values: Mapping[str, Any]) -> str:
    """The name of this template's trainer, room or group, from the copies."""
    pk = values[f"{kind}_id"]
    if kind == "trainer":
        user = (await users.users_by_id(session, [pk])).get(pk)
        return user.full_name if user and user.full_name else f"#{pk}"
    copy = rooms if kind == "room" else groups
    row = (await copy.by_ids(session, [pk])).get(pk)
    return str(row["name"]) if row is not None else f"#{pk}"
