from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import text

from entraide_kit import accounts
from entraide_stack.testing.queries import count_queries

from .conftest import (
    CENTER_B,
    COURSE_A,
    GROUP_A,
    GROUP_B,
    OTHER_PROGRAM,
    PROGRAM,
    Env,
    student_body,
)

URL = "/api/students/"


async def _create(env: Env, who: str = "admin", **overrides: Any) -> Any:
    return await env.client.post(
        URL, json=student_body(**overrides), headers=env.people[who]["headers"]
    )


async def test_create_makes_the_account_and_answers_the_contract_shape(env: Env) -> None:
    resp = await _create(env, CIN_id="AB123456", group=GROUP_A, training_course=COURSE_A)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    for key in (
        "id",
        "exam_id",
        "center_code",
        "center",
        "program",
        "academic_year",
        "joining_date",
        "training_course",
        "group",
        "user_info",
        "created_at",
        "updated_at",
    ):
        assert key in body, key
    assert body["user_info"] == "Fatima Zahra - (Student)"
    assert body["user"]["email"] == "fatima.zahra@entraide.ma"
    assert body["center_name"] == "Centre A" and body["program_name"] == "Web Development"
    assert body["group"] == GROUP_A and body["training_course"] == COURSE_A
    password = body["initial_password"]
    # The account exists in auth, as a student, and its one-time password only lets it change it.
    accounts = await env.auth_users("student")
    assert [a["email"] for a in accounts] == ["fatima.zahra@entraide.ma"]
    assert accounts[0]["CIN_id"] == "AB123456"
    login = await env.auth_client.post(
        "/api/token/", json={"email": "fatima.zahra@entraide.ma", "password": password}
    )
    pending = {"Authorization": f"Bearer {login.json()['access']}"}
    refused = await env.client.get(URL, headers=pending)
    assert refused.status_code == 403 and "one-time password" in refused.json()["detail"]
    changed = await env.auth_client.post(
        "/api/accounts/users/change_password/",
        json={"old_password": password, "new_password": "Oasis-Ifrane-2025"},
        headers=pending,
    )
    own = {"Authorization": f"Bearer {changed.json()['access']}"}
    mine = await env.client.get(URL, headers=own)
    assert mine.status_code == 200 and [s["id"] for s in mine.json()["results"]] == [body["id"]]
    assert "initial_password" not in mine.json()["results"][0]
    # Same names again: the next email.
    second = await _create(env)
    assert second.json()["user"]["email"] == "fatima.zahra1@entraide.ma"


async def test_validation(env: Env) -> None:
    resp = await env.client.post(URL, json={}, headers=env.people["admin"]["headers"])
    assert resp.status_code == 400
    assert {
        "first_name",
        "last_name",
        "exam_id",
        "center",
        "program",
        "academic_year",
        "joining_date",
    } <= set(resp.json())
    first = await _create(env, exam_id="STU-DUP")
    assert first.status_code == 201
    dup = await _create(env, exam_id="STU-DUP")
    assert dup.status_code == 400 and dup.json() == {
        "exam_id": ["student with this exam id already exists."]
    }
    wrong_group = await _create(env, group=GROUP_B)
    assert wrong_group.json() == {"group": ["The group must belong to the student's center."]}
    wrong_course = await _create(env, program=OTHER_PROGRAM, training_course=COURSE_A)
    assert "training_course" in wrong_course.json()
    unknown = await _create(env, program=999, center=998)
    assert set(unknown.json()) == {"program", "center"}
    bad_year = await _create(env, academic_year="2024-2026")
    assert "academic_year" in bad_year.json()
    # Nothing of the refused ones reached auth.
    assert len(await env.auth_users("student")) == 1


async def test_visibility_and_roles(env: Env) -> None:
    a = (await _create(env, "sup_a")).json()
    b = (await _create(env, "sup_b", center=CENTER_B)).json()
    ids = lambda r: sorted(s["id"] for s in r.json()["results"])  # noqa: E731
    assert ids(await env.client.get(URL, headers=env.people["admin"]["headers"])) == sorted(
        [a["id"], b["id"]]
    )
    assert ids(await env.client.get(URL, headers=env.people["sup_a"]["headers"])) == [a["id"]]
    assert (
        await env.client.get(f"{URL}{b['id']}/", headers=env.people["sup_a"]["headers"])
    ).status_code == 404
    assert (
        await env.client.patch(
            f"{URL}{b['id']}/", json={"center_code": "X"}, headers=env.people["sup_a"]["headers"]
        )
    ).status_code == 404
    into_b = await _create(env, "sup_a", center=CENTER_B)
    assert into_b.status_code == 403
    move = await env.client.patch(
        f"{URL}{a['id']}/", json={"center": CENTER_B}, headers=env.people["sup_a"]["headers"]
    )
    assert move.status_code == 403
    trainer = env.people["trainer"]["headers"]
    assert ids(await env.client.get(URL, headers=trainer)) == []
    assert (await env.client.get(f"{URL}{a['id']}/", headers=trainer)).status_code == 404
    assert (await _create(env, "trainer")).status_code == 403
    assert (await env.client.get(URL)).status_code == 401


