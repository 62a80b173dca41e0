"""The web client's attendance calls through the gateway (client-compat.md,
section 8 rows 62-64), each request as the client builds it, every field it
reads asserted.

- M3 (row 62): ``records/?trainer_id=me&date=D&page_size=1000`` as a trainer
  (TrainerAttendancePage), and with a numeric trainer id as an admin.
- F28 (row 62): the records' ``session_template_details`` and their instance's
  ``schedule_template_details``, with the training course's programme and name.
- F30 (rows 63-64): ``by_session/?session_template_id=X&date=D&page_size=1000``
  and ``bulk_create/`` with the client's JSON body (TrainerSchedulePage).

The records are made through the gateway: users, a centre and its group,
programmes and training courses, weekly templates and a generated week,
students; attendance learns them from the events.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from entraide_stack.testing.gateway import eventually, login, ok

PASSWORD = "Sahara-Atlas-2024"
YEAR = "2024-2025"
RECORDS = "/api/attendance/api/records/"
# The client sends the selected day (today by default) as YYYY-MM-DD.
TODAY = dt.date.today()
D = TODAY.isoformat()
DAY = TODAY.strftime("%A")


def client_list(gw: httpx.Client, trainer_id: Any, headers: dict[str, str]) -> list[Any]:
    """TrainerAttendancePage's call: a page of 1000, ``results`` kept."""
    resp = gw.get(f"{RECORDS}?trainer_id={trainer_id}&date={D}&page_size=1000", headers=headers)
    data = ok(resp)
    return data if isinstance(data, list) else data["results"]


