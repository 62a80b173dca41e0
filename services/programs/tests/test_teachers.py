"""Teachers: roles, centre scoping, their courses. Creating and deleting a teacher's
user needs auth: those flows are in tests/test_programs_e2e.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from .conftest import (
    ADMIN,
    ASSOC_SUP,
    CENTER_A,
    CENTER_B,
    COURSES,
    GROUP_A1,
    GROUP_A2,
    GROUP_B1,
    PROGRAMS,
    STUDENT,
    SUP_A,
    SUP_B,
    TEACHERS,
    TRAINER,
    TRAINER_B,
    TRAINER_IDLE,
    Api,
    Apply,
    MakeTeacher,
    outbox_rows,
)

World = Callable[[], Awaitable[dict[str, Any]]]


async def _two_teachers(world: World, make_teacher: MakeTeacher) -> dict[str, Any]:
    w = await world()
    w["tA"] = await make_teacher(TRAINER, CENTER_A, w["web"]["id"], [GROUP_A1, GROUP_A2])
    w["tB"] = await make_teacher(
        TRAINER_B, CENTER_B, w["plumbing"]["id"], [GROUP_B1], "association"
    )
    return w


def ids(resp: httpx.Response) -> list[int]:
    assert resp.status_code == 200, resp.text
    return [r["id"] for r in resp.json()["results"]]


async def test_shape_and_who_reads(api: Api, world: World, make_teacher: MakeTeacher) -> None:
    w = await _two_teachers(world, make_teacher)
    t = (await api("GET", f"{TEACHERS}{w['tA']}/")).json()
    assert t == {
        "id": w["tA"],
        "user": {
            "id": TRAINER,
            "email": f"u{TRAINER}@entraide.ma",
            "first_name": "Tariq",
            "last_name": "Tazi",
            "is_active": True,
        },
        "center": CENTER_A,
        "center_name": "Centre A",
        "program": w["web"]["id"],
        "program_name": "Web Development",
        "groups": [GROUP_A1, GROUP_A2],
        "groups_details": [
            {"id": GROUP_A1, "name": "Group A1"},
            {"id": GROUP_A2, "name": "Group A2"},
        ],
        "contract_with": "entraide",
        "contract_start_date": None,
        "contract_end_date": None,
        "created_at": t["created_at"],
        "updated_at": t["updated_at"],
    }
    # Ordered by last name: Berrada (B), Tazi (A).
    assert ids(await api("GET", TEACHERS, ADMIN)) == [w["tB"], w["tA"]]
    assert ids(await api("GET", TEACHERS, ASSOC_SUP)) == [w["tB"], w["tA"]]
    assert ids(await api("GET", TEACHERS, SUP_A)) == [w["tA"]]
    assert ids(await api("GET", TEACHERS, SUP_B)) == [w["tB"]]
    assert (await api("GET", f"{TEACHERS}{w['tA']}/", ASSOC_SUP)).status_code == 200
    assert (await api("GET", f"{TEACHERS}{w['tA']}/", SUP_A)).status_code == 200
    assert (await api("GET", f"{TEACHERS}{w['tB']}/", SUP_A)).status_code == 404
    # M7: a trainer reads their own teacher record, and no other.
    assert ids(await api("GET", TEACHERS, TRAINER)) == [w["tA"]]
    assert ids(await api("GET", TEACHERS, TRAINER, params={"user": TRAINER})) == [w["tA"]]
    assert ids(await api("GET", TEACHERS, TRAINER, params={"user": TRAINER_B})) == []
    assert (await api("GET", f"{TEACHERS}{w['tA']}/", TRAINER)).json() == t
    assert (await api("GET", f"{TEACHERS}{w['tB']}/", TRAINER)).status_code == 404
    assert (await api("GET", TEACHERS, STUDENT)).status_code == 403
    assert (await api("GET", f"{TEACHERS}{w['tA']}/", STUDENT)).status_code == 403
    assert (await api("GET", TEACHERS, None)).status_code == 401
    assert (await api("GET", f"{TEACHERS}999/")).status_code == 404


async def test_filters_search_ordering(api: Api, world: World, make_teacher: MakeTeacher) -> None:
    w = await _two_teachers(world, make_teacher)
    a, b = w["tA"], w["tB"]
    cases: dict[str, tuple[Any, list[int]]] = {
        "center": (CENTER_A, [a]),
        "program": (w["plumbing"]["id"], [b]),
        "group": (GROUP_A2, [a]),
        "user": (TRAINER_B, [b]),
        "contract_with": ("association", [b]),
    }
    for name, (value, expected) in cases.items():
        assert ids(await api("GET", TEACHERS, params={name: value})) == expected, name
    assert ids(await api("GET", TEACHERS, params={"search": "tariq"})) == [a]
    assert ids(await api("GET", TEACHERS, params={"search": "plumbing"})) == [b]
    assert ids(await api("GET", TEACHERS, params={"ordering": "-last_name"})) == [a, b]
    assert ids(await api("GET", TEACHERS, params={"ordering": "first_name"})) == [b, a]
    assert (await api("GET", TEACHERS, params={"contract_with": "x"})).status_code == 400
    # A supervisor's filters stay inside their centres.
    assert ids(await api("GET", TEACHERS, SUP_A, params={"center": CENTER_B})) == []


async def test_updates_and_scoping(
    api: Api, world: World, make_teacher: MakeTeacher, programs_app: FastAPI
) -> None:
    w = await _two_teachers(world, make_teacher)
    url_a, url_b = f"{TEACHERS}{w['tA']}/", f"{TEACHERS}{w['tB']}/"
    # The first implementation's misspelling is accepted.
    resp = await api(
        "PATCH",
        url_a,
        SUP_A,
        json={"contarct_with": "association", "contract_start_date": "2024-09-01"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["contract_with"] == "association"
    assert resp.json()["contract_start_date"] == "2024-09-01"
    resp = await api("PATCH", url_a, SUP_A, json={"contract_with": "entraide"})
    assert resp.json()["contract_with"] == "entraide"
    assert (await api("PATCH", url_a, json={"contract_with": "ministry"})).status_code == 400
    dates = await api("PATCH", url_a, json={"contract_end_date": "2024-01-01"})
    assert dates.json() == {"contract_end_date": ["The contract cannot end before it starts."]}
    assert (await api("PATCH", url_b, SUP_A, json={"contract_with": "entraide"})).status_code == 404
    moving = await api("PATCH", url_a, SUP_A, json={"center": CENTER_B, "groups": [GROUP_B1]})
    assert moving.status_code == 403
    for user in (ASSOC_SUP, TRAINER, STUDENT):
        assert (await api("PATCH", url_a, user, json={})).status_code == 403
    # Groups must exist and belong to the teacher's centre.
    resp = await api("PATCH", url_a, json={"groups": [GROUP_A1, 999, GROUP_B1]})
    assert resp.json() == {
        "groups": [
            f"The group {GROUP_B1} does not belong to the teacher's center.",
            'Invalid pk "999" - object does not exist.',
        ]
    }
    resp = await api("PATCH", url_a, json={"center": CENTER_B})
    assert resp.status_code == 400 and "groups" in resp.json()
    resp = await api("PATCH", url_a, json={"center": CENTER_B, "groups": [GROUP_B1]})
    assert resp.status_code == 200
    assert resp.json()["center_name"] == "Centre B" and resp.json()["groups"] == [GROUP_B1]
    assert (await api("PATCH", url_a, json={"center": 999})).status_code == 400
    assert (await api("PATCH", url_a, json={"program": 999})).status_code == 400
    assert (await api("PATCH", url_a, json={"center": None})).status_code == 400
    put = await api("PUT", url_a, json={"groups": []})
    assert put.status_code == 400 and set(put.json()) == {"center", "program"}
    put = await api(
        "PUT", url_a, SUP_B, json={"center": CENTER_B, "program": w["web"]["id"], "groups": []}
    )
    assert put.status_code == 200 and put.json()["groups"] == []
    published = await outbox_rows(programs_app, f"entraide.programs.teacher.{w['tA']}")
    assert [p["version"] for p in published] == [1, 2, 3, 4, 5]
    assert published[-1]["data"] == {
        "id": w["tA"],
        "user": TRAINER,
        "center": CENTER_B,
        "program": w["web"]["id"],
        "groups": [],
        "contract_with": "entraide",
        "contract_start_date": "2024-09-01",
        "contract_end_date": None,
    }
    assert published[2]["data"]["groups"] == [GROUP_A1, GROUP_A2]


async def test_creating_needs_auth_and_leaves_nothing_when_it_fails(
    api: Api, world: World, programs_app: FastAPI
) -> None:
    w = await world()
    body = {
        "first_name": "Youssef",
        "last_name": "Amrani",
        "center": CENTER_A,
        "program": w["web"]["id"],
        "groups": [GROUP_A1],
        "contarct_with": "association",
        "contract_start_date": "2024-09-01",
        "contract_end_date": "2025-06-30",
    }
    # Checked before auth is asked for a user.
    resp = await api("POST", TEACHERS, json={"center": CENTER_A, "program": w["web"]["id"]})
    assert resp.json() == {
        "first_name": ["This field is required."],
        "last_name": ["This field is required."],
    }
    assert (await api("POST", TEACHERS, json={**body, "center": 999})).status_code == 400
    assert (await api("POST", TEACHERS, json={**body, "groups": [GROUP_B1]})).status_code == 400
    assert (await api("POST", TEACHERS, SUP_B, json=body)).status_code == 403
    for user in (ASSOC_SUP, TRAINER, STUDENT):
        assert (await api("POST", TEACHERS, user, json=body)).status_code == 403
    assert (await api("POST", TEACHERS, None, json=body)).status_code == 401
    # These tests run without auth: the user cannot be made, and no teacher is saved.
    resp = await api("POST", TEACHERS, SUP_A, json=body)
    assert resp.status_code == 400
    assert resp.json() == {
        "user_creation_error": "Failed to create user account: "
        "the auth service is not configured (ENTRAIDE_AUTH_URL)."
    }
    assert (await api("GET", TEACHERS)).json()["count"] == 0
    async with programs_app.state.db.session() as s:
        assert (await s.execute(text("SELECT count(*) FROM teacher_groups"))).scalar_one() == 0
        # auth may have made the user without answering: the ref stays, for reconcile().
        assert (await s.execute(text("SELECT count(*) FROM pending_accounts"))).scalar_one() == 1


async def test_deleting_is_for_admins_and_needs_auth(
    api: Api, world: World, make_teacher: MakeTeacher
) -> None:
    w = await _two_teachers(world, make_teacher)
    url = f"{TEACHERS}{w['tA']}/"
    for user in (SUP_A, ASSOC_SUP, TRAINER):
        assert (await api("DELETE", url, user)).status_code == 403
    # Without auth the user cannot be deleted: neither is the teacher.
    resp = await api("DELETE", url)
    assert resp.status_code == 503 and "nothing was changed" in resp.json()["detail"]
    assert (await api("GET", url)).status_code == 200
    assert (await api("DELETE", f"{TEACHERS}999/")).status_code == 404


async def test_courses_of_a_teacher(api: Api, world: World, make_teacher: MakeTeacher) -> None:
    w = await _two_teachers(world, make_teacher)
    web, plumbing = (c["id"] for c in w["courses"])
    url_a, url_b = f"{TEACHERS}{w['tA']}/courses/", f"{TEACHERS}{w['tB']}/courses/"
    resp = await api("GET", url_a)
    assert ids(resp) == [web]
    assert resp.json()["results"][0] == w["courses"][0]  # the course's full read shape
    assert ids(await api("GET", url_b)) == [plumbing]
    assert ids(await api("GET", url_a, SUP_A)) == [web]
    assert (await api("GET", url_b, SUP_A)).status_code == 404
    assert ids(await api("GET", url_a, TRAINER)) == [web]
    # A trainer reads the courses of the teachers of the centres they teach in only.
    assert (await api("GET", url_b, TRAINER)).status_code == 403
    colleague = await make_teacher(TRAINER_IDLE, CENTER_A, w["web"]["id"])
    assert ids(await api("GET", f"{TEACHERS}{colleague}/courses/", TRAINER)) == []
    assert (await api("GET", url_a, TRAINER_B)).status_code == 403
    # Teaching in a centre is having a teacher record or a training course there.
    body = {
        "program": w["plumbing"]["id"],
        "center": CENTER_A,
        "trainer": TRAINER_B,
        "academic_year": "2025-2026",
    }
    assert (await api("POST", COURSES, json=body)).status_code == 201
    assert ids(await api("GET", url_a, TRAINER_B)) == [web]
    for user in (ASSOC_SUP, STUDENT):
        assert (await api("GET", url_a, user)).status_code == 403
    assert (await api("GET", url_a, None)).status_code == 401
    assert ids(await api("GET", url_a, params={"academic_year": "2030-2031"})) == []
    assert (await api("GET", f"{TEACHERS}999/courses/")).status_code == 404


async def test_a_deleted_group_leaves_its_teachers(
    api: Api, world: World, make_teacher: MakeTeacher, apply_event: Apply, programs_app: FastAPI
) -> None:
    w = await _two_teachers(world, make_teacher)
    assert await apply_event("group", GROUP_A2, 2, None, op="delete")
    t = (await api("GET", f"{TEACHERS}{w['tA']}/")).json()
    assert t["groups"] == [GROUP_A1]
    published = await outbox_rows(programs_app, f"entraide.programs.teacher.{w['tA']}")
    assert published[-1]["version"] == 2 and published[-1]["data"]["groups"] == [GROUP_A1]
    # A renamed group shows its new name.
    data = {"id": GROUP_A1, "name": "Morning group", "description": "", "center": CENTER_A}
    assert await apply_event("group", GROUP_A1, 2, data)
    t = (await api("GET", f"{TEACHERS}{w['tA']}/")).json()
    assert t["groups_details"] == [{"id": GROUP_A1, "name": "Morning group"}]


async def test_a_deleted_programme_keeps_its_teachers(
    api: Api, world: World, make_teacher: MakeTeacher, programs_app: FastAPI
) -> None:
    w = await _two_teachers(world, make_teacher)
    assert (await api("DELETE", f"{PROGRAMS}{w['web']['id']}/")).status_code == 204
    t = (await api("GET", f"{TEACHERS}{w['tA']}/")).json()
    assert t["program"] is None and t["program_name"] is None
    published = await outbox_rows(programs_app, f"entraide.programs.teacher.{w['tA']}")
    assert published[-1]["version"] == 2 and published[-1]["data"]["program"] is None
