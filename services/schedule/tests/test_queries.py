"""Lists, timetables and generation run a constant number of SQL statements (no N+1;
names come from the read copies, never from other services)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from entraide_stack.testing.queries import count_queries

from .conftest import (
    CENTER_A,
    COURSE_A,
    GROUP_A1,
    INSTANCES,
    ROOM_A1,
    SESSIONS,
    SUP_A,
    TRAINER,
    YEAR,
    Api,
)


async def _templates(app: FastAPI, count: int) -> None:
    """``count`` active templates of the trainer, one-minute slots on Monday and Tuesday."""
    async with app.state.db.session() as s, s.begin():
        await s.execute(
            text(
                "INSERT INTO schedule_sessions (day, start_time, end_time, academic_year,"
                " trainer_id, room_id, group_id, training_course_id, center_id)"
                " SELECT (ARRAY['Monday','Tuesday'])[n % 2 + 1], make_time(8, 0, 0)"
                " + make_interval(mins => n), make_time(8, 1, 0) + make_interval(mins => n),"
                " :year, :trainer, :room, :group, :course, :center"
                " FROM generate_series(0, :n - 1) n"
            ),
            {
                "year": YEAR,
                "trainer": TRAINER,
                "room": ROOM_A1,
                "group": GROUP_A1,
                "course": COURSE_A,
                "center": CENTER_A,
                "n": count,
            },
        )


async def _count(app: FastAPI, api: Api, *args: Any, **kwargs: Any) -> tuple[int, Any]:
    with count_queries(app.state.db.engine) as counter:
        resp = await api(*args, **kwargs)
    assert resp.status_code == 200, resp.text
    return counter.count, resp.json()


async def test_lists_and_timetables_are_constant(api: Api, schedule_app: FastAPI) -> None:
    await _templates(schedule_app, 60)
    small, page = await _count(schedule_app, api, "GET", SESSIONS, params={"page_size": 5})
    large, page = await _count(schedule_app, api, "GET", SESSIONS, params={"page_size": 50})
    assert len(page["results"]) == 50 and small == large <= 3, (small, large)
    assert all(r["trainer_details"] and r["training_course_details"] for r in page["results"])
    by_trainer, rows = await _count(
        schedule_app, api, "GET", f"{SESSIONS}by_trainer/", params={"trainer_id": TRAINER}
    )
    assert len(rows) == 60 and by_trainer <= 2

    gen = await api(
        "POST",
        f"{INSTANCES}generate_for_week/",
        json={"start_date": "2024-06-10", "academic_year": YEAR},
    )
    assert len(gen.json()["instances"]) == 60
    small, _ = await _count(schedule_app, api, "GET", INSTANCES, params={"page_size": 5})
    large, page = await _count(schedule_app, api, "GET", INSTANCES, params={"page_size": 50})
    assert len(page["results"]) == 50 and small == large <= 3, (small, large)
    assert all(r["effective_trainer"] and r["effective_room"] for r in page["results"])
    params = {"trainer_id": TRAINER, "start_date": "2024-06-10", "end_date": "2024-06-16"}
    day, one = await _count(
        schedule_app,
        api,
        "GET",
        f"{INSTANCES}trainer_timetable/",
        params={**params, "end_date": "2024-06-10"},
    )
    week, all_of_them = await _count(
        schedule_app, api, "GET", f"{INSTANCES}trainer_timetable/", params=params
    )
    assert len(one["sessions"]) == 30 and len(all_of_them["sessions"]) == 60
    assert day == week <= 3, (day, week)
    with count_queries(schedule_app.state.db.engine) as counter:
        feed = await api("GET", f"{INSTANCES}trainer_timetable.ics", params=params)
    assert feed.status_code == 200 and feed.content.count(b"BEGIN:VEVENT") == 60
    assert counter.count <= 3
    summary, body = await _count(
        schedule_app,
        api,
        "GET",
        f"{INSTANCES}weekly_summary/",
        params={"week_start": "2024-06-10", "academic_year": YEAR},
    )
    assert body["total_sessions"] == 60 and summary <= 2


async def test_generation_is_constant(api: Api, schedule_app: FastAPI) -> None:
    counts = []
    for start, templates in (("2024-06-10", 10), ("2024-06-17", 100)):
        async with schedule_app.state.db.session() as s, s.begin():
            await s.execute(text("DELETE FROM schedule_sessions"))
        await _templates(schedule_app, templates)
        count, body = await _count(
            schedule_app,
            api,
            "POST",
            f"{INSTANCES}generate_for_week/",
            json={"start_date": start, "academic_year": YEAR},
        )
        assert len(body["instances"]) == templates
        counts.append(count)
    assert counts[0] == counts[1], counts


async def _more_trainers(app: FastAPI, count: int) -> None:
    """``count`` more trainers of centre A, each with an active template of their own
    group (ids from 1000), Wednesday."""
    async with app.state.db.session() as s, s.begin():
        await s.execute(
            text(
                "INSERT INTO user_copies (id, email, username, first_name, last_name,"
                " arabic_first_name, arabic_last_name, role, is_active)"
                " SELECT 1000 + n, 't' || n || '@entraide.ma', 't' || n, 'T', 'N' || n,"
                " '', '', 'trainer', true FROM generate_series(0, :n - 1) n"
                " ON CONFLICT DO NOTHING"
            ),
            {"n": count},
        )
        await s.execute(
            text(
                "INSERT INTO group_copies (id, name, description, center)"
                " SELECT 1000 + n, 'G' || n, '', :center FROM generate_series(0, :n - 1) n"
                " ON CONFLICT DO NOTHING"
            ),
            {"n": count, "center": CENTER_A},
        )
        await s.execute(
            text(
                "INSERT INTO schedule_sessions (day, start_time, end_time, academic_year,"
                " trainer_id, room_id, group_id, training_course_id, center_id)"
                " SELECT 'Wednesday', make_time(8, 0, 0) + make_interval(mins => n),"
                " make_time(8, 1, 0) + make_interval(mins => n), :year, 1000 + n, NULL,"
                " 1000 + n, :course, :center FROM generate_series(0, :n - 1) n"
            ),
            {"year": YEAR, "course": COURSE_A, "center": CENTER_A, "n": count},
        )


async def test_the_client_actions_are_constant(api: Api, schedule_app: FastAPI) -> None:
    """The web client's four template actions: the same statements for 2 or 40 rows."""
    counts: dict[str, list[int]] = {}
    for more in (1, 39):
        async with schedule_app.state.db.session() as s, s.begin():
            await s.execute(text("DELETE FROM schedule_sessions"))
        await _templates(schedule_app, more + 1)
        await _more_trainers(schedule_app, more)
        calls = {
            "trainers": (f"{SESSIONS}trainers_by_center/", {"center_id": CENTER_A}),
            "groups": (f"{SESSIONS}groups_by_center/", {"center_id": CENTER_A}),
            "trainer": (f"{SESSIONS}trainer_schedule/", {"trainer_id": TRAINER}),
            "group": (f"{SESSIONS}group_schedule/", {"group_id": GROUP_A1}),
        }
        for name, (url, params) in calls.items():
            for user in (1, SUP_A):
                count, body = await _count(
                    schedule_app,
                    api,
                    "GET",
                    url,
                    user,
                    params={**params, "academic_year": YEAR, "page_size": 1000},
                )
                size = len(body) if isinstance(body, list) else len(body["schedules"])
                assert size == more + 1, (name, size)
                counts.setdefault(f"{name}-{user}", []).append(count)
    assert all(a == b <= 3 for a, b in counts.values()), counts
