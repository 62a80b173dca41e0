"""The web client's schedule calls through the gateway (issue 17; ids from
../shared/spec/client-compat.md, section 8): the four weekly-template actions
(E12-E15) as CenterSchedulesPage, TrainerSchedulePage and TrainerAttendancePage
build them, a template whose course is gone (F29), and the contract's two gaps
(reschedule keeps the duration, weekly_summary lists the sessions)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from entraide_stack.testing.gateway import eventually, ok

PASSWORD = "Sahara-Atlas-2024"
YEAR = "2024-2025"  # what CenterSchedulesPage always sends
MONDAY = "2024-06-10"
NEXT_MONDAY = "2024-06-17"
SESSIONS = "/api/schedule/api/sessions/"
INSTANCES = "/api/schedule/api/instances/"


def login(gw: httpx.Client, email: str) -> dict[str, str]:
    tokens = ok(gw.post("/api/token/", json={"email": email, "password": PASSWORD}))
    return {"Authorization": f"Bearer {tokens['access']}"}


@pytest.fixture(scope="module")
def world(full_stack: Any, full_gw: httpx.Client) -> dict[str, Any]:
    """Centre A (supervised by Said): Ahmed teaches group Alpha on Monday (room A1) and
    Beta on Tuesday (no room) in 2024-2025, Alpha on Thursday in 2023-2024; Karima has
    an inactive Wednesday template there. Centre B: Karima teaches on Friday."""
    gw = full_gw
    admin = ok(
        gw.post(
            "/api/token/",
            json={"email": full_stack.admin_email, "password": full_stack.admin_password()},
        )
    )
    admin_h = {"Authorization": f"Bearer {admin['access']}"}
    tag = uuid.uuid4().hex[:6]
    people: dict[str, dict[str, Any]] = {}
    for key, role, first, last in (
        ("said", "center_supervisor", "Said", "Alaoui"),
        ("ahmed", "trainer", "Ahmed", "Benali"),
        ("karima", "trainer", "Karima", "Kettani"),
        ("sara", "student", "Sara", "Squalli"),
    ):
        email = f"{first.lower()}.{last.lower()}.{tag}@entraide.ma"
        user = ok(
            gw.post(
                "/api/accounts/users/",
                json={
                    "email": email,
                    "password": PASSWORD,
                    "first_name": first,
                    "last_name": last,
                    "role": role,
                },
                headers=admin_h,
            ),
            201,
        )
        people[key] = {"id": user["id"], "email": email, "headers": login(gw, email)}

    def post(path: str, body: dict[str, Any]) -> Any:
        return ok(gw.post(path, json=body, headers=admin_h), 201)

    center = post(
        "/api/centers-app/centers/",
        {"name": f"Rabat {tag}", "city": "Rabat", "supervisor": people["said"]["id"]},
    )
    center_b = post("/api/centers-app/centers/", {"name": f"Fes {tag}", "city": "Fes"})
    room = post(
        "/api/centers-app/rooms/",
        {
            "name": f"Classroom A1 {tag}",
            "type": "classroom",
            "capacity": 30,
            "center": center["id"],
        },
    )
    alpha = post(
        "/api/centers-app/groups/",
        {"name": f"Alpha {tag}", "description": "Morning group", "center": center["id"]},
    )
    beta = post(
        "/api/centers-app/groups/",
        {"name": f"Beta {tag}", "description": "Evening group", "center": center["id"]},
    )
    program = post(
        "/api/programs/trainingprogrames/",
        {"name": f"Web Development {tag}", "description": "Web", "duration_years": 2},
    )

    def course(center_id: int, trainer: str) -> Any:
        return post(
            "/api/programs/trainingcourses/",
            {
                "program": program["id"],
                "center": center_id,
                "trainer": people[trainer]["id"],
                "academic_year": YEAR,
            },
        )

    web, web_karima, web_fes = (
        course(center["id"], "ahmed"),
        course(center["id"], "karima"),
        course(center_b["id"], "karima"),
    )

    def template(**body: Any) -> Any:
        base = {
            "start_time": "08:30:00",
            "end_time": "10:30:00",
            "academic_year": YEAR,
            "trainer": people["ahmed"]["id"],
            "training_course": web["id"],
            "is_active": True,
        }
        return post(SESSIONS, {**base, **body})

    templates = {
        "monday": template(day="Monday", room=room["id"], group=alpha["id"]),
        "tuesday": template(
            day="Tuesday", start_time="10:30:00", end_time="12:30:00", group=beta["id"]
        ),
        "last_year": template(day="Thursday", group=alpha["id"], academic_year="2023-2024"),
        "inactive": template(
            day="Wednesday",
            trainer=people["karima"]["id"],
            training_course=web_karima["id"],
            group=beta["id"],
            is_active=False,
        ),
        "fes": template(
            day="Friday", trainer=people["karima"]["id"], training_course=web_fes["id"]
        ),
    }
    return {
        "tag": tag,
        "admin": admin_h,
        "people": people,
        "center": center,
        "center_b": center_b,
        "room": room,
        "alpha": alpha,
        "beta": beta,
        "program": program,
        "courses": {"web": web, "web_fes": web_fes},
        "templates": templates,
    }


def _as_supervisor(gw: httpx.Client, world: dict[str, Any], path: str, **params: Any) -> Any:
    """A call of CenterSchedulesPage; the first ones wait for schedule to hear who
    supervises the new centre (its event)."""
    headers = world["people"]["said"]["headers"]
    resp = eventually(
        lambda: gw.get(path, params=params, headers=headers), lambda r: r.status_code != 403
    )
    return ok(resp)


def _check_session(session: dict[str, Any], world: dict[str, Any], name: str) -> None:
    """Every field the client's timetable cell reads."""
    tpl = world["templates"][name]
    assert session["id"] == tpl["id"] and session["day"] == tpl["day"]
    assert session["start_time"] == tpl["start_time"] and session["end_time"] == tpl["end_time"]
    assert session["is_active"] is True
    assert session["trainer_details"]["full_name"] in ("Ahmed Benali", "Karima Kettani")
    assert session["training_course_details"]["program"]["name"] == world["program"]["name"]
    if tpl["group"] is not None:
        assert session["group_details"]["id"] == tpl["group"]
        assert session["group_details"]["name"] == tpl["group_details"]["name"]
    if tpl["room"] is not None:
        assert session["room_details"]["name"] == world["room"]["name"]
    else:
        assert session["room_details"] is None