async def test_filters_search_ordering_and_update(env: Env) -> None:
    a = (await _create(env, first_name="Ahmed", last_name="Benali", group=GROUP_A)).json()
    b = (
        await _create(env, first_name="Zineb", last_name="Alaoui", academic_year="2023-2024")
    ).json()
    c = (
        await _create(
            env, center=CENTER_B, program=OTHER_PROGRAM, first_name="Omar", last_name="Idrissi"
        )
    ).json()
    h = env.people["admin"]["headers"]

    async def ids(**params: Any) -> list[int]:
        resp = await env.client.get(URL, params=params, headers=h)
        assert resp.status_code == 200, resp.text
        return [s["id"] for s in resp.json()["results"]]

    assert await ids(center=CENTER_B) == [c["id"]]
    assert await ids(program=PROGRAM) == [a["id"], b["id"]]
    assert await ids(group=GROUP_A) == [a["id"]]
    assert await ids(academic_year="2023-2024") == [b["id"]]
    assert await ids(search="benali") == [a["id"]]
    assert await ids(ordering="-last_name") == [c["id"], a["id"], b["id"]]
    patched = await env.client.patch(
        f"{URL}{b['id']}/", json={"group": GROUP_A, "center_code": ""}, headers=h
    )
    assert patched.status_code == 200 and patched.json()["group_name"] == "Group A"
    put = await env.client.put(f"{URL}{b['id']}/", json={"center_code": "X"}, headers=h)
    assert put.status_code == 400 and "exam_id" in put.json()


async def test_delete_removes_the_account(env: Env) -> None:
    created = (await _create(env)).json()
    resp = await env.client.delete(f"{URL}{created['id']}/", headers=env.people["admin"]["headers"])
    assert resp.status_code == 204
    assert await env.auth_users("student") == []
    assert (
        await env.client.get(f"{URL}{created['id']}/", headers=env.people["admin"]["headers"])
    ).status_code == 404


async def test_an_account_deleted_in_auth_takes_its_student_along(env: Env) -> None:
    created = (await _create(env)).json()
    admin = env.people["admin"]["headers"]
    resp = await env.auth_client.delete(
        f"/api/accounts/users/{created['user']['id']}/", headers=admin
    )
    assert resp.status_code == 204
    deadline = time.monotonic() + 30
    while (await env.client.get(f"{URL}{created['id']}/", headers=admin)).status_code != 404:
        assert time.monotonic() < deadline, "the student outlived its account"
        await asyncio.sleep(0.1)


async def test_auth_down_saves_nothing_and_the_reconciler_releases_orphans(env: Env) -> None:
    settings = env.students.state.settings
    transports = env.students.state.http_transports
    env.students.state.http_transports = {}
    settings_url = settings.auth_url
    settings.auth_url = "http://127.0.0.1:9"  # nothing listens there
    try:
        resp = await _create(env)
    finally:
        settings.auth_url = settings_url
        env.students.state.http_transports = transports
    assert resp.status_code == 400
    assert resp.json()["user_creation_error"].startswith("Failed to create user account:")
    assert (await env.client.get(URL, headers=env.people["admin"]["headers"])).json()["count"] == 0

    # An account auth made for a student that was never saved (a crash between
    # the two): its ref is still pending, and the reconciler releases it.
    ref = "orphan-ref-0000000000000001"
    made = await env.auth_client.post(
        "/api/accounts/users/provision/",
        json={
            "users": [
                {"first_name": "Orphan", "last_name": "Account", "role": "student", "ref": ref}
            ]
        },
        headers=env.people["admin"]["headers"],
    )
    assert made.status_code == 201
    db = env.students.state.db
    async with db.session() as s, s.begin():
        await s.execute(
            text(
                "INSERT INTO pending_accounts (ref, created_at) "
                "VALUES (:r, now() - interval '1 hour')"
            ),
            {"r": ref},
        )
    released = await accounts.reconcile(
        db, auth_url=settings.auth_url, grace=settings.pending_account_grace, transports=transports
    )
    assert released == 1
    assert [u["email"] for u in await env.auth_users("student")] == []
    async with db.session() as s:
        assert (
            await s.execute(
                text("SELECT count(*) FROM pending_accounts WHERE ref = :r"), {"r": ref}
            )
        ).scalar_one() == 0


async def test_list_is_a_constant_number_of_queries(env: Env) -> None:
    for i in range(12):
        await _create(env, first_name=f"N{i}")
    engine = env.students.state.db.engine
    counts = []
    for size in (2, 12):
        with count_queries(engine) as counter:
            resp = await env.client.get(
                URL, params={"page_size": size}, headers=env.people["admin"]["headers"]
            )
        assert len(resp.json()["results"]) == size
        counts.append(counter.count)
    # The count and the page in one statement, whatever the page's size.
    assert counts[0] == counts[1] == 1
