from __future__ import annotations

import httpx

from .conftest import UserFactory

URL = "/api/accounts/users/provision/"


async def test_provisioned_accounts_have_generated_emails_and_one_time_passwords(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    supervisor = await make_user("center_supervisor")
    people = [
        {"first_name": "Fatima", "last_name": "Zahra", "role": "student", "CIN_id": "AB1"},
        {"first_name": "Fatima", "last_name": "Zahra", "role": "student"},
        {"first_name": "Élodie", "last_name": "Ben Ali", "role": "trainer", "city": "Fès"},
    ]
    resp = await client.post(URL, json={"users": people}, headers=supervisor["headers"])
    assert resp.status_code == 201, resp.text
    made = resp.json()["users"]
    assert [u["email"] for u in made] == [
        "fatima.zahra@entraide.ma",
        "fatima.zahra1@entraide.ma",
        "elodie.ben-ali@entraide.ma",
    ]
    assert [u["role"] for u in made] == ["student", "student", "trainer"]
    assert len({u["initial_password"] for u in made}) == 3
    again = await client.post(
        URL,
        json={"users": people[:1], "email_domain": "entraide-larache.ma"},
        headers=supervisor["headers"],
    )
    assert again.json()["users"][0]["email"] == "fatima.zahra@entraide-larache.ma"

    # The one-time password logs in, but only to change it.
    first = made[0]
    login = await client.post(
        "/api/token/", json={"email": first["email"], "password": first["initial_password"]}
    )
    assert login.status_code == 200
    tokens = login.json()
    h = {"Authorization": f"Bearer {tokens['access']}"}
    me = await client.get("/api/accounts/users/me/", headers=h)
    assert me.status_code == 200 and me.json()["must_change_password"] is True
    assert me.json()["CIN_id"] == "AB1"
    refused = await client.patch("/api/accounts/users/me/", json={"city": "X"}, headers=h)
    assert (
        refused.status_code == 403 and "change your one-time password" in refused.json()["detail"]
    )
    changed = await client.post(
        "/api/accounts/users/change_password/",
        json={"old_password": first["initial_password"], "new_password": "Oasis-Ifrane-2025"},
        headers=h,
    )
    assert changed.status_code == 200
    fresh = {"Authorization": f"Bearer {changed.json()['access']}"}
    ok = await client.patch("/api/accounts/users/me/", json={"city": "Rabat"}, headers=fresh)
    assert ok.status_code == 200 and ok.json()["must_change_password"] is False
    # The one-time password is gone.
    old = await client.post(
        "/api/token/", json={"email": first["email"], "password": first["initial_password"]}
    )
    assert old.status_code == 401


async def test_provision_is_for_managers_and_for_students_and_trainers_only(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    trainer = await make_user("trainer")
    admin = await make_user("admin")
    body = {"users": [{"first_name": "A", "last_name": "B", "role": "student"}]}
    assert (await client.post(URL, json=body, headers=trainer["headers"])).status_code == 403
    assert (await client.post(URL, json=body)).status_code == 401
    bad = {"users": [{"first_name": "A", "last_name": "B", "role": "admin"}]}
    resp = await client.post(URL, json=bad, headers=admin["headers"])
    assert resp.status_code == 400 and "users.0.role" in resp.json()
    empty = await client.post(URL, json={"users": []}, headers=admin["headers"])
    assert empty.status_code == 400


async def test_a_thousand_accounts_in_one_call(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    people = [
        {"first_name": f"Student{i % 50}", "last_name": "Bulk", "role": "student"}
        for i in range(1000)
    ]
    resp = await client.post(URL, json={"users": people}, headers=admin["headers"])
    assert resp.status_code == 201
    emails = [u["email"] for u in resp.json()["users"]]
    assert len(set(emails)) == 1000
    assert "student0.bulk19@entraide.ma" in emails


async def test_release_deletes_only_unused_accounts_of_known_refs(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    refs = ["students-ref-000000000001", "students-ref-000000000002"]
    people = [
        {"first_name": "Unused", "last_name": "One", "role": "student", "ref": refs[0]},
        {"first_name": "Used", "last_name": "Two", "role": "student", "ref": refs[1]},
    ]
    made = (await client.post(URL, json={"users": people}, headers=admin["headers"])).json()[
        "users"
    ]
    login = await client.post(
        "/api/token/", json={"email": made[1]["email"], "password": made[1]["initial_password"]}
    )
    assert login.status_code == 200  # the second account has been used
    resp = await client.post(
        "/api/accounts/users/release/", json={"refs": [*refs, "unknown-ref-0000000000"]}
    )
    assert resp.status_code == 200 and resp.json() == {"released": 1}
    assert (
        await client.get(f"/api/accounts/users/{made[0]['id']}/", headers=admin["headers"])
    ).status_code == 404
    assert (
        await client.get(f"/api/accounts/users/{made[1]['id']}/", headers=admin["headers"])
    ).status_code == 200
    reused = await client.post(URL, json={"users": people[1:]}, headers=admin["headers"])
    assert reused.status_code == 400 and "ref" in reused.json()


async def test_concurrent_batches_for_the_same_names_get_distinct_emails(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    # Two supervisors importing the same class at once: each batch reads the
    # taken names, then inserts; without the names' locks both pick
    # fatima.zahra@ and one import fails on the unique email.
    import asyncio

    supervisor = await make_user("center_supervisor")
    people = [
        {"first_name": "Fatima", "last_name": "Zahra", "role": "student"},
        {"first_name": "Youssef", "last_name": "Amrani", "role": "student"},
        {"first_name": "Fatima", "last_name": "Zahra", "role": "student"},
    ]

    async def batch(order: list[dict[str, str]]) -> httpx.Response:
        return await client.post(URL, json={"users": order}, headers=supervisor["headers"])

    answers = await asyncio.gather(*(batch(people if i % 2 else people[::-1]) for i in range(6)))
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    emails = [u["email"] for a in answers for u in a.json()["users"]]
    assert len(emails) == 18 and len(set(emails)) == 18
    assert "fatima.zahra11@entraide.ma" in emails and "youssef.amrani5@entraide.ma" in emails