@pytest.fixture(scope="module")
def world(full_stack: Any, full_gw: httpx.Client) -> dict[str, Any]:
    gw = full_gw
    admin = login(gw, full_stack.admin_email, full_stack.admin_password())
    tag = uuid.uuid4().hex[:6]

    people: dict[str, Any] = {}
    for key, role, first, last in (
        ("supervisor", "center_supervisor", "Said", "Alaoui"),
        ("trainer", "trainer", "Ahmed", "Benali"),
        ("other", "trainer", "Nadia", "Tazi"),
    ):
        email = f"{first.lower()}.{tag}@entraide.ma"
        body = {
            "email": email,
            "password": PASSWORD,
            "first_name": first,
            "last_name": last,
            "role": role,
        }
        ok(gw.post("/api/accounts/users/", json=body, headers=admin), 201)
        headers = login(gw, email, PASSWORD)
        me = ok(gw.get("/api/accounts/users/me/", headers=headers))
        people[key] = {"id": me["id"], "headers": headers, "name": f"{first} {last}"}
    supervisor = people["supervisor"]["headers"]

    center = ok(
        gw.post(
            "/api/centers-app/centers/",
            json={
                "name": f"Centre {tag}",
                "city": "Rabat",
                "supervisor": people["supervisor"]["id"],
            },
            headers=admin,
        ),
        201,
    )
    rooms = [
        ok(
            gw.post(
                "/api/centers-app/rooms/",
                json={"name": name, "type": "classroom", "capacity": 30, "center": center["id"]},
                headers=admin,
            ),
            201,
        )
        for name in ("A1", "A2")
    ]
    group = ok(
        gw.post(
            "/api/centers-app/groups/",
            json={"name": f"Alpha {tag}", "center": center["id"]},
            headers=admin,
        ),
        201,
    )

    courses = {}
    for key, name in (("trainer", f"Web {tag}"), ("other", f"Design {tag}")):
        program = ok(
            gw.post(
                "/api/programs/trainingprogrames/",
                json={"name": name, "description": "d", "duration_years": 2},
                headers=admin,
            ),
            201,
        )
        course = ok(
            gw.post(
                "/api/programs/trainingcourses/",
                json={
                    "program": program["id"],
                    "center": center["id"],
                    "trainer": people[key]["id"],
                    "academic_year": YEAR,
                },
                headers=admin,
            ),
            201,
        )
        courses[key] = {
            "id": course["id"],
            "program": program,
            "name": f"{name} - Centre {tag} - {people[key]['name']}",
        }

    students = []
    for first, last in (("Fatima", "Zahra"), ("Omar", "Idrissi")):
        body = {
            "first_name": first,
            "last_name": f"{last}{tag}",
            "exam_id": f"STU{tag}{first[0]}",
            "center": center["id"],
            "program": courses["trainer"]["program"]["id"],
            "academic_year": YEAR,
            "joining_date": "2024-09-01",
            "group": group["id"],
            "training_course": courses["trainer"]["id"],
        }
        made = ok(gw.post("/api/students/", json=body, headers=supervisor), 201)
        students.append({"id": made["id"], "first_name": first, "last_name": body["last_name"]})

    # Today's weekly templates: the trainer's at 08:30, the other trainer's at 10:30.
    templates = {}
    for key, start, end, room in (
        ("trainer", "08:30:00", "10:30:00", rooms[0]),
        ("other", "10:30:00", "12:30:00", rooms[1]),
    ):
        body = {
            "day": DAY,
            "start_time": start,
            "end_time": end,
            "academic_year": YEAR,
            "trainer": people[key]["id"],
            "room": room["id"],
            "group": group["id"],
            "training_course": courses[key]["id"],
        }
        templates[key] = eventually(
            lambda body=body: gw.post("/api/schedule/api/sessions/", json=body, headers=supervisor),
            lambda r: r.status_code == 201,
        ).json()
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    week = ok(
        gw.post(
            "/api/schedule/api/instances/generate_for_week/",
            json={"start_date": monday.isoformat(), "academic_year": YEAR},
            headers=supervisor,
        )
    )
    instance = next(
        i for i in week["instances"] if i["schedule_template"] == templates["trainer"]["id"]
    )
    assert instance["specific_date"] == D

    def take(headers: dict[str, str], body: dict[str, Any]) -> None:
        eventually(
            lambda: gw.post(f"{RECORDS}bulk_create/", json=body, headers=headers),
            lambda r: (
                r.status_code == 200
                and r.json()["errors"] == []
                and r.json()["created"] + r.json()["updated"] == len(body["attendance_records"])
            ),
        )

    ids = [s["id"] for s in students]
    # The trainer's class by template, as TrainerSchedulePage sends it.
    take(
        people["trainer"]["headers"],
        {
            "session_template_id": templates["trainer"]["id"],
            "date": D,
            "attendance_records": [
                {"student_id": ids[0], "status": "present"},
                {"student_id": ids[1], "status": "absent"},
            ],
        },
    )
    # The same class through today's instance, and the other trainer's class.
    take(
        admin,
        {
            "session_instance_id": instance["id"],
            "date": D,
            "attendance_records": [{"student_id": ids[0], "status": "late", "notes": "bus"}],
        },
    )
    take(
        people["other"]["headers"],
        {
            "session_template_id": templates["other"]["id"],
            "date": D,
            "attendance_records": [{"student_id": ids[1], "status": "present"}],
        },
    )
    return {
        "admin": admin,
        "people": people,
        "courses": courses,
        "students": students,
        "templates": templates,
        "instance": instance,
    }


def _kinds(records: list[Any]) -> set[tuple[Any, ...]]:
    return {
        (r["student"], r["session_template"], r["session_instance"], r["status"]) for r in records
    }


def test_M3_trainer_id_me_and_a_numeric_trainer_id(
    full_gw: httpx.Client, world: dict[str, Any]
) -> None:
    gw, people = full_gw, world["people"]
    s1, s2 = (s["id"] for s in world["students"])
    mine_tpl, other_tpl = world["templates"]["trainer"]["id"], world["templates"]["other"]["id"]
    mine = {
        (s1, mine_tpl, None, "present"),
        (s2, mine_tpl, None, "absent"),
        (s1, None, world["instance"]["id"], "late"),
    }
    # The trainer's own records of the day, whatever trainer_id asks.
    trainer = people["trainer"]["headers"]
    assert _kinds(client_list(gw, "me", trainer)) == mine
    assert _kinds(client_list(gw, people["other"]["id"], trainer)) == mine
    assert _kinds(client_list(gw, "me", people["other"]["headers"])) == {
        (s2, other_tpl, None, "present")
    }
    # An admin names the trainer by id: the records of that trainer's templates.
    admin = world["admin"]
    assert _kinds(client_list(gw, people["trainer"]["id"], admin)) == mine
    assert _kinds(client_list(gw, people["other"]["id"], admin)) == {
        (s2, other_tpl, None, "present")
    }
    # The centre's supervisor: both, by trainer.
    supervisor = people["supervisor"]["headers"]
    assert _kinds(client_list(gw, people["trainer"]["id"], supervisor)) == mine
    for record in client_list(gw, "me", trainer):
        assert record["date"] == D
    bad = gw.get(f"{RECORDS}?trainer_id=abc&date={D}&page_size=1000", headers=admin)
    assert bad.status_code == 400 and bad.json() == {
        "trainer_id": ['Enter a whole number, or "me".']
    }
    # Declared, so it shows in the merged OpenAPI document.
    doc = ok(gw.get("/swagger.json"))
    params = doc["paths"][RECORDS]["get"]["parameters"]
    assert any(p["name"] == "trainer_id" and p["in"] == "query" for p in params)


