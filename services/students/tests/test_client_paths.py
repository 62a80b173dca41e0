"""The web client's own paths (/api/students/students/...): the original representation,
through the same rules as the documented paths."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import text

from entraide_kit.contracts import Session
from entraide_stack.testing.queries import count_queries
from students_service.copies import sessions

from .conftest import CENTER_A, CENTER_B, COURSE_A, GROUP_A, GROUP_B, PROGRAM, Env
from .test_import import row, sheet

URL = "/api/students/students/"
YEAR = dt.date.today().strftime("%y")
USER_KEYS = {
    "id",
    "email",
    "username",
    "first_name",
    "last_name",
    "Arabic_first_name",
    "arabic_last_name",
    "role",
    "role_display",
    "is_active",
    "profile_picture",
    "phone_number",
    "CIN_id",
    "birth_date",
    "birth_city",
    "address",
    "city",
}


def client_body(**overrides: Any) -> dict[str, Any]:
    """As CenterAddNewStudent builds it: no exam_id, no center_code, blanks omitted."""
    body: dict[str, Any] = {
        "first_name": "Amina",
        "last_name": "Tazi",
        "Arabic_first_name": "أمينة",
        "arabic_last_name": "التازي",
        "academic_year": "2024-2025",
        "joining_date": "2024-09-01",
        "program": str(PROGRAM),
        "group": str(GROUP_A),
        "center": CENTER_A,
        "CIN_id": "K123456",
        "phone_number": "0612345678",
        "birth_date": "2004-05-06",
        "city": "Larache",
    }
    body.update(overrides)
    return body


async def _create(env: Env, who: str = "admin", **overrides: Any) -> Any:
    return await env.client.post(
        URL, json=client_body(**overrides), headers=env.people[who]["headers"]
    )


async def _auth_user(env: Env, user_id: int) -> dict[str, Any]:
    resp = await env.auth_client.get(
        f"/api/accounts/users/{user_id}/", headers=env.people["admin"]["headers"]
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def test_create_generates_exam_id_and_answers_the_original_shape(env: Env) -> None:
    resp = await _create(env)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["exam_id"] == f"C{CENTER_A}/001/{YEAR}"
    assert body["center_code"] == f"C-{CENTER_A}"
    assert body["center"] == "Centre A" and body["program"] == PROGRAM
    assert body["program_name"] == "Web Development" and body["group"] == GROUP_A
    assert body["initial_password"]
    user = body["user"]
    assert set(user) == USER_KEYS
    assert user["is_active"] is True and user["role_display"] == "Student"
    assert user["Arabic_first_name"] == "أمينة" and user["CIN_id"] == "K123456"
    assert user["phone_number"] == "0612345678" and user["birth_date"] == "2004-05-06"
    assert user["city"] == "Larache" and user["username"]
    second = await _create(env, CIN_id="K999")
    assert second.json()["exam_id"] == f"C{CENTER_A}/002/{YEAR}"
    # The documented path keeps requiring exam_id, and shows is_active.
    documented = await env.client.post(
        "/api/students/",
        json={k: v for k, v in client_body(CIN_id="K3").items() if k != "Arabic_first_name"},
        headers=env.people["admin"]["headers"],
    )
    assert documented.status_code == 400 and "exam_id" in documented.json()
    listed = await env.client.get("/api/students/", headers=env.people["admin"]["headers"])
    assert listed.json()["results"][0]["user"]["is_active"] is True


async def test_concurrent_creates_in_one_centre_get_distinct_exam_ids(env: Env) -> None:
    answers = await asyncio.gather(
        *(_create(env, first_name=f"P{i}", CIN_id=f"CC{i}") for i in range(6))
    )
    assert [a.status_code for a in answers] == [201] * 6
    exam_ids = sorted(a.json()["exam_id"] for a in answers)
    assert exam_ids == [f"C{CENTER_A}/{n:03d}/{YEAR}" for n in range(1, 7)]
    # A number somebody already holds is skipped.
    await env.client.post(
        "/api/students/",
        json={**client_body(CIN_id="TAKEN"), "exam_id": f"C{CENTER_A}/007/{YEAR}"},
        headers=env.people["admin"]["headers"],
    )
    nxt = await _create(env, CIN_id="NEXT")
    assert nxt.json()["exam_id"] == f"C{CENTER_A}/008/{YEAR}"


async def test_put_multipart_applies_user_fields_to_the_account(env: Env) -> None:
    created = (await _create(env)).json()
    form = {
        "first_name": "Amina",
        "last_name": "Tazi-Alaoui",
        "Arabic_first_name": "",
        "arabic_last_name": "التازي",
        "academic_year": "2025-2026",
        "joining_date": "2024-09-02",
        "program": str(PROGRAM),
        "training_course": str(COURSE_A),
        "group": "null",
        "center": str(CENTER_A),
        "CIN_id": "null",
        "phone_number": "0699999999",
        "birth_date": "null",
        "birth_city": "null",
        "address": "null",
        "city": "Tanger",
    }
    resp = await env.client.put(
        f"{URL}{created['id']}/",
        data=form,
        files={"profile_picture": ("p.png", b"\x89PNG", "image/png")},
        headers=env.people["sup_a"]["headers"],
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["exam_id"] == created["exam_id"] and body["group"] is None
    assert body["training_course"] == COURSE_A and body["academic_year"] == "2025-2026"
    user = body["user"]
    assert user["last_name"] == "Tazi-Alaoui" and user["Arabic_first_name"] == ""
    assert user["CIN_id"] == "" and user["birth_date"] is None and user["city"] == "Tanger"
    account = await _auth_user(env, created["user"]["id"])
    assert account["last_name"] == "Tazi-Alaoui" and account["phone_number"] == "0699999999"
    assert account["CIN_id"] == "" and account["birth_date"] is None
    again = await env.client.get(f"{URL}{created['id']}/", headers=env.people["sup_a"]["headers"])
    assert again.json()["user"]["city"] == "Tanger"


async def test_patch_user_is_active_deactivates_the_account(env: Env) -> None:
    created = (await _create(env)).json()
    resp = await env.client.patch(
        f"{URL}{created['id']}/",
        json={"user": {"is_active": False}},
        headers=env.people["sup_a"]["headers"],
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["user"]["is_active"] is False
    assert (await _auth_user(env, created["user"]["id"]))["is_active"] is False
    listed = await env.client.get(
        URL, params={"center": CENTER_A}, headers=env.people["admin"]["headers"]
    )
    assert [s["user"]["is_active"] for s in listed.json()["results"]] == [False]
    # Another centre's supervisor cannot.
    other = await env.client.patch(
        f"{URL}{created['id']}/",
        json={"user": {"is_active": True}},
        headers=env.people["sup_b"]["headers"],
    )
    assert other.status_code == 404


async def test_auth_down_fails_the_update_and_changes_nothing(env: Env) -> None:
    created = (await _create(env)).json()
    settings = env.students.state.settings
    transports = env.students.state.http_transports
    env.students.state.http_transports = {}
    url = settings.auth_url
    settings.auth_url = "http://127.0.0.1:9"
    try:
        resp = await env.client.patch(
            f"{URL}{created['id']}/",
            json={"group": None, "city": "Fes"},
            headers=env.people["admin"]["headers"],
        )
    finally:
        settings.auth_url = url
        env.students.state.http_transports = transports
    assert resp.status_code == 503 and "nothing was changed" in resp.json()["detail"]
    after = (
        await env.client.get(f"{URL}{created['id']}/", headers=env.people["admin"]["headers"])
    ).json()
    assert after["group"] == GROUP_A and after["user"]["city"] == "Larache"
    # auth refusing (the account is gone there): its answer, and nothing changed here.
    async with env.auth.state.db.session() as s, s.begin():
        await s.execute(text("DELETE FROM users WHERE id = :i"), {"i": created["user"]["id"]})
    refused = await env.client.patch(
        f"{URL}{created['id']}/",
        json={"group": None, "user": {"is_active": False}},
        headers=env.people["admin"]["headers"],
    )
    assert refused.status_code == 404 and "nothing was changed" in refused.json()["detail"]
    again = await env.client.get(f"{URL}{created['id']}/", headers=env.people["admin"]["headers"])
    assert again.json()["group"] == GROUP_A


async def test_a_trainer_reads_the_students_of_the_groups_they_teach(env: Env) -> None:
    in_a = (await _create(env, CIN_id="T1")).json()
    no_group = (await _create(env, CIN_id="T2", group=None)).json()
    in_b = (await _create(env, CIN_id="T3", center=CENTER_B, group=str(GROUP_B))).json()
    trainer = env.people["trainer"]
    headers = trainer["headers"]
    async with env.students.state.db.session() as s, s.begin():
        for template, group, active in ((1, GROUP_A, True), (2, GROUP_B, False)):
            await sessions.upsert(
                s,
                Session(
                    id=template,
                    day="Monday",
                    start_time="08:30:00",
                    end_time="10:30:00",
                    trainer=trainer["id"],
                    group=group,
                    is_active=active,
                ),
            )
    for path in (URL, "/api/students/"):
        mine = await env.client.get(path, params={"group": GROUP_A}, headers=headers)
        assert [s["id"] for s in mine.json()["results"]] == [in_a["id"]]
        every = await env.client.get(path, headers=headers)
        assert [s["id"] for s in every.json()["results"]] == [in_a["id"]]
        assert (await env.client.get(f"{path}{in_a['id']}/", headers=headers)).status_code == 200
        for other in (no_group, in_b):
            assert (
                await env.client.get(f"{path}{other['id']}/", headers=headers)
            ).status_code == 404
    assert (await env.client.get(URL, params={"group": GROUP_B}, headers=headers)).json()[
        "count"
    ] == 0
    assert (
        await env.client.patch(f"{URL}{in_a['id']}/", json={}, headers=headers)
    ).status_code == 403


async def test_bulk_import_with_the_client_form_fields(env: Env) -> None:
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = [row("Ilyas", "Amrani", cin="BI1"), row("Bad", "", cin="BI2")]
    resp = await env.client.post(
        f"{URL}bulk_import/",
        data={"program_id": str(PROGRAM), "group_id": str(GROUP_A)},
        files={"file": ("s.xlsx", sheet(rows), xlsx)},
        headers=env.people["sup_a"]["headers"],
    )
    assert resp.status_code == 201, resp.text
    report = resp.json()
    assert (report["total_rows"], report["successful"], report["failed"]) == (2, 1, 1)
    assert all(isinstance(e, str) for e in report["errors"]) and len(report["errors"]) == 1
    listed = await env.client.get(URL, headers=env.people["sup_a"]["headers"])
    assert [(s["center"], s["group"]) for s in listed.json()["results"]] == [("Centre A", GROUP_A)]
    # Into another supervisor's centre (through its group): refused.
    refused = await env.client.post(
        f"{URL}bulk_import/",
        data={"program_id": str(PROGRAM), "group_id": str(GROUP_B)},
        files={"file": ("s.xlsx", sheet(rows), xlsx)},
        headers=env.people["sup_a"]["headers"],
    )
    assert refused.status_code == 403 and refused.json()["error"]
    missing = await env.client.post(
        f"{URL}bulk_import/",
        data={"group_id": str(GROUP_A)},
        files={"file": ("s.xlsx", sheet(rows), xlsx)},
        headers=env.people["sup_a"]["headers"],
    )
    assert missing.status_code == 400 and "program_id" in missing.json()["error"]
    no_centre = await env.client.post(
        f"{URL}bulk_import/",
        data={"program_id": str(PROGRAM)},
        files={"file": ("s.xlsx", sheet(rows), xlsx)},
        headers=env.people["admin"]["headers"],
    )
    assert no_centre.status_code == 400 and no_centre.json()["error"]


async def test_client_list_pages_up_to_1000_in_constant_queries(env: Env) -> None:
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = [row(f"N{i}", "Many") for i in range(105)]
    made = await env.client.post(
        f"{URL}bulk_import/",
        data={"program_id": str(PROGRAM), "group_id": str(GROUP_A)},
        files={"file": ("s.xlsx", sheet(rows), xlsx)},
        headers=env.people["admin"]["headers"],
    )
    assert made.json()["successful"] == 105
    h = env.people["admin"]["headers"]
    engine = env.students.state.db.engine
    counts = []
    for size in (2, 1000):
        with count_queries(engine) as counter:
            resp = await env.client.get(
                URL, params={"center": CENTER_A, "page_size": size}, headers=h
            )
        counts.append(counter.count)
        assert len(resp.json()["results"]) == min(size, 105)
    assert counts[0] == counts[1]
    documented = await env.client.get("/api/students/", params={"page_size": 1000}, headers=h)
    assert len(documented.json()["results"]) == 100
