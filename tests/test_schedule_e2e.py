"""The schedule service through the real stack (auth, centers, programs, schedule,
Traefik): a template made of records created a moment ago in three other services,
the week generated, the trainer's timetable and its calendar feed, and names that
follow a rename in programs."""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest

from entraide_stack import Stack, StackConfig

PASSWORD = "Sahara-Atlas-2024"
YEAR = "2024-2025"
MONDAY = "2024-06-10"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="entraide-e2e-schedule-"))
    config = StackConfig.for_tests(
        root,
        services=["auth", "centers", "programs", "schedule"],
        extra_env={"ENTRAIDE_RATE_LIMIT_ANON": "100000", "ENTRAIDE_RATE_LIMIT_USER": "100000"},
    )
    with Stack(config) as running:
        yield running


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
        yield client


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def _login(gw: httpx.Client, email: str, password: str) -> dict[str, str]:
    tokens = _ok(gw.post("/api/token/", json={"email": email, "password": password}))
    return {"Authorization": f"Bearer {tokens['access']}"}


def test_a_week_of_sessions_through_the_gateway(stack: Stack, gw: httpx.Client) -> None:
    admin = _login(gw, stack.admin_email, stack.admin_password())
    tag = uuid.uuid4().hex[:6]
    email = f"ahmed.benali.{tag}@entraide.ma"
    trainer = _ok(
        gw.post(
            "/api/accounts/users/",
            json={
                "email": email,
                "password": PASSWORD,
                "first_name": "Ahmed",
                "last_name": "Benali",
                "role": "trainer",
            },
            headers=admin,
        ),
        201,
    )
    center = _ok(
        gw.post(
            "/api/centers-app/centers/",
            json={"name": f"Rabat Training Center {tag}", "city": "Rabat"},
            headers=admin,
        ),
        201,
    )
    room = _ok(
        gw.post(
            "/api/centers-app/rooms/",
            json={
                "name": "Classroom A1",
                "type": "classroom",
                "capacity": 30,
                "center": center["id"],
            },
            headers=admin,
        ),
        201,
    )
    group = _ok(
        gw.post(
            "/api/centers-app/groups/",
            json={
                "name": "Group Alpha",
                "description": "Advanced programming group",
                "center": center["id"],
            },
            headers=admin,
        ),
        201,
    )
    program = _ok(
        gw.post(
            "/api/programs/trainingprogrames/",
            json={"name": f"Web Development {tag}", "description": "Web", "duration_years": 2},
            headers=admin,
        ),
        201,
    )
    course = _ok(
        gw.post(
            "/api/programs/trainingcourses/",
            json={
                "program": program["id"],
                "center": center["id"],
                "trainer": trainer["id"],
                "academic_year": YEAR,
            },
            headers=admin,
        ),
        201,
    )

    # At once: schedule may not have the copies yet, and asks their owners once.
    body = {
        "day": "Monday",
        "start_time": "08:30:00",
        "end_time": "10:30:00",
        "academic_year": YEAR,
        "trainer": trainer["id"],
        "room": room["id"],
        "group": group["id"],
        "training_course": course["id"],
        "is_active": True,
    }
    template = _ok(gw.post("/api/schedule/api/sessions/", json=body, headers=admin), 201)
    assert template["trainer_details"] == {
        "id": trainer["id"],
        "first_name": "Ahmed",
        "last_name": "Benali",
        "email": email,
        "full_name": "Ahmed Benali",
    }
    assert template["room_details"] == {
        "id": room["id"],
        "name": "Classroom A1",
        "type": "classroom",
        "capacity": 30,
    }
    assert template["group_details"] == {
        "id": group["id"],
        "name": "Group Alpha",
        "description": "Advanced programming group",
    }
    assert template["training_course_details"] == {
        "id": course["id"],
        "program": {"name": f"Web Development {tag}", "duration_years": 2},
        "center": {"name": f"Rabat Training Center {tag}"},
        "academic_year": YEAR,
    }
    clash = gw.post(
        "/api/schedule/api/sessions/",
        json={**body, "start_time": "09:00:00", "room": None, "group": None},
        headers=admin,
    )
    assert clash.status_code == 400
    assert clash.json() == {
        "non_field_errors": ["Trainer Ahmed Benali already has a session on Monday at 08:30:00"]
    }

    generated = _ok(
        gw.post(
            "/api/schedule/api/instances/generate_for_week/",
            json={"start_date": MONDAY, "academic_year": YEAR},
            headers=admin,
        )
    )
    assert generated["message"] == "Created 1 session instances"
    (instance,) = generated["instances"]
    assert instance["effective_trainer"]["full_name"] == "Ahmed Benali"
    again = gw.post(
        "/api/schedule/api/instances/generate_for_week/",
        json={"start_date": MONDAY, "academic_year": YEAR},
        headers=admin,
    )
    assert _ok(again)["instances"] == []

    # The trainer reads their week, marks the session done, and subscribes to the feed.
    own = _login(gw, email, PASSWORD)
    period = {"trainer_id": trainer["id"], "start_date": MONDAY, "end_date": "2024-06-16"}
    timetable = _ok(
        gw.get("/api/schedule/api/instances/trainer_timetable/", params=period, headers=own)
    )
    assert timetable["trainer"] == {"id": trainer["id"], "name": "Ahmed Benali", "email": email}
    assert timetable["period"] == {"start_date": MONDAY, "end_date": "2024-06-16"}
    assert timetable["sessions"] == [
        {
            "id": instance["id"],
            "specific_date": MONDAY,
            "effective_start_time": "08:30:00",
            "effective_end_time": "10:30:00",
            "status": "scheduled",
            "schedule_template_details": {
                "training_course_details": {"program": {"name": f"Web Development {tag}"}}
            },
        }
    ]
    done = gw.patch(
        f"/api/schedule/api/instances/{instance['id']}/", json={"status": "completed"}, headers=own
    )
    assert _ok(done)["status"] == "completed"
    feed = gw.get("/api/schedule/api/instances/trainer_timetable.ics", params=period, headers=own)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert str(event["summary"]) == f"Web Development {tag} (Group Alpha)"
    assert str(event["location"]) == "Classroom A1"
    assert event.decoded("dtstart").isoformat().startswith("2024-06-10T08:30:00")
    assert (
        gw.get("/api/schedule/api/instances/trainer_timetable.ics", params=period).status_code
        == 401
    )

    # A programme renamed in programs: its course's event brings the name to schedule.
    _ok(
        gw.patch(
            f"/api/programs/trainingprogrames/{program['id']}/",
            json={"name": f"Full-Stack Web {tag}"},
            headers=admin,
        )
    )
    deadline = time.monotonic() + 30
    while True:
        shown = _ok(gw.get(f"/api/schedule/api/sessions/{template['id']}/", headers=own))
        if shown["training_course_details"]["program"]["name"] == f"Full-Stack Web {tag}":
            break
        assert time.monotonic() < deadline, shown
        time.sleep(0.1)