def test_E12_trainers_by_center(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    trainers = _as_supervisor(
        full_gw,
        world,
        f"{SESSIONS}trainers_by_center/",
        center_id=world["center"]["id"],
        academic_year=YEAR,
    )
    # Karima's only template in the centre is inactive: not listed. A plain array.
    ahmed = world["people"]["ahmed"]
    assert trainers == [
        {
            "id": ahmed["id"],
            "first_name": "Ahmed",
            "last_name": "Benali",
            "email": ahmed["email"],
            "full_name": "Ahmed Benali",
        }
    ]
    missing = full_gw.get(
        f"{SESSIONS}trainers_by_center/",
        params={"academic_year": YEAR},
        headers=world["people"]["said"]["headers"],
    )
    assert missing.status_code == 400 and missing.json() == {"error": "center_id is required"}
    other = full_gw.get(
        f"{SESSIONS}trainers_by_center/",
        params={"center_id": world["center_b"]["id"], "academic_year": YEAR},
        headers=world["people"]["said"]["headers"],
    )
    assert other.status_code == 403


def test_E13_groups_by_center(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    groups = _as_supervisor(
        full_gw,
        world,
        f"{SESSIONS}groups_by_center/",
        center_id=world["center"]["id"],
        academic_year=YEAR,
    )
    assert [g["id"] for g in groups] == [world["alpha"]["id"], world["beta"]["id"]]
    for got, made in zip(groups, (world["alpha"], world["beta"]), strict=True):
        assert got == {
            "id": made["id"],
            "name": made["name"],
            "description": made["description"],
            "center": world["center"]["id"],
        }
    student = full_gw.get(
        f"{SESSIONS}groups_by_center/",
        params={"center_id": world["center"]["id"], "academic_year": YEAR},
        headers=world["people"]["sara"]["headers"],
    )
    assert student.status_code == 403


def test_E14_trainer_schedule(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    gw, ahmed = full_gw, world["people"]["ahmed"]
    # Row 59: CenterSchedulesPage, a trainer picked from E12, the centre, the fixed year.
    body = _as_supervisor(
        gw,
        world,
        f"{SESSIONS}trainer_schedule/",
        trainer_id=ahmed["id"],
        center_id=world["center"]["id"],
        academic_year=YEAR,
    )
    assert body["trainer"]["id"] == ahmed["id"]
    assert body["trainer"]["full_name"] == "Ahmed Benali"
    schedules = body["schedules"]
    assert [s["id"] for s in schedules] == [
        world["templates"]["monday"]["id"],
        world["templates"]["tuesday"]["id"],
    ]
    _check_session(schedules[0], world, "monday")
    _check_session(schedules[1], world, "tuesday")

    # Row 60: TrainerSchedulePage (their own id, a chosen year) ...
    own = ok(
        gw.get(
            f"{SESSIONS}trainer_schedule/",
            params={"trainer_id": ahmed["id"], "academic_year": "2023-2024"},
            headers=ahmed["headers"],
        )
    )
    assert [s["id"] for s in own["schedules"]] == [world["templates"]["last_year"]["id"]]
    _check_session(own["schedules"][0], world, "last_year")
    # ... and TrainerAttendancePage (their own id, no year, page_size=1000 ignored).
    every = ok(
        gw.get(
            f"{SESSIONS}trainer_schedule/",
            params={"trainer_id": ahmed["id"], "page_size": 1000},
            headers=ahmed["headers"],
        )
    )
    assert [s["day"] for s in every["schedules"]] == ["Monday", "Tuesday", "Thursday"]
    for s in every["schedules"]:
        assert s["training_course_details"]["program"]["name"] == world["program"]["name"]
    # Another trainer's schedule: refused.
    karima = world["people"]["karima"]
    other = gw.get(
        f"{SESSIONS}trainer_schedule/",
        params={"trainer_id": karima["id"], "page_size": 1000},
        headers=ahmed["headers"],
    )
    assert other.status_code == 403
    missing = gw.get(
        f"{SESSIONS}trainer_schedule/", params={"page_size": 1000}, headers=ahmed["headers"]
    )
    assert missing.status_code == 400 and missing.json() == {"error": "trainer_id is required"}
    unknown = gw.get(
        f"{SESSIONS}trainer_schedule/", params={"trainer_id": 99999999}, headers=world["admin"]
    )
    assert unknown.status_code == 404


def test_E15_group_schedule(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    body = _as_supervisor(
        full_gw,
        world,
        f"{SESSIONS}group_schedule/",
        group_id=world["alpha"]["id"],
        center_id=world["center"]["id"],
        academic_year=YEAR,
    )
    assert body["group"] == {
        "id": world["alpha"]["id"],
        "name": world["alpha"]["name"],
        "description": "Morning group",
        "center": world["center"]["id"],
    }
    # The 2023-2024 template of the group is another year's.
    assert [s["id"] for s in body["schedules"]] == [world["templates"]["monday"]["id"]]
    _check_session(body["schedules"][0], world, "monday")
    assert body["schedules"][0]["trainer_details"]["full_name"] == "Ahmed Benali"
    missing = full_gw.get(
        f"{SESSIONS}group_schedule/",
        params={"center_id": world["center"]["id"], "academic_year": YEAR},
        headers=world["people"]["said"]["headers"],
    )
    assert missing.status_code == 400 and missing.json() == {"error": "group_id is required"}
    unknown = full_gw.get(
        f"{SESSIONS}group_schedule/", params={"group_id": 99999999}, headers=world["admin"]
    )
    assert unknown.status_code == 404


def test_F29_a_template_whose_course_is_gone(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    gw, fes = full_gw, world["templates"]["fes"]
    gone = gw.delete(
        f"/api/programs/trainingcourses/{world['courses']['web_fes']['id']}/",
        headers=world["admin"],
    )
    assert gone.status_code == 204, gone.text
    # The course's deletion reaches schedule's copy; the template stays, its course
    # details are never null.
    shown = eventually(
        lambda: ok(gw.get(f"{SESSIONS}{fes['id']}/", headers=world["admin"])),
        lambda b: b["training_course_details"]["program"]["name"] == "",
    )
    assert shown["training_course"] == world["courses"]["web_fes"]["id"]
    # As TrainerAttendancePage reads it: Karima's own schedule.
    karima = world["people"]["karima"]
    body = ok(
        gw.get(
            f"{SESSIONS}trainer_schedule/",
            params={"trainer_id": karima["id"], "page_size": 1000},
            headers=karima["headers"],
        )
    )
    (session,) = body["schedules"]
    assert session["id"] == fes["id"]
    assert session["training_course_details"] is not None
    assert session["training_course_details"]["program"]["name"] == ""
    assert session["trainer_details"]["full_name"] == "Karima Kettani"


def _generate(gw: httpx.Client, world: dict[str, Any], monday: str) -> list[dict[str, Any]]:
    """The week of the supervisor's centre only (other tests' templates stay untouched)."""
    resp = eventually(
        lambda: gw.post(
            f"{INSTANCES}generate_for_week/",
            json={"start_date": monday, "academic_year": YEAR},
            headers=world["people"]["said"]["headers"],
        ),
        lambda r: r.status_code != 403,
    )
    return list(ok(resp)["instances"])


def test_reschedule_with_a_new_start_keeps_the_duration(
    full_gw: httpx.Client, world: dict[str, Any]
) -> None:
    gw, ahmed = full_gw, world["people"]["ahmed"]
    _generate(gw, world, NEXT_MONDAY)
    week = ok(
        gw.get(
            INSTANCES,
            params={
                "schedule_template": world["templates"]["monday"]["id"],
                "specific_date": NEXT_MONDAY,
            },
            headers=ahmed["headers"],
        )
    )
    (instance,) = week["results"]
    moved = ok(
        gw.post(
            f"{INSTANCES}{instance['id']}/reschedule/",
            json={"new_date": "2024-06-22", "new_start_time": "14:00:00", "reason": "Room works"},
            headers=ahmed["headers"],
        )
    )
    assert moved["status"] == "rescheduled" and moved["specific_date"] == "2024-06-22"
    # 08:30-10:30 moved to 14:00 keeps its two hours.
    assert moved["effective_start_time"] == "14:00:00"
    assert moved["effective_end_time"] == "16:00:00"


def test_weekly_summary_lists_the_sessions(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    gw = full_gw
    _generate(gw, world, MONDAY)
    summary = ok(
        gw.get(
            f"{INSTANCES}weekly_summary/",
            params={
                "week_start": MONDAY,
                "academic_year": YEAR,
                "center_id": world["center"]["id"],
            },
            headers=world["people"]["said"]["headers"],
        )
    )
    # The documented counts are still there ...
    assert summary["total_sessions"] == 2 and summary["by_status"]["scheduled"] == 2
    assert len(summary["days"]) == 7 and summary["trainer_hours"][0]["hours"] == 4.0
    # ... beside the week's sessions (the inactive template has none).
    monday, tuesday = summary["sessions"]
    assert set(monday) == {
        "id",
        "schedule_template",
        "specific_date",
        "effective_start_time",
        "effective_end_time",
        "status",
        "effective_trainer",
        "effective_room",
        "group",
        "group_details",
        "training_course",
        "training_course_details",
    }
    assert monday["schedule_template"] == world["templates"]["monday"]["id"]
    assert (monday["specific_date"], monday["effective_start_time"]) == (MONDAY, "08:30:00")
    assert monday["effective_end_time"] == "10:30:00" and monday["status"] == "scheduled"
    assert monday["effective_trainer"]["full_name"] == "Ahmed Benali"
    assert monday["effective_room"]["name"] == world["room"]["name"]
    assert monday["group_details"]["name"] == world["alpha"]["name"]
    assert monday["training_course"] == world["courses"]["web"]["id"]
    assert monday["training_course_details"]["program"]["name"] == world["program"]["name"]
    assert tuesday["specific_date"] == "2024-06-11" and tuesday["effective_room"] is None
    assert tuesday["group_details"]["name"] == world["beta"]["name"]
