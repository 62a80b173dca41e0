"""Session instances: generation, rules, cancel and reschedule, who may change what,
timetables and their calendar feeds, the weekly summary."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import icalendar
from fastapi import FastAPI
from sqlalchemy import text

from entraide_kit.copies.users import upsert_user
from entraide_stack.testing.queries import count_queries

from .conftest import (
    CENTER_A,
    COURSE_A,
    COURSE_B,
    GROUP_A1,
    GROUP_A2,
    GROUP_B1,
    INSTANCES,
    ROOM_A1,
    ROOM_A2,
    ROOM_B1,
    SESSIONS,
    STUDENT,
    SUP_A,
    SUP_B,
    TRAINER,
    TRAINER_2,
    TRAINER_B,
    YEAR,
    Api,
    create,
    outbox,
)

MONDAY = "2024-06-10"
GENERATE = f"{INSTANCES}generate_for_week/"
GENERATED_KEYS = {
    "id",
    "schedule_template",
    "specific_date",
    "status",
    "effective_start_time",
    "effective_end_time",
    "effective_trainer",
}
TRAINER_DETAILS = {
    "id": TRAINER,
    "first_name": "Ahmed",
    "last_name": "Benali",
    "email": "ahmed.benali@entraide.ma",
    "full_name": "Ahmed Benali",
}


async def generate(api: Api, start: str = MONDAY, user: int = 1, **extra: Any) -> Any:
    resp = await api("POST", GENERATE, user, json={"start_date": start, "academic_year": YEAR})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def week(api: Api) -> dict[str, Any]:
    """Monday 08:30-10:30 (Ahmed, A1, Alpha) and Wednesday 08:30-10:30 (Karima, A2, Beta)."""
    monday = await create(api)
    wednesday = await create(api, day="Wednesday", trainer=TRAINER_2, room=ROOM_A2, group=GROUP_A2)
    generated = await generate(api)
    by_template = {i["schedule_template"]: i for i in generated["instances"]}
    return {
        "monday": monday,
        "wednesday": wednesday,
        "mon": by_template[monday["id"]],
        "wed": by_template[wednesday["id"]],
    }


async def test_generate_for_week_is_idempotent_and_skips_inactive(
    api: Api, schedule_app: FastAPI
) -> None:
    monday = await create(api)
    wednesday = await create(api, day="Wednesday", trainer=TRAINER_2, room=ROOM_A2, group=None)
    await create(api, day="Friday", is_active=False)
    await create(api, day="Tuesday", academic_year="2025-2026")
    first = await generate(api)
    assert first["message"] == "Created 2 session instances"
    items = first["instances"]
    assert [set(i) for i in items] == [GENERATED_KEYS, GENERATED_KEYS]
    assert items[0] == {
        "id": items[0]["id"],
        "schedule_template": monday["id"],
        "specific_date": MONDAY,
        "status": "scheduled",
        "effective_start_time": "08:30:00",
        "effective_end_time": "10:30:00",
        "effective_trainer": TRAINER_DETAILS,
    }
    assert items[1]["schedule_template"] == wednesday["id"]
    assert items[1]["specific_date"] == "2024-06-12"
    assert items[1]["effective_trainer"]["full_name"] == "Karima Kettani"
    again = await generate(api)
    assert again == {"message": "Created 0 session instances", "instances": []}
    assert (await api("GET", INSTANCES)).json()["count"] == 2
    events = await outbox(schedule_app, "instance")
    assert len(events) == 2 and {e["version"] for e in events} == {1}
    assert events[0]["data"] == {
        "id": items[0]["id"],
        "schedule_template": monday["id"],
        "specific_date": MONDAY,
        "status": "scheduled",
        "effective_start_time": "08:30:00",
        "effective_end_time": "10:30:00",
        "effective_trainer": TRAINER,
        "effective_room": ROOM_A1,
        "group": GROUP_A1,
        "center": CENTER_A,
    }
    # The next week is another week.
    assert (await generate(api, "2024-06-17"))["message"] == "Created 2 session instances"
    not_monday = await api(
        "POST", GENERATE, json={"start_date": "2024-06-11", "academic_year": YEAR}
    )
    assert not_monday.status_code == 400
    assert not_monday.json() == {"start_date": ["The start date must be a Monday."]}
    bad_year = await api("POST", GENERATE, json={"start_date": MONDAY, "academic_year": "2024"})
    assert bad_year.status_code == 400 and "academic_year" in bad_year.json()


async def test_generation_is_scoped_to_the_supervisors_centres(api: Api) -> None:
    await create(api)
    b = await create(api, trainer=TRAINER_B, training_course=COURSE_B, room=ROOM_B1, group=GROUP_B1)
    mine = await generate(api, user=SUP_B)
    assert [i["schedule_template"] for i in mine["instances"]] == [b["id"]]
    assert (await generate(api, user=SUP_A))["message"] == "Created 1 session instances"
    trainer = await api(
        "POST", GENERATE, TRAINER, json={"start_date": MONDAY, "academic_year": YEAR}
    )
    assert trainer.status_code == 403


async def test_generating_500_templates_is_one_request_and_one_insert(
    api: Api, schedule_app: FastAPI
) -> None:
    trainers = list(range(1000, 1010))
    async with schedule_app.state.db.session() as s, s.begin():
        for t in trainers:
            await upsert_user(
                s,
                t,
                {
                    "email": f"t{t}@entraide.ma",
                    "first_name": f"T{t}",
                    "last_name": "X",
                    "role": "trainer",
                    "username": f"t{t}",
                },
            )
        # 10 trainers x 5 days x 10 one-hour slots: 500 active templates, no overlap.
        await s.execute(
            text(
                "INSERT INTO schedule_sessions (day, start_time, end_time, academic_year,"
                " trainer_id, training_course_id, center_id)"
                " SELECT (ARRAY['Monday','Tuesday','Wednesday','Thursday','Friday'])[d + 1],"
                " make_time(7 + h, 0, 0), make_time(8 + h, 0, 0), :year, 1000 + t, :course,"
                " :center FROM generate_series(0, 9) t, generate_series(0, 4) d,"
                " generate_series(0, 9) h"
            ),
            {"year": YEAR, "course": COURSE_A, "center": CENTER_A},
        )
    engine = schedule_app.state.db.engine
    started = time.perf_counter()
    with count_queries(engine) as counter:
        first = await generate(api)
    elapsed = time.perf_counter() - started
    assert first["message"] == "Created 500 session instances"
    assert len({(i["schedule_template"], i["specific_date"]) for i in first["instances"]}) == 500
    assert all(i["effective_trainer"]["last_name"] == "X" for i in first["instances"])
    inserts = [q for q in counter.statements if q.lstrip().upper().startswith(("INSERT", "WITH"))]
    # One statement makes the instances, one writes their 500 events.
    assert len(inserts) == 2, inserts
    assert counter.count <= 5, counter.statements
    assert elapsed < 10, elapsed
    assert (await generate(api))["message"] == "Created 0 session instances"
    async with schedule_app.state.db.session() as s:
        count = (await s.execute(text("SELECT count(*) FROM session_instances"))).scalar_one()
    assert count == 500
    assert len(await outbox(schedule_app, "instance")) == 500


async def test_instance_crud_and_rules(api: Api, schedule_app: FastAPI) -> None:
    tpl = await create(api)
    resp = await api(
        "POST", INSTANCES, json={"schedule_template": tpl["id"], "specific_date": MONDAY}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body == {
        "id": body["id"],
        "schedule_template": tpl["id"],
        "specific_date": MONDAY,
        "custom_start_time": None,
        "custom_end_time": None,
        "custom_room": None,
        "custom_trainer": None,
        "status": "scheduled",
        "notes": "",
        "effective_start_time": "08:30:00",
        "effective_end_time": "10:30:00",
        "effective_trainer": TRAINER_DETAILS,
        "effective_room": {
            "id": ROOM_A1,
            "name": "Classroom A1",
            "type": "classroom",
            "capacity": 30,
        },
        "group": GROUP_A1,
        "center": CENTER_A,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    dup = await api(
        "POST", INSTANCES, json={"schedule_template": tpl["id"], "specific_date": MONDAY}
    )
    assert dup.status_code == 400
    assert dup.json() == {
        "non_field_errors": ["The fields schedule_template, specific_date must make a unique set."]
    }
    tuesday = {"schedule_template": tpl["id"], "specific_date": "2024-06-11"}
    wrong_day = await api("POST", INSTANCES, json=tuesday)
    assert wrong_day.status_code == 400 and list(wrong_day.json()) == ["specific_date"]
    moved = await api("POST", INSTANCES, json={**tuesday, "status": "rescheduled"})
    assert moved.status_code == 201, moved.text
    for bad, field in (
        ({"custom_end_time": "08:00:00"}, "custom_end_time"),
        ({"custom_trainer": STUDENT}, "custom_trainer"),
        ({"custom_room": 999}, "custom_room"),
        ({"custom_room": ROOM_B1}, "custom_room"),
        ({"status": "lost"}, "status"),
        ({"status": None}, "status"),
    ):
        resp = await api("PATCH", f"{INSTANCES}{body['id']}/", json=bad)
        assert resp.status_code == 400 and list(resp.json()) == [field], (bad, resp.text)
    url = f"{INSTANCES}{body['id']}/"
    patched = await api(
        "PATCH",
        url,
        json={"custom_start_time": "09:00", "custom_trainer": TRAINER_2, "custom_room": ROOM_A2},
    )
    assert patched.status_code == 200, patched.text
    got = patched.json()
    assert got["effective_start_time"] == "09:00:00" and got["effective_end_time"] == "10:30:00"
    assert got["effective_trainer"]["id"] == TRAINER_2 and got["effective_room"]["id"] == ROOM_A2
    assert got["custom_trainer"] == TRAINER_2
    listed = await api("GET", INSTANCES, params={"trainer": TRAINER_2})
    assert [i["id"] for i in listed.json()["results"]] == [body["id"]]
    assert (await api("GET", INSTANCES, params={"status": "rescheduled"})).json()["count"] == 1
    put = await api(
        "PUT",
        url,
        json={"schedule_template": tpl["id"], "specific_date": MONDAY, "notes": "room swap"},
    )
    assert put.status_code == 200 and put.json()["notes"] == "room swap"
    assert put.json()["custom_trainer"] == TRAINER_2  # what a PUT does not send stays
    assert (await api("GET", url, STUDENT)).status_code == 200
    assert (await api("DELETE", url)).status_code == 204
    assert (await api("GET", url)).status_code == 404
    versions = [
        (e["op"], e["version"])
        for e in await outbox(schedule_app, "instance")
        if e["id"] == body["id"]
    ]
    assert versions == [("upsert", 1), ("upsert", 2), ("upsert", 3), ("delete", 4)]


async def test_cancel_and_reschedule(api: Api, schedule_app: FastAPI) -> None:
    w = await week(api)
    mon = f"{INSTANCES}{w['mon']['id']}/"
    cancelled = await api("POST", f"{mon}cancel/", json={"reason": "Trainer ill"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["notes"] == "Cancelled: Trainer ill"
    assert (await api("POST", f"{INSTANCES}{w['wed']['id']}/cancel/")).status_code == 200
    assert (await api("POST", f"{INSTANCES}999/cancel/")).status_code == 404

    # Back to scheduled, then moved onto Wednesday's slot: Karima's session is there.
    await api("PATCH", f"{INSTANCES}{w['wed']['id']}/", json={"status": "scheduled"})
    await api("PATCH", mon, json={"status": "scheduled"})
    clash = await api(
        "POST",
        f"{mon}reschedule/",
        json={"new_date": "2024-06-12", "new_trainer_id": TRAINER_2, "reason": "swap"},
    )
    assert clash.status_code == 400
    assert clash.json() == {
        "non_field_errors": [
            "Trainer Karima Kettani already has a session on Wednesday 2024-06-12 at 08:30:00"
        ]
    }
    later = await api(
        "POST",
        f"{mon}reschedule/",
        json={
            "new_date": "2024-06-12",
            "new_start_time": "10:30",
            "new_end_time": "12:00",
            "new_trainer_id": TRAINER_2,
            "new_room_id": ROOM_A2,
            "reason": "Room works",
        },
    )
    assert later.status_code == 200, later.text
    moved = later.json()
    assert moved["status"] == "rescheduled" and moved["specific_date"] == "2024-06-12"
    assert moved["effective_start_time"] == "10:30:00" and moved["effective_end_time"] == "12:00:00"
    assert (
        moved["effective_trainer"]["id"] == TRAINER_2 and moved["effective_room"]["id"] == ROOM_A2
    )
    assert moved["notes"] == "Cancelled: Trainer ill\nRescheduled: Room works"
    event = (await outbox(schedule_app, "instance"))[-1]
    assert (
        event["data"]["specific_date"] == "2024-06-12" and event["data"]["status"] == "rescheduled"
    )
    assert event["data"]["effective_trainer"] == TRAINER_2

    # A week not generated yet: its templates still occupy their slots.
    ahead = await api(
        "POST",
        f"{mon}reschedule/",
        json={"new_date": "2024-06-26", "new_start_time": "09:00", "new_end_time": "10:00"},
    )
    assert ahead.status_code == 400
    assert ahead.json()["non_field_errors"] == [
        "Trainer Karima Kettani already has a session on Wednesday 2024-06-26 at 08:30:00",
        "Room Lab A2 is already booked on Wednesday 2024-06-26 at 08:30:00",
    ]
    # A cancelled session frees its slot.
    await api("POST", f"{INSTANCES}{w['wed']['id']}/cancel/")
    freed = await api(
        "POST",
        f"{mon}reschedule/",
        json={"new_date": "2024-06-12", "new_start_time": "08:30", "new_end_time": "10:30"},
    )
    assert freed.status_code == 200, freed.text
    bad = await api(
        "POST", f"{mon}reschedule/", json={"new_date": "2024-06-13", "new_end_time": "07:00"}
    )
    assert bad.status_code == 400 and list(bad.json()) == ["new_end_time"]
    missing = await api("POST", f"{mon}reschedule/", json={})
    assert missing.json() == {"new_date": ["This field is required."]}


async def test_a_new_start_alone_keeps_the_duration(api: Api) -> None:
    w = await week(api)
    mon = f"{INSTANCES}{w['mon']['id']}/"
    resp = await api(
        "POST", f"{mon}reschedule/", json={"new_date": "2024-06-11", "new_start_time": "13:15"}
    )
    assert resp.status_code == 200, resp.text
    moved = resp.json()
    # 08:30-10:30 moved to 13:15: two hours still.
    assert moved["effective_start_time"] == "13:15:00" and moved["effective_end_time"] == "15:15:00"
    assert moved["custom_start_time"] == "13:15:00" and moved["custom_end_time"] == "15:15:00"
    # Its length now is the moved session's own (an earlier move that changed it counts).
    shorter = await api(
        "POST",
        f"{mon}reschedule/",
        json={"new_date": "2024-06-11", "new_start_time": "14:00", "new_end_time": "15:00"},
    )
    assert shorter.status_code == 200, shorter.text
    again = await api(
        "POST", f"{mon}reschedule/", json={"new_date": "2024-06-13", "new_start_time": "16:30"}
    )
    assert again.json()["effective_end_time"] == "17:30:00"
    late = await api(
        "POST", f"{mon}reschedule/", json={"new_date": "2024-06-13", "new_start_time": "23:30"}
    )
    assert late.status_code == 400
    assert late.json() == {
        "new_start_time": ["Keeping its duration, the session would end after midnight."]
    }
    # A new end alone keeps the start, as before.
    end_only = await api(
        "POST", f"{mon}reschedule/", json={"new_date": "2024-06-13", "new_end_time": "18:00"}
    )
    assert end_only.json()["effective_start_time"] == "16:30:00"
    assert end_only.json()["effective_end_time"] == "18:00:00"


async def test_trainers_update_only_what_they_teach(api: Api) -> None:
    w = await week(api)
    mon = f"{INSTANCES}{w['mon']['id']}/"
    done = await api("PATCH", mon, TRAINER, json={"status": "completed", "notes": "Chapter 3"})
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert (await api("PATCH", mon, TRAINER, json={"custom_room": ROOM_A2})).status_code == 403
    assert (await api("PATCH", mon, TRAINER_2, json={"status": "completed"})).status_code == 403
    assert (await api("POST", f"{mon}cancel/", TRAINER_2)).status_code == 403
    assert (await api("POST", f"{mon}cancel/", TRAINER, json={"reason": "x"})).status_code == 200
    moved = await api("POST", f"{mon}reschedule/", TRAINER, json={"new_date": "2024-06-11"})
    assert moved.status_code == 200, moved.text
    assert (await api("DELETE", mon, TRAINER)).status_code == 403
    create_as_trainer = await api(
        "POST",
        INSTANCES,
        TRAINER,
        json={"schedule_template": w["monday"]["id"], "specific_date": "2024-06-17"},
    )
    assert create_as_trainer.status_code == 403
    assert (await api("PATCH", mon, SUP_B, json={"notes": "x"})).status_code == 403
    assert (await api("PATCH", mon, SUP_A, json={"notes": "ok"})).status_code == 200
    assert (await api("PATCH", mon, STUDENT, json={"notes": "x"})).status_code == 403
    # The role is checked before the body and the id.
    assert (await api("PATCH", mon, STUDENT, json={"status": "lost"})).status_code == 403
    assert (await api("POST", f"{INSTANCES}999/cancel/", STUDENT)).status_code == 403
    assert (await api("DELETE", f"{INSTANCES}999/", TRAINER)).status_code == 403
    assert (await api("GET", mon, STUDENT)).status_code == 200


TIMETABLE_SESSION_KEYS = {
    "id",
    "specific_date",
    "effective_start_time",
    "effective_end_time",
    "status",
    "schedule_template_details",
}


async def test_timetables_and_calendar_feeds(api: Api) -> None:
    w = await week(api)
    await api("POST", f"{INSTANCES}{w['mon']['id']}/cancel/", json={"reason": "Holiday"})
    params = {"trainer_id": TRAINER, "start_date": MONDAY, "end_date": "2024-06-16"}
    resp = await api("GET", f"{INSTANCES}trainer_timetable/", STUDENT, params=params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"trainer", "period", "sessions"}
    assert body["trainer"] == {
        "id": TRAINER,
        "name": "Ahmed Benali",
        "email": "ahmed.benali@entraide.ma",
    }
    assert body["period"] == {"start_date": MONDAY, "end_date": "2024-06-16"}
    (session,) = body["sessions"]
    assert set(session) == TIMETABLE_SESSION_KEYS
    assert session["id"] == w["mon"]["id"] and session["status"] == "cancelled"
    assert session["schedule_template_details"] == {
        "training_course_details": {"program": {"name": "Web Development"}}
    }
    group = await api(
        "GET",
        f"{INSTANCES}group_timetable/",
        params={"group_id": GROUP_A2, "start_date": MONDAY, "end_date": "2024-06-16"},
    )
    assert group.status_code == 200
    assert group.json()["group"] == {
        "id": GROUP_A2,
        "name": "Group Beta",
        "description": "Advanced programming group",
    }
    assert [s["id"] for s in group.json()["sessions"]] == [w["wed"]["id"]]
    for bad, field in (
        ({**params, "trainer_id": None}, "trainer_id"),
        ({**params, "start_date": "10/06/2024"}, "start_date"),
        ({**params, "end_date": "2024-06-01"}, "end_date"),
        ({**params, "trainer_id": 999}, "trainer_id"),
        ({**params, "end_date": "2026-06-01"}, "end_date"),
    ):
        resp = await api(
            "GET",
            f"{INSTANCES}trainer_timetable/",
            params={k: v for k, v in bad.items() if v is not None},
        )
        assert resp.status_code == 400 and list(resp.json()) == [field], (bad, resp.text)

    # The same as calendar feeds.
    feed = await api("GET", f"{INSTANCES}trainer_timetable.ics", STUDENT, params=params)
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(feed.content)
    (event,) = cal.walk("VEVENT")
    assert str(event["status"]) == "CANCELLED"
    assert event.decoded("dtstart") == dt.datetime(
        2024, 6, 10, 8, 30, tzinfo=event.decoded("dtstart").tzinfo
    )
    assert str(event.decoded("dtstart").tzinfo) == "Africa/Casablanca"
    assert event.decoded("dtend").time() == dt.time(10, 30)
    assert str(event["summary"]) == "Web Development (Group Alpha)"
    assert str(event["location"]) == "Classroom A1"
    assert "Cancelled: Holiday" in str(event["description"])
    assert cal.walk("VTIMEZONE")
    everyone = await api(
        "GET",
        f"{INSTANCES}group_timetable.ics",
        params={"group_id": GROUP_A2, "start_date": MONDAY, "end_date": "2024-06-16"},
    )
    (wed,) = icalendar.Calendar.from_ical(everyone.content).walk("VEVENT")
    assert str(wed["status"]) == "CONFIRMED" and wed.decoded("dtstart").date() == dt.date(
        2024, 6, 12
    )
    assert (
        await api("GET", f"{INSTANCES}trainer_timetable.ics", None, params=params)
    ).status_code == 401
    empty = await api(
        "GET",
        f"{INSTANCES}trainer_timetable.ics",
        params={**params, "start_date": "2024-07-01", "end_date": "2024-07-07"},
    )
    assert empty.status_code == 200 and not icalendar.Calendar.from_ical(empty.content).walk(
        "VEVENT"
    )


async def test_weekly_summary(api: Api) -> None:
    w = await week(api)
    await create(api, day="Monday", start_time="11:00", end_time="12:30")
    await generate(api)  # the new template's instance
    await api("POST", f"{INSTANCES}{w['wed']['id']}/cancel/")
    resp = await api(
        "GET",
        f"{INSTANCES}weekly_summary/",
        STUDENT,
        params={"week_start": MONDAY, "academic_year": YEAR},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["total_sessions"] == 3 and body["week_end"] == "2024-06-16"
    assert body["by_status"] == {"scheduled": 2, "cancelled": 1, "completed": 0, "rescheduled": 0}
    days = {d["day"]: d for d in body["days"]}
    assert list(days) == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    assert days["Monday"]["total"] == 2 and days["Monday"]["by_status"]["scheduled"] == 2
    assert days["Wednesday"]["by_status"]["cancelled"] == 1 and days["Tuesday"]["total"] == 0
    assert body["trainer_hours"] == [
        {
            "trainer": {"id": TRAINER, "name": "Ahmed Benali", "email": "ahmed.benali@entraide.ma"},
            "sessions": 2,
            "hours": 3.5,
        }
    ]
    assert body["room_occupancy"] == [
        {
            "room": {"id": ROOM_A1, "name": "Classroom A1", "type": "classroom", "capacity": 30},
            "sessions": 2,
            "hours": 3.5,
        }
    ]
    sessions = body["sessions"]
    assert [(x["specific_date"], x["effective_start_time"], x["status"]) for x in sessions] == [
        ("2024-06-10", "08:30:00", "scheduled"),
        ("2024-06-10", "11:00:00", "scheduled"),
        ("2024-06-12", "08:30:00", "cancelled"),
    ]
    first = sessions[0]
    assert first == {
        "id": w["mon"]["id"],
        "schedule_template": w["monday"]["id"],
        "specific_date": "2024-06-10",
        "effective_start_time": "08:30:00",
        "effective_end_time": "10:30:00",
        "status": "scheduled",
        "effective_trainer": TRAINER_DETAILS,
        "effective_room": {
            "id": ROOM_A1,
            "name": "Classroom A1",
            "type": "classroom",
            "capacity": 30,
        },
        "group": GROUP_A1,
        "group_details": {
            "id": GROUP_A1,
            "name": "Group Alpha",
            "description": "Advanced programming group",
        },
        "training_course": COURSE_A,
        "training_course_details": {
            "id": COURSE_A,
            "program": {"name": "Web Development", "duration_years": 2},
            "center": {"name": "Rabat Training Center"},
            "academic_year": YEAR,
        },
    }
    assert sessions[2]["effective_trainer"]["id"] == TRAINER_2
    assert sessions[2]["group_details"]["name"] == "Group Beta"
    other = await api(
        "GET",
        f"{INSTANCES}weekly_summary/",
        params={"week_start": MONDAY, "academic_year": YEAR, "center_id": 20},
    )
    assert other.json()["total_sessions"] == 0
    missing = await api("GET", f"{INSTANCES}weekly_summary/", params={"week_start": MONDAY})
    assert missing.status_code == 400 and missing.json() == {
        "academic_year": ["This field is required."]
    }
    assert COURSE_A and GROUP_A1


async def test_a_missing_record_is_a_404_before_its_body_is_read(api: Api) -> None:
    """As the original backend answered: the role first (403), then the record (404),
    then the body (400), for the writes on a template's or an instance's id."""
    w = await week(api)
    mon = f"{INSTANCES}{w['mon']['id']}/"
    template = f"{SESSIONS}{w['monday']['id']}/"
    bad = {"specific_date": "not a date", "status": "lost", "day": "Someday"}
    for method, url in (
        ("PUT", f"{SESSIONS}999999/"),
        ("PATCH", f"{SESSIONS}999999/"),
        ("PUT", f"{INSTANCES}999999/"),
        ("PATCH", f"{INSTANCES}999999/"),
        ("POST", f"{INSTANCES}999999/reschedule/"),
        ("POST", f"{INSTANCES}999999/cancel/"),
    ):
        assert (await api(method, url, json=bad)).status_code == 404, (method, url)
        assert (await api(method, url, STUDENT, json=bad)).status_code == 403, (method, url)
    for method, url in (
        ("PUT", template),
        ("PATCH", template),
        ("PUT", mon),
        ("PATCH", mon),
        ("POST", f"{mon}reschedule/"),
    ):
        assert (await api(method, url, json=bad)).status_code == 400, (method, url)
    assert (await api("POST", f"{mon}cancel/", json=["not", "an", "object"])).status_code == 400
