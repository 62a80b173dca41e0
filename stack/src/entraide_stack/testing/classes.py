"""A class to take attendance of, built through a stack's gateway: the tests of
attendance's justifications and alerts (issue 20) start from the same one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import httpx

from .gateway import eventually, login, ok

PASSWORD = "Sahara-Atlas-2024"
STUDENT_PASSWORD = "Oasis-Ifrane-2025"
#: the people besides the admin, by key: their role
STAFF = (
    ("supervisor", "center_supervisor"),
    ("other_supervisor", "center_supervisor"),
    ("trainer", "trainer"),
    ("other_trainer", "trainer"),
    ("association", "association_supervisor"),
)


def a_class(
    gw: httpx.Client,
    admin: dict[str, str],
    *,
    label: str,
    year: str,
    students: Sequence[tuple[str, str]],
    start_time: str = "08:30:00",
) -> dict[str, Any]:
    """A centre (supervised by ``people["supervisor"]``) with a room, a group, a
    programme's training course taught by ``people["trainer"]``, the ``students``
    (first, last names) in the group, the first one logged in as
    ``people["student"]``, and a Monday weekly template of the group: ``people``
    (key -> id and headers; STAFF's, the admin's, the student's), ``center``,
    ``group``, ``course``, ``students`` (ids), ``names`` (full names) and
    ``template``. ``label`` tells the records of one test module apart."""
    tag = uuid.uuid4().hex[:6]
    people: dict[str, Any] = {"admin": {"headers": admin}}
    for key, role in STAFF:
        email = f"{label}.{key}.{tag}@entraide.ma"
        body = {"email": email, "password": PASSWORD, "first_name": key, "role": role}
        ok(gw.post("/api/accounts/users/", json=body, headers=admin), 201)
        headers = login(gw, email, PASSWORD)
        me = ok(gw.get("/api/accounts/users/me/", headers=headers))
        people[key] = {"id": me["id"], "headers": headers}
    supervisor = people["supervisor"]["headers"]

    def created(path: str, body: dict[str, Any]) -> Any:
        return ok(gw.post(path, json=body, headers=admin), 201)

    center = created(
        "/api/centers-app/centers/",
        {"name": f"Centre {tag}", "city": "Fès", "supervisor": people["supervisor"]["id"]},
    )
    room = created(
        "/api/centers-app/rooms/",
        {"name": "B1", "type": "classroom", "capacity": 30, "center": center["id"]},
    )
    group = created("/api/centers-app/groups/", {"name": f"Group {tag}", "center": center["id"]})
    program = created(
        "/api/programs/trainingprogrames/",
        {"name": f"Programme {tag}", "description": "d", "duration_years": 2},
    )
    course = created(
        "/api/programs/trainingcourses/",
        {
            "program": program["id"],
            "center": center["id"],
            "trainer": people["trainer"]["id"],
            "academic_year": year,
        },
    )
    made, names = [], []
    for first, last in students:
        body = {
            "first_name": first,
            "last_name": f"{last}{tag}",
            "exam_id": f"{label[:3].upper()}{tag}{first[0]}",
            "center": center["id"],
            "program": program["id"],
            "academic_year": year,
            "joining_date": f"{year[:4]}-09-01",
            "group": group["id"],
            "training_course": course["id"],
        }
        made.append(ok(gw.post("/api/students/", json=body, headers=supervisor), 201))
        names.append(f"{first} {body['last_name']}")
    # The first student logs in (their one-time password changed first).
    first = made[0]
    pending = login(gw, first["user"]["email"], first["initial_password"])
    changed = ok(
        gw.post(
            "/api/accounts/users/change_password/",
            json={"old_password": first["initial_password"], "new_password": STUDENT_PASSWORD},
            headers=pending,
        )
    )
    people["student"] = {
        "id": first["user"]["id"],
        "headers": {"Authorization": f"Bearer {changed['access']}"},
    }
    template = eventually(
        lambda: gw.post(
            "/api/schedule/api/sessions/",
            json={
                "day": "Monday",
                "start_time": start_time,
                "end_time": f"{int(start_time[:2]) + 2:02d}{start_time[2:]}",
                "academic_year": year,
                "trainer": people["trainer"]["id"],
                "room": room["id"],
                "group": group["id"],
                "training_course": course["id"],
            },
            headers=supervisor,
        ),
        lambda r: r.status_code == 201,
    ).json()
    return {
        "people": people,
        "center": center,
        "group": group,
        "course": course,
        "students": [s["id"] for s in made],
        "names": names,
        "template": template,
    }


def headers(world: dict[str, Any], who: str) -> dict[str, str]:
    """The Authorization header of ``world["people"][who]``."""
    value: dict[str, str] = world["people"][who]["headers"]
    return value
