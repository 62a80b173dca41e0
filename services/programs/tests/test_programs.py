from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from .conftest import (
    ADMIN,
    ASSOC_SUP,
    COURSES,
    PROGRAMS,
    STUDENT,
    SUP_A,
    TRAINER,
    Api,
    outbox_rows,
    png_bytes,
)

World = Callable[[], Awaitable[dict[str, Any]]]
BODY = {"name": "Web Development", "description": "Modern web", "duration_years": 2}


def names(resp: httpx.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [p["name"] for p in resp.json()["results"]]


async def test_crud_and_contract_shape(api: Api, programs_app: FastAPI) -> None:
    resp = await api("POST", PROGRAMS, json=BODY)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert set(created) == {
        "id",
        "name",
        "description",
        "duration_years",
        "logo",
        "created_at",
        "updated_at",
    }
    assert created["logo"] is None and created["duration_years"] == 2
    pid = created["id"]
    for reader in (TRAINER, STUDENT, SUP_A, ASSOC_SUP):
        assert (await api("GET", f"{PROGRAMS}{pid}/", reader)).json()["name"] == BODY["name"]
        listed = await api("GET", PROGRAMS, reader)
        assert listed.json()["count"] == 1 and listed.json()["previous"] is None
    patched = await api("PATCH", f"{PROGRAMS}{pid}/", json={"duration_years": 3})
    assert patched.status_code == 200 and patched.json()["duration_years"] == 3
    put = await api(
        "PUT", f"{PROGRAMS}{pid}/", json={"name": "Web", "description": "d", "duration_years": 1}
    )
    assert put.status_code == 200 and put.json()["name"] == "Web"
    partial_put = await api("PUT", f"{PROGRAMS}{pid}/", json={"name": "Web"})
    assert partial_put.status_code == 400
    assert set(partial_put.json()) == {"description", "duration_years"}
    assert (await api("DELETE", f"{PROGRAMS}{pid}/")).status_code == 204
    assert (await api("GET", f"{PROGRAMS}{pid}/")).status_code == 404
    published = await outbox_rows(programs_app, f"entraide.programs.program.{pid}")
    assert [(p["op"], p["version"]) for p in published] == [
        ("upsert", 1),
        ("upsert", 2),
        ("upsert", 3),
        ("delete", 4),
    ]
    assert published[0]["data"] == {
        "id": pid,
        "name": "Web Development",
        "description": "Modern web",
        "duration_years": 2,
    }


async def test_validation(api: Api) -> None:
    resp = await api("POST", PROGRAMS, json={})
    assert resp.status_code == 400
    assert resp.json() == {
        "name": ["This field is required."],
        "description": ["This field is required."],
        "duration_years": ["This field is required."],
    }
    for years, message in (
        (0, "Ensure this value is greater than or equal to 1."),
        (11, "Ensure this value is less than or equal to 10."),
        ("two", "A valid integer is required."),
    ):
        resp = await api("POST", PROGRAMS, json={**BODY, "duration_years": years})
        assert resp.json() == {"duration_years": [message]}, years
    assert (await api("POST", PROGRAMS, json=BODY)).status_code == 201
    dup = await api("POST", PROGRAMS, json={**BODY, "description": "again"})
    assert dup.status_code == 400
    assert dup.json() == {"name": ["training programe with this name already exists."]}
    # Renaming onto a taken name is the same 400 (it was a 500: found by bench/fuzz.py).
    other = await api("POST", PROGRAMS, json={**BODY, "name": "Another programme"})
    taken = await api("PATCH", f"{PROGRAMS}{other.json()['id']}/", json={"name": BODY["name"]})
    assert taken.status_code == 400
    assert taken.json() == {"name": ["training programe with this name already exists."]}
    bad_logo = await api("POST", PROGRAMS, json={**BODY, "name": "X", "logo": "not a url"})
    assert bad_logo.json() == {"logo": ["Enter a valid URL."]}
    nulls = await api("PATCH", f"{PROGRAMS}1/", json={"name": None})
    assert nulls.status_code == 400 and "name" in nulls.json()
    assert (await api("GET", f"{PROGRAMS}abc/")).status_code == 404


async def test_only_admins_write(api: Api) -> None:
    created = (await api("POST", PROGRAMS, json=BODY)).json()
    url = f"{PROGRAMS}{created['id']}/"
    for user in (SUP_A, ASSOC_SUP, TRAINER, STUDENT):
        assert (await api("POST", PROGRAMS, user, json={**BODY, "name": "N"})).status_code == 403
        assert (await api("PATCH", url, user, json={"name": "N"})).status_code == 403
        assert (await api("PUT", url, user, json=BODY)).status_code == 403
        assert (await api("DELETE", url, user)).status_code == 403
    # The role is checked before the body and the id.
    assert (await api("POST", PROGRAMS, TRAINER, json={})).status_code == 403
    assert (await api("PATCH", f"{PROGRAMS}999/", TRAINER, json={})).status_code == 403
    for method in ("GET", "POST"):
        assert (await api(method, PROGRAMS, None, json=BODY)).status_code == 401
    assert (await api("GET", url, None)).status_code == 401
    assert (await api("DELETE", url, None)).status_code == 401


async def test_filters_search_ordering(api: Api) -> None:
    for name, description, years in (
        ("Plumbing", "Pipes and water", 1),
        ("Web Development", "HTML, CSS and more", 2),
        ("Electricity", "Wires", 2),
    ):
        body = {"name": name, "description": description, "duration_years": years}
        assert (await api("POST", PROGRAMS, json=body)).status_code == 201
    assert names(await api("GET", PROGRAMS)) == ["Electricity", "Plumbing", "Web Development"]
    assert names(await api("GET", PROGRAMS, params={"duration_years": 2})) == [
        "Electricity",
        "Web Development",
    ]
    assert names(await api("GET", PROGRAMS, params={"name": "Plumbing"})) == ["Plumbing"]
    assert names(await api("GET", PROGRAMS, params={"search": "web"})) == ["Web Development"]
    assert names(await api("GET", PROGRAMS, params={"search": "water"})) == ["Plumbing"]
    assert names(await api("GET", PROGRAMS, params={"ordering": "-name"})) == [
        "Web Development",
        "Plumbing",
        "Electricity",
    ]
    assert names(await api("GET", PROGRAMS, params={"ordering": "-duration_years,name"})) == [
        "Electricity",
        "Web Development",
        "Plumbing",
    ]
    assert (await api("GET", PROGRAMS, params={"duration_years": "x"})).status_code == 400
    page = (await api("GET", PROGRAMS, params={"page_size": 2})).json()
    assert page["count"] == 3 and page["next"].endswith("?page=2&page_size=2")


async def test_logo_upload_is_served_back(api: Api, client: httpx.AsyncClient) -> None:
    data = {"name": "Logo Programme", "description": "d", "duration_years": "2"}
    files = {"logo": ("logo.png", png_bytes(), "image/png")}
    resp = await api("POST", PROGRAMS, data=data, files=files)
    assert resp.status_code == 201, resp.text
    assert resp.json()["duration_years"] == 2
    logo = resp.json()["logo"]
    assert logo.startswith("http://testserver/api/programs/media/programs/logos/")
    served = await client.get(logo)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == png_bytes()
    # A new logo by PATCH, a URL logo by JSON.
    pid = resp.json()["id"]
    again = await api(
        "PATCH", f"{PROGRAMS}{pid}/", files={"logo": ("l.png", png_bytes((8, 8)), "image/png")}
    )
    assert again.status_code == 200 and again.json()["logo"] != logo
    url = await api("PATCH", f"{PROGRAMS}{pid}/", json={"logo": "https://cdn.example/l.png"})
    assert url.json()["logo"] == "https://cdn.example/l.png"
    cleared = await api("PATCH", f"{PROGRAMS}{pid}/", json={"logo": None})
    assert cleared.json()["logo"] is None


async def test_a_text_file_named_png_is_415(api: Api) -> None:
    data = {"name": "Fake", "description": "d", "duration_years": "1"}
    files = {"logo": ("logo.png", b"just some text, not an image", "image/png")}
    resp = await api("POST", PROGRAMS, data=data, files=files)
    assert resp.status_code == 415 and "detail" in resp.json()
    assert (await api("GET", PROGRAMS, ADMIN)).json()["count"] == 0


async def test_renaming_a_programme_republishes_its_courses(
    api: Api, world: World, programs_app: FastAPI
) -> None:
    w = await world()
    course = w["courses"][0]
    await api("PATCH", f"{PROGRAMS}{w['web']['id']}/", json={"name": "Full-stack Web"})
    read = (await api("GET", f"{COURSES}{course['id']}/")).json()
    assert read["program"]["name"] == "Full-stack Web"
    published = await outbox_rows(programs_app, f"entraide.programs.trainingcourse.{course['id']}")
    assert [p["version"] for p in published] == [1, 2]
    assert published[-1]["data"]["program_name"] == "Full-stack Web"
    # A change the course does not show publishes nothing for it.
    await api("PATCH", f"{PROGRAMS}{w['web']['id']}/", json={"description": "new"})
    assert len(await outbox_rows(programs_app, published[0]["subject"])) == 2
    await api("PATCH", f"{PROGRAMS}{w['web']['id']}/", json={"duration_years": 3})
    last = (await outbox_rows(programs_app, published[0]["subject"]))[-1]
    assert last["version"] == 3 and last["data"]["program_duration_years"] == 3


async def test_deleting_a_programme_deletes_its_plans_and_courses_and_says_so(
    api: Api, world: World, programs_app: FastAPI
) -> None:
    w = await world()
    pid = w["web"]["id"]
    assert (await api("DELETE", f"{PROGRAMS}{pid}/")).status_code == 204
    d, course = w["distribution"], w["courses"][0]
    assert (
        await api("GET", f"/api/programs/annualcoursedistributions/{d['id']}/")
    ).status_code == 404
    assert (await api("GET", f"{COURSES}{course['id']}/")).status_code == 404
    for plan in w["plans"][:2]:
        assert (
            await api("GET", f"/api/programs/weeklycourseplans/{plan['id']}/")
        ).status_code == 404
        rows = await outbox_rows(programs_app, f"entraide.programs.weeklyplan.{plan['id']}")
        assert rows[-1]["op"] == "delete" and rows[-1]["version"] == rows[-2]["version"] + 1
    for subject in (
        f"entraide.programs.annualdistribution.{d['id']}",
        f"entraide.programs.trainingcourse.{course['id']}",
        f"entraide.programs.program.{pid}",
    ):
        assert (await outbox_rows(programs_app, subject))[-1]["op"] == "delete", subject
    # The other programme's records stay.
    assert (await api("GET", COURSES)).json()["count"] == 1
