"""Timetables as iCalendar feeds (RFC 5545) that phone and desktop calendars read.

One VEVENT per session instance: UID stable per instance, SEQUENCE its
version (a calendar replaces the event when it changes), times on the
centres' wall clock (TZID with its VTIMEZONE), STATUS:CANCELLED for a
cancelled session so subscribed calendars show it struck out rather than
silently dropping it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODID = "-//Entraide National//Schedule//EN"
MEDIA_TYPE = "text/calendar; charset=utf-8"


def _event(row: Any, tz: ZoneInfo, stamp: dt.datetime) -> Event:
    i = row
    program = row.program_name or "Session"
    group = row.group_name
    trainer = f"{row.trainer_first_name or ''} {row.trainer_last_name or ''}".strip()
    event = Event()
    event.add("uid", f"session-instance-{i.id}@entraide-schedule")
    event.add("dtstamp", stamp)
    event.add("last-modified", i.updated_at.astimezone(dt.UTC))
    event.add("sequence", i.version)
    event.add("dtstart", dt.datetime.combine(i.specific_date, row.effective_start_time, tz))
    event.add("dtend", dt.datetime.combine(i.specific_date, row.effective_end_time, tz))
    event.add("summary", f"{program} ({group})" if group else program)
    if row.room_name:
        event.add("location", row.room_name)
    lines = [
        f"Trainer: {trainer}" if trainer else None,
        f"Group: {group}" if group else None,
        f"Centre: {row.center_name}" if row.center_name else None,
        f"Academic year: {row.academic_year}",
        f"Status: {i.status}",
        i.notes or None,
    ]
    event.add("description", "\n".join(line for line in lines if line))
    event.add("status", "CANCELLED" if i.status == "cancelled" else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if i.status == "cancelled" else "OPAQUE")
    return event


def feed(rows: Sequence[Any], *, name: str, timezone: str) -> bytes:
    """``rows``: rows of ``repository.instances_query()``."""
    tz = ZoneInfo(timezone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", timezone)
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for row in rows:
        cal.add_component(_event(row, tz, stamp))
    if rows:
        cal.add_missing_timezones()
    return bytes(cal.to_ical())
