"""Training courses: nested programme, centre and trainer, from the read copies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from .conftest import (
    ASSOC_SUP,
    CENTER_A,
    CENTER_B,
    COURSES,
    STUDENT,
    SUP_A,
    SUP_B,
    TRAINER,
    TRAINER_B,
    TRAINER_IDLE,
    Api,
    Apply,
    center_data,
    outbox_rows,
)

World = Callable[[], Awaitable[dict[str, Any]]]


def ids(resp: httpx.Response) -> list[int]:
    assert resp.status_code == 200, resp.text
    return [r["id"] for r in resp.json()["results"]]


async def test_course_nests_programme_centre_and_trainer(
    api: Api, world: World, programs_app: FastAPI
) -> None:
    w = await world()
    course = w["courses"][0]
    assert set(course) == {
        "id",
        "name",
        "program",
        "center",
        "trainer",
        "academic_year",
        "created_at",
        "updated_at",
    }
    assert course["program"] == w["web"]
    # F13: the original backend's text form, the web client's dropdown label.
    assert course["name"] == "Web Development - Centre A - Tariq Tazi"
    assert course["center"] == {
        "id": CENTER_A,
        "name": "Centre A",
        "city": "Rabat",
        "supervisor": SUP_A,
        "is_active": True,
    }
    assert course["trainer"] == {
        "id": TRAINER,
        "email": f"u{TRAINER}@entraide.ma",
        "username": f"u{TRAINER}",
        "first_name": "Tariq",
        "last_name": "Tazi",
        "role": "trainer",
        "is_active": True,
    }
    for reader in (STUDENT, TRAINER, SUP_A, ASSOC_SUP):
        assert (await api("GET", f"{COURSES}{course['id']}/", reader)).json() == course
    listed = (await api("GET", COURSES, STUDENT)).json()
    assert listed["count"] == 2 and course in listed["results"]
    published = await outbox_rows(programs_app, f"entraide.programs.trainingcourse.{course['id']}")
    assert published[0]["data"] == {
        "id": course["id"],
        "program": w["web"]["id"],
        "program_name": "Web Development",
        "program_duration_years": 2,
        "center": CENTER_A,
        "center_name": "Centre A",
        "academic_year": "2024-2025",
        "trainer": TRAINER,
    }


async def test_course_validation(api: Api, world: World) -> None:
    w = await world()
    resp = await api("POST", COURSES, json={})
    assert set(resp.json()) == {"program", "center", "trainer", "academic_year"}
    base = {
        "program": w["web"]["id"],
        "center": CENTER_B,
        "trainer": TRAINER,
        "academic_year": "2025-2026",
    }
    resp = await api("POST", COURSES, json={**base, "center": 999})
    # No copy, and no centers service to ask in these tests: refused.
    assert resp.json() == {"center": ['Invalid pk "999" - object does not exist.']}
    resp = await api("POST", COURSES, json={**base, "program": 999})
    assert resp.json() == {"program": ['Invalid pk "999" - object does not exist.']}
    resp = await api("POST", COURSES, json={**base, "trainer": SUP_A})
    assert resp.json() == {"trainer": ["The trainer must be a user with the role trainer."]}
    resp = await api("POST", COURSES, json={**base, "trainer": TRAINER_IDLE})
    assert resp.json() == {"trainer": ["The trainer must be an active user."]}
    resp = await api("POST", COURSES, json={**base, "trainer": 999})
    assert resp.json() == {"trainer": ['Invalid pk "999" - object does not exist.']}
    resp = await api("POST", COURSES, json={**base, "trainer": None})
    assert resp.status_code == 400 and "trainer" in resp.json()
    resp = await api("POST", COURSES, json={**base, "academic_year": "2025-2027"})
    assert resp.status_code == 400 and list(resp.json()) == ["academic_year"]
    ok = await api("POST", COURSES, json=base)
    assert ok.status_code == 201, ok.text
    url = f"{COURSES}{ok.json()['id']}/"
    moved = await api("PATCH", url, json={"center": CENTER_A, "trainer": TRAINER_B})
    assert moved.json()["center"]["name"] == "Centre A"
    assert moved.json()["trainer"]["first_name"] == "Bouchra"
    assert (await api("PATCH", url, json={"center": 999})).status_code == 400
    put = await api("PUT", url, json={**base, "program": w["plumbing"]["id"]})
    assert put.status_code == 200 and put.json()["program"]["name"] == "Plumbing"
    assert (await api("PUT", url, json={"program": w["web"]["id"]})).status_code == 400
    assert (await api("DELETE", url)).status_code == 204
    assert (await api("GET", url)).status_code == 404


async def test_only_admins_write_courses(api: Api, world: World) -> None:
    w = await world()
    url = f"{COURSES}{w['courses'][0]['id']}/"
    body = {
        "program": w["web"]["id"],
        "center": CENTER_A,
        "trainer": TRAINER,
        "academic_year": "2025-2026",
    }
    for user in (SUP_A, ASSOC_SUP, TRAINER, STUDENT):
        assert (await api("POST", COURSES, user, json=body)).status_code == 403
        assert (await api("PUT", url, user, json=body)).status_code == 403
        assert (await api("PATCH", url, user, json={})).status_code == 403
        assert (await api("DELETE", url, user)).status_code == 403
    assert (await api("GET", COURSES, None)).status_code == 401
    assert (await api("GET", url, None)).status_code == 401


async def test_course_filters_search_ordering(api: Api, world: World, apply_event: Apply) -> None:
    w = await world()
    await apply_event("center", CENTER_B, 2, center_data(CENTER_B, "Centre Zagora", None))
    web, plumbing = (c["id"] for c in w["courses"])
    assert ids(await api("GET", COURSES)) == [plumbing, web]  # newest year first
    cases: dict[str, tuple[Any, list[int]]] = {
        "program": (w["web"]["id"], [web]),
        "center": (CENTER_B, [plumbing]),
        "trainer": (TRAINER, [web]),
        "academic_year": ("2024-2025", [web]),
    }
    for name, (value, expected) in cases.items():
        assert ids(await api("GET", COURSES, params={name: value})) == expected, name
    for term, expected in (
        ("web", [web]),
        ("zagora", [plumbing]),
        ("bouchra", [plumbing]),
        ("tazi", [web]),
        ("2024", [web]),
    ):
        assert ids(await api("GET", COURSES, params={"search": term})) == expected, term
    assert ids(await api("GET", COURSES, params={"ordering": "academic_year"})) == [web, plumbing]
    assert ids(await api("GET", COURSES, params={"ordering": "-program"})) == [web, plumbing]
    assert ids(await api("GET", COURSES, params={"ordering": "-center"})) == [plumbing, web]
    assert ids(await api("GET", COURSES, params={"ordering": "center"})) == [web, plumbing]
    assert ids(await api("GET", COURSES, params={"ordering": "bogus"})) == [plumbing, web]
    assert (await api("GET", COURSES, params={"center": "A"})).status_code == 400


async def test_renamed_centre_changes_the_nested_name_and_republishes(
    api: Api, world: World, apply_event: Apply, programs_app: FastAPI
) -> None:
    w = await world()
    course = w["courses"][0]
    subject = f"entraide.programs.trainingcourse.{course['id']}"
    assert await apply_event("center", CENTER_A, 2, center_data(CENTER_A, "Centre Atlas", SUP_A))
    read = (await api("GET", f"{COURSES}{course['id']}/")).json()
    assert read["center"]["name"] == "Centre Atlas"
    published = await outbox_rows(programs_app, subject)
    assert [p["version"] for p in published] == [1, 2]
    assert published[-1]["data"]["center_name"] == "Centre Atlas"
    # An older event changes nothing; a change the course does not show publishes nothing.
    assert not await apply_event("center", CENTER_A, 1, center_data(CENTER_A, "Old", SUP_A))
    assert await apply_event("center", CENTER_A, 3, center_data(CENTER_A, "Centre Atlas", SUP_B))
    assert len(await outbox_rows(programs_app, subject)) == 2
    # The other centre's course is untouched.
    other = f"entraide.programs.trainingcourse.{w['courses'][1]['id']}"
    assert len(await outbox_rows(programs_app, other)) == 1
    # A deleted centre: the course stays, without a centre to show.
    assert await apply_event("center", CENTER_A, 4, None, op="delete")
    assert (await api("GET", f"{COURSES}{course['id']}/")).json()["center"] is None
    last = (await outbox_rows(programs_app, subject))[-1]
    assert last["version"] == 3 and last["data"]["center_name"] is None


async def test_renamed_trainer_changes_the_nested_names(
    api: Api, world: World, apply_event: Apply
) -> None:
    w = await world()
    user = {
        "id": TRAINER,
        "email": "tariq@entraide.ma",
        "username": "tariq",
        "first_name": "Tarik",
        "last_name": "Tazi-Idrissi",
        "role": "trainer",
        "is_active": True,
        "token_version": 0,
    }
    assert await apply_event("user", TRAINER, 5, user)
    read = (await api("GET", f"{COURSES}{w['courses'][0]['id']}/")).json()["trainer"]
    assert (read["first_name"], read["last_name"], read["email"]) == (
        "Tarik",
        "Tazi-Idrissi",
        "tariq@entraide.ma",
    )
    listed = (await api("GET", COURSES, params={"trainer": TRAINER})).json()["results"]
    assert listed[0]["trainer"]["first_name"] == "Tarik"
