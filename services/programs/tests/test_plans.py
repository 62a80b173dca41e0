"""Annual course distributions and weekly course plans."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from .conftest import (
    ASSOC_SUP,
    DISTRIBUTIONS,
    PLANS,
    STUDENT,
    SUP_A,
    TRAINER,
    TRAINER_B,
    TRAINER_IDLE,
    Api,
    outbox_rows,
)

World = Callable[[], Awaitable[dict[str, Any]]]


def ids(resp: httpx.Response) -> list[int]:
    assert resp.status_code == 200, resp.text
    return [r["id"] for r in resp.json()["results"]]


async def test_distribution_nests_its_programme(
    api: Api, world: World, programs_app: FastAPI
) -> None:
    w = await world()
    d = w["distribution"]
    assert set(d) == {"id", "programe", "academic_year", "trainer", "created_at", "updated_at"}
    assert d["programe"] == w["web"]  # the full programme object
    assert d["trainer"] == TRAINER and d["academic_year"] == "2024-2025"
    for reader in (STUDENT, TRAINER, SUP_A, ASSOC_SUP):
        assert (await api("GET", f"{DISTRIBUTIONS}{d['id']}/", reader)).json() == d
    listed = (await api("GET", DISTRIBUTIONS, STUDENT)).json()["results"]
    assert {r["programe"]["name"] for r in listed} == {"Web Development", "Plumbing"}
    published = await outbox_rows(programs_app, f"entraide.programs.annualdistribution.{d['id']}")
    assert published[0]["data"] == {
        "id": d["id"],
        "programe": w["web"]["id"],
        "academic_year": "2024-2025",
        "trainer": TRAINER,
    }


async def test_distribution_crud_and_validation(api: Api, world: World) -> None:
    w = await world()
    pid = w["web"]["id"]
    resp = await api("POST", DISTRIBUTIONS, json={})
    assert resp.json() == {
        "programe": ["This field is required."],
        "academic_year": ["This field is required."],
    }
    for year in ("2024-2026", "2024", "24-25", "2024/2025", "2025-2024"):
        resp = await api("POST", DISTRIBUTIONS, json={"programe": pid, "academic_year": year})
        assert resp.status_code == 400 and list(resp.json()) == ["academic_year"], year
    resp = await api("POST", DISTRIBUTIONS, json={"programe": 999, "academic_year": "2024-2025"})
    assert resp.json() == {"programe": ['Invalid pk "999" - object does not exist.']}
    base = {"programe": pid, "academic_year": "2026-2027"}
    for trainer in (SUP_A, TRAINER_IDLE, 999):
        resp = await api("POST", DISTRIBUTIONS, json={**base, "trainer": trainer})
        assert resp.status_code == 400 and list(resp.json()) == ["trainer"], trainer
    created = await api("POST", DISTRIBUTIONS, json={**base, "trainer": None})
    assert created.status_code == 201 and created.json()["trainer"] is None
    url = f"{DISTRIBUTIONS}{created.json()['id']}/"
    moved = await api("PATCH", url, json={"programe": w["plumbing"]["id"], "trainer": TRAINER_B})
    assert moved.status_code == 200
    assert moved.json()["programe"]["name"] == "Plumbing" and moved.json()["trainer"] == TRAINER_B
    put = await api("PUT", url, json={"programe": pid, "academic_year": "2027-2028"})
    assert put.status_code == 200 and put.json()["academic_year"] == "2027-2028"
    assert (await api("PUT", url, json={"programe": pid})).status_code == 400
    for user in (SUP_A, TRAINER, STUDENT):
        assert (await api("POST", DISTRIBUTIONS, user, json=base)).status_code == 403
        assert (await api("PATCH", url, user, json={"trainer": None})).status_code == 403
        assert (await api("DELETE", url, user)).status_code == 403
    assert (await api("GET", DISTRIBUTIONS, None)).status_code == 401
    assert (await api("DELETE", url)).status_code == 204
    assert (await api("GET", url)).status_code == 404


async def test_distribution_filters_search_ordering(api: Api, world: World) -> None:
    w = await world()
    web, plumbing = w["distribution"]["id"], w["distribution2"]["id"]
    assert ids(await api("GET", DISTRIBUTIONS)) == [plumbing, web]  # newest year first
    assert ids(await api("GET", DISTRIBUTIONS, params={"programe": w["web"]["id"]})) == [web]
    assert ids(await api("GET", DISTRIBUTIONS, params={"academic_year": "2025-2026"})) == [plumbing]
    assert ids(await api("GET", DISTRIBUTIONS, params={"trainer": TRAINER})) == [web]
    assert ids(await api("GET", DISTRIBUTIONS, params={"search": "plumb"})) == [plumbing]
    assert ids(await api("GET", DISTRIBUTIONS, params={"ordering": "academic_year"})) == [
        web,
        plumbing,
    ]
    assert ids(await api("GET", DISTRIBUTIONS, params={"ordering": "-programe"})) == [
        web,
        plumbing,
    ]
    assert (await api("GET", DISTRIBUTIONS, params={"trainer": "me"})).status_code == 400


async def test_weekly_plan_nests_its_distribution_and_programme(
    api: Api, world: World, programs_app: FastAPI
) -> None:
    w = await world()
    plan = w["plans"][0]
    assert set(plan) == {
        "id",
        "annual_distribution",
        "month",
        "week_number",
        "title",
        "description",
        "trainer",
        "created_at",
        "updated_at",
    }
    assert plan["annual_distribution"] == w["distribution"]
    assert plan["annual_distribution"]["programe"]["name"] == "Web Development"
    assert (await api("GET", f"{PLANS}{plan['id']}/", STUDENT)).json() == plan
    published = await outbox_rows(programs_app, f"entraide.programs.weeklyplan.{plan['id']}")
    assert published[0]["data"] == {
        "id": plan["id"],
        "annual_distribution": w["distribution"]["id"],
        "programe": w["web"]["id"],
        "month": 9,
        "week_number": 1,
        "title": "HTML basics",
        "trainer": None,
    }
    # Moving the distribution to another programme re-publishes its plans.
    await api(
        "PATCH",
        f"{DISTRIBUTIONS}{w['distribution']['id']}/",
        json={"programe": w["plumbing"]["id"]},
    )
    published = await outbox_rows(programs_app, f"entraide.programs.weeklyplan.{plan['id']}")
    assert published[-1]["version"] == 2
    assert published[-1]["data"]["programe"] == w["plumbing"]["id"]
    nested = (await api("GET", f"{PLANS}{plan['id']}/")).json()["annual_distribution"]
    assert nested["programe"]["name"] == "Plumbing"


async def test_weekly_plan_crud_and_validation(
    api: Api, world: World, programs_app: FastAPI
) -> None:
    w = await world()
    did = w["distribution"]["id"]
    resp = await api("POST", PLANS, json={})
    assert set(resp.json()) == {"annual_distribution", "month", "week_number", "title"}
    base = {"annual_distribution": did, "month": 1, "week_number": 1, "title": "T"}
    for field, value in (("month", 0), ("month", 13), ("week_number", 0), ("week_number", 53)):
        resp = await api("POST", PLANS, json={**base, field: value})
        assert resp.status_code == 400 and list(resp.json()) == [field], (field, value)
    resp = await api("POST", PLANS, json={**base, "annual_distribution": 999})
    assert resp.json() == {"annual_distribution": ['Invalid pk "999" - object does not exist.']}
    resp = await api("POST", PLANS, json={**base, "trainer": STUDENT})
    assert resp.status_code == 400 and "trainer" in resp.json()
    ok = await api("POST", PLANS, json={**base, "month": 12, "week_number": 52, "trainer": TRAINER})
    assert ok.status_code == 201 and ok.json()["description"] == ""
    url = f"{PLANS}{ok.json()['id']}/"
    patched = await api("PATCH", url, json={"title": "New title", "description": None})
    assert patched.json()["title"] == "New title" and patched.json()["description"] == ""
    assert (await api("PUT", url, json={**base, "title": "Full"})).json()["title"] == "Full"
    for user in (SUP_A, TRAINER, STUDENT):
        assert (await api("POST", PLANS, user, json=base)).status_code == 403
        assert (await api("PATCH", url, user, json={"title": "x"})).status_code == 403
        assert (await api("DELETE", url, user)).status_code == 403
    assert (await api("DELETE", url)).status_code == 204
    assert (await api("GET", url)).status_code == 404
    rows = await outbox_rows(programs_app, f"entraide.programs.weeklyplan.{ok.json()['id']}")
    assert [(r["op"], r["version"]) for r in rows] == [
        ("upsert", 1),
        ("upsert", 2),
        ("upsert", 3),
        ("delete", 4),
    ]
    # Deleting a distribution deletes its plans.
    assert (await api("DELETE", f"{DISTRIBUTIONS}{did}/")).status_code == 204
    assert (await api("GET", f"{PLANS}{w['plans'][0]['id']}/")).status_code == 404
    rows = await outbox_rows(programs_app, f"entraide.programs.weeklyplan.{w['plans'][1]['id']}")
    assert rows[-1]["op"] == "delete"


async def test_weekly_plan_filters_search_ordering(api: Api, world: World) -> None:
    w = await world()
    html, css, pipes = (p["id"] for p in w["plans"])
    await api("PATCH", f"{PLANS}{css}/", json={"trainer": TRAINER_B})
    assert ids(await api("GET", PLANS)) == [html, pipes, css]  # month, week_number
    cases: dict[str, tuple[Any, list[int]]] = {
        "annual_distribution": (w["distribution"]["id"], [html, css]),
        "programe": (w["plumbing"]["id"], [pipes]),
        "academic_year": ("2024-2025", [html, css]),
        "month": (10, [css]),
        "week_number": (2, [pipes]),
        "trainer": (TRAINER_B, [css]),
    }
    for name, (value, expected) in cases.items():
        assert ids(await api("GET", PLANS, params={name: value})) == expected, name
    assert ids(await api("GET", PLANS, params={"search": "css"})) == [css]
    assert ids(await api("GET", PLANS, params={"search": "week about pipes"})) == [pipes]
    assert ids(await api("GET", PLANS, params={"ordering": "-title"})) == [pipes, html, css]
    assert ids(await api("GET", PLANS, params={"ordering": "-week_number"})) == [css, pipes, html]
    assert (await api("GET", PLANS, params={"month": "june"})).status_code == 400