def test_F28_records_name_their_session(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    gw = full_gw
    trainer = world["people"]["trainer"]["headers"]
    course = world["courses"]["trainer"]
    template = world["templates"]["trainer"]

    def labelled(records: list[Any]) -> bool:
        details = [
            r["session_template_details"]
            or (r["session_instance_details"] or {}).get("schedule_template_details")
            for r in records
        ]
        return len(records) == 3 and all(d and d["training_course_details"] for d in details)

    # Each service learns the training course from programs' events.
    records = eventually(lambda: client_list(gw, "me", trainer), labelled)
    expected_course = {
        "id": course["id"],
        "name": course["name"],
        "program": {"id": course["program"]["id"], "name": course["program"]["name"]},
    }
    by_template = [r for r in records if r["session_template"] is not None]
    by_instance = [r for r in records if r["session_instance"] is not None]
    assert len(by_template) == 2 and len(by_instance) == 1
    for r in by_template:
        # getSessionString: program.name - name (day start_time)
        details = r["session_template_details"]
        assert details["id"] == template["id"]
        assert details["day"] == DAY
        assert details["start_time"] == "08:30:00"
        assert details["end_time"] == "10:30:00"
        assert details["training_course_details"] == expected_course
        assert details["training_course_details"]["program"]["name"] == course["program"]["name"]
        assert details["training_course_details"]["name"] == course["name"]
        assert r["session_instance_details"] is None
        assert r["date"] == D and r["status"] in {"present", "absent"} and r["notes"] == ""
    r = by_instance[0]
    inst = r["session_instance_details"]
    assert inst["id"] == world["instance"]["id"]
    assert inst["specific_date"] == D
    tpl = inst["schedule_template_details"]
    assert tpl["id"] == template["id"] and tpl["day"] == DAY
    assert tpl["training_course_details"]["program"]["name"] == course["program"]["name"]
    assert tpl["training_course_details"]["name"] == course["name"]
    assert r["session_template_details"] is None
    assert (r["date"], r["status"], r["notes"]) == (D, "late", "bus")
    # The same read shape on a record's own page.
    one = ok(gw.get(f"{RECORDS}{r['id']}/", headers=trainer))
    assert one["session_instance_details"]["schedule_template_details"] == tpl


def test_F30_by_session_and_bulk_create_as_the_client_sends_them(
    full_gw: httpx.Client, world: dict[str, Any]
) -> None:
    gw = full_gw
    trainer = world["people"]["trainer"]["headers"]
    template = world["templates"]["trainer"]["id"]
    s1, s2 = world["students"]
    # TrainerSchedulePage: JSON, today's date, numeric student ids; reads nothing.
    # (The statuses the fixture took: the other tests' expectations stay true.)
    body = {
        "session_template_id": template,
        "date": D,
        "attendance_records": [
            {"student_id": s1["id"], "status": "present"},
            {"student_id": s2["id"], "status": "absent"},
        ],
    }
    resp = gw.post(f"{RECORDS}bulk_create/", json=body, headers=trainer)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["created"], resp.json()["updated"]) == (0, 2)
    # TrainerAttendancePage / TrainerSchedulePage: the session's records of the day.
    listed = ok(
        gw.get(
            f"{RECORDS}by_session/?session_template_id={template}&date={D}&page_size=1000",
            headers=trainer,
        )
    )
    assert isinstance(listed, list)
    seen = {
        r["student"]: (
            r["status"],
            r["student_details"]["user"]["first_name"],
            r["student_details"]["user"]["last_name"],
        )
        for r in listed
    }
    assert seen == {
        s1["id"]: ("present", s1["first_name"], s1["last_name"]),
        s2["id"]: ("absent", s2["first_name"], s2["last_name"]),
    }
