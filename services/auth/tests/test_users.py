from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import PASSWORD, UserFactory

USERS = "/api/accounts/users/"


async def test_list_is_paginated_for_managers_only(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    supervisor = await make_user("center_supervisor")
    for role in ("trainer", "student", "association_supervisor"):
        other = await make_user(role)
        assert (await client.get(USERS, headers=other["headers"])).status_code == 403
    assert (await client.get(USERS)).status_code == 401
    for actor in (admin, supervisor):
        resp = await client.get(USERS, headers=actor["headers"])
        assert resp.status_code == 200
        body = resp.json()
        assert set(body) == {"count", "next", "previous", "results"}
        assert body["count"] == 5


async def test_pagination_links_follow_the_gateway(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    for _ in range(4):
        await make_user("student")
    headers = {
        **admin["headers"],
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "api.entraide-national.ma",
    }
    resp = await client.get(USERS, params={"page_size": 2, "role": "student"}, headers=headers)
    body = resp.json()
    assert body["count"] == 4 and len(body["results"]) == 2
    assert (
        body["next"]
        == "https://api.entraide-national.ma/api/accounts/users/?page=2&page_size=2&role=student"
    )
    assert body["previous"] is None
    page2 = await client.get(
        USERS, params={"page_size": 2, "role": "student", "page": 2}, headers=headers
    )
    assert page2.json()["next"] is None
    assert (
        page2.json()["previous"]
        == "https://api.entraide-national.ma/api/accounts/users/?page_size=2&role=student"
    )
    assert (await client.get(USERS, params={"page": 9}, headers=headers)).status_code == 404
    capped = await client.get(USERS, params={"page_size": 100000}, headers=headers)
    assert capped.status_code == 200


async def test_filters_search_and_ordering(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin", email="boss@entraide.ma")
    await make_user("trainer", first_name="Ahmed", last_name="Benali", email="ahmed@entraide.ma")
    await make_user("trainer", first_name="Zineb", last_name="Alaoui", email="zineb@entraide.ma")
    inactive = await make_user("student", email="gone@entraide.ma")
    await client.patch(
        f"{USERS}{inactive['id']}/", json={"is_active": False}, headers=admin["headers"]
    )
    h = admin["headers"]

    trainers = (await client.get(USERS, params={"role": "trainer"}, headers=h)).json()
    assert {u["email"] for u in trainers["results"]} == {"ahmed@entraide.ma", "zineb@entraide.ma"}
    inactive_list = (await client.get(USERS, params={"is_active": "false"}, headers=h)).json()
    assert [u["email"] for u in inactive_list["results"]] == ["gone@entraide.ma"]
    found = (await client.get(USERS, params={"search": "benali"}, headers=h)).json()
    assert [u["email"] for u in found["results"]] == ["ahmed@entraide.ma"]
    ordered = (await client.get(USERS, params={"ordering": "-email"}, headers=h)).json()
    emails = [u["email"] for u in ordered["results"]]
    assert emails == sorted(emails, reverse=True)
    by_name = (await client.get(USERS, params={"ordering": "first_name,-id"}, headers=h)).json()
    names = [u["first_name"] for u in by_name["results"]]
    assert names == sorted(names)
    # Unknown ordering fields are ignored, never passed into SQL.
    weird = await client.get(USERS, params={"ordering": "password;DROP TABLE users"}, headers=h)
    assert weird.status_code == 200
    bad_role = await client.get(USERS, params={"role": "king"}, headers=h)
    assert bad_role.status_code == 400 and "role" in bad_role.json()
    bad_bool = await client.get(USERS, params={"is_active": "maybe"}, headers=h)
    assert bad_bool.status_code == 400 and "is_active" in bad_bool.json()
    like = await client.get(USERS, params={"search": "%"}, headers=h)
    assert like.json()["count"] == 0


async def test_create_retrieve_update_delete(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    h = admin["headers"]
    resp = await client.post(
        USERS,
        json={
            "email": "New.User@Entraide.ma",
            "password": PASSWORD,
            "first_name": "New",
            "role": "trainer",
        },
        headers=h,
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["email"] == "new.user@entraide.ma"
    assert created["username"] == "new.user"
    assert created["role"] == "trainer"
    uid = created["id"]

    assert (await client.get(f"{USERS}{uid}/", headers=h)).json()["first_name"] == "New"
    resp = await client.patch(f"{USERS}{uid}/", json={"city": "Fes"}, headers=h)
    assert resp.status_code == 200 and resp.json()["city"] == "Fes"
    resp = await client.put(f"{USERS}{uid}/", json={"first_name": "Only"}, headers=h)
    assert resp.status_code == 400 and resp.json() == {"email": ["This field is required."]}
    resp = await client.put(
        f"{USERS}{uid}/", json={"email": "renamed@entraide.ma", "last_name": "R"}, headers=h
    )
    assert resp.status_code == 200 and resp.json()["email"] == "renamed@entraide.ma"

    assert (await client.delete(f"{USERS}{uid}/", headers=h)).status_code == 204
    assert (await client.get(f"{USERS}{uid}/", headers=h)).status_code == 404
    assert (await client.get(f"{USERS}abc/", headers=h)).status_code == 404


async def test_username_gets_a_suffix_when_taken(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    names = []
    for domain in ("a.ma", "b.ma", "c.ma"):
        resp = await client.post(
            USERS, json={"email": f"sara@{domain}", "password": PASSWORD}, headers=admin["headers"]
        )
        names.append(resp.json()["username"])
    assert names == ["sara", "sara1", "sara2"]


async def test_create_validation_errors(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    admin = await make_user("admin")
    h = admin["headers"]
    resp = await client.post(USERS, json={}, headers=h)
    assert resp.status_code == 400
    assert resp.json() == {
        "email": ["This field is required."],
        "password": ["This field is required."],
    }
    resp = await client.post(
        USERS, json={"email": "not-an-email", "password": PASSWORD, "role": "king"}, headers=h
    )
    assert resp.status_code == 400
    assert resp.json()["email"] == ["Enter a valid email address."]
    assert resp.json()["role"] == ['"king" is not a valid choice.']
    resp = await client.post(
        USERS, json={"email": admin["email"].upper(), "password": PASSWORD}, headers=h
    )
    assert resp.status_code == 400
    assert resp.json() == {"email": ["user with this email already exists."]}
    resp = await client.post(USERS, json=["a", "list"], headers=h)
    assert resp.status_code == 400 and "non_field_errors" in resp.json()
    resp = await client.post(
        USERS,
        json={"email": "long@entraide.ma", "password": PASSWORD, "first_name": "x" * 31},
        headers=h,
    )
    assert resp.status_code == 400
    assert resp.json() == {"first_name": ["Ensure this field has no more than 30 characters."]}


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short. It must contain at least 8 characters."),
        ("2024123456", "This password is entirely numeric."),
        ("password123", "This password is too common."),
        ("karima.benjelloun", "The password is too similar to your personal information."),
    ],
)
async def test_weak_passwords_are_refused(
    client: httpx.AsyncClient, make_user: UserFactory, password: str, message: str
) -> None:
    admin = await make_user("admin")
    resp = await client.post(
        USERS,
        json={"email": "karima.benjelloun@entraide.ma", "password": password},
        headers=admin["headers"],
    )
    assert resp.status_code == 400
    assert message in resp.json()["password"]


async def test_supervisor_cannot_create_promote_or_delete_admins(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    supervisor = await make_user("center_supervisor")
    admin = await make_user("admin")
    trainer = await make_user("trainer")
    h = supervisor["headers"]
    resp = await client.post(
        USERS, json={"email": "x@entraide.ma", "password": PASSWORD, "role": "admin"}, headers=h
    )
    assert resp.status_code == 403
    assert (
        await client.patch(f"{USERS}{trainer['id']}/", json={"role": "admin"}, headers=h)
    ).status_code == 403
    assert (await client.delete(f"{USERS}{admin['id']}/", headers=h)).status_code == 403
    assert (
        await client.patch(f"{USERS}{admin['id']}/", json={"city": "X"}, headers=h)
    ).status_code == 403
    # ...but manages everybody else.
    resp = await client.post(
        USERS, json={"email": "t@entraide.ma", "password": PASSWORD, "role": "trainer"}, headers=h
    )
    assert resp.status_code == 201
    assert (await client.delete(f"{USERS}{trainer['id']}/", headers=h)).status_code == 204


async def test_nobody_changes_their_own_role_or_status(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    me = f"{USERS}{admin['id']}/"
    assert (
        await client.patch(me, json={"role": "student"}, headers=admin["headers"])
    ).status_code == 403
    assert (
        await client.patch(me, json={"is_active": False}, headers=admin["headers"])
    ).status_code == 403
    assert (await client.delete(me, headers=admin["headers"])).status_code == 403
    assert (
        await client.patch(me, json={"city": "Oujda"}, headers=admin["headers"])
    ).status_code == 200


async def test_role_change_revokes_earlier_tokens(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    user = await make_user("trainer")
    await client.patch(
        f"{USERS}{user['id']}/", json={"role": "center_supervisor"}, headers=admin["headers"]
    )
    assert (await client.get(f"{USERS}me/", headers=user["headers"])).status_code == 401
    resp = await client.post(
        "/api/token/", json={"email": user["email"], "password": user["password"]}
    )
    headers = {"Authorization": f"Bearer {resp.json()['access']}"}
    assert (await client.get(USERS, headers=headers)).status_code == 200


async def test_admin_sets_a_password(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    admin = await make_user("admin")
    user = await make_user("student")
    new = "Oasis-Ifrane-2025"
    resp = await client.patch(
        f"{USERS}{user['id']}/",
        json={"password": new, "must_change_password": True},
        headers=admin["headers"],
    )
    assert resp.status_code == 200 and resp.json()["must_change_password"] is True
    assert "password" not in resp.json()
    resp = await client.post("/api/token/", json={"email": user["email"], "password": new})
    assert resp.status_code == 200


async def test_register_returns_user_and_tokens(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    body = {
        "email": "reg@entraide.ma",
        "password": PASSWORD,
        "first_name": "New",
        "last_name": "User",
        "role": "student",
    }
    resp = await client.post(f"{USERS}register/", json=body, headers=admin["headers"])
    assert resp.status_code == 201
    out = resp.json()
    assert set(out) == {"user", "refresh", "access"}
    assert out["user"]["role"] == "student"
    me = await client.get(f"{USERS}me/", headers={"Authorization": f"Bearer {out['access']}"})
    assert me.json()["email"] == "reg@entraide.ma"
    missing_role = await client.post(
        f"{USERS}register/",
        json={"email": "r2@entraide.ma", "password": PASSWORD},
        headers=admin["headers"],
    )
    assert missing_role.status_code == 400 and missing_role.json() == {
        "role": ["This field is required."]
    }
    student = await make_user("student")
    assert (
        await client.post(f"{USERS}register/", json=body, headers=student["headers"])
    ).status_code == 403


async def test_change_password(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user("trainer")
    url = f"{USERS}change_password/"
    resp = await client.post(
        url,
        json={"old_password": "nope", "new_password": "Atlas-Peaks-77"},
        headers=user["headers"],
    )
    assert resp.status_code == 400 and resp.json() == {"detail": "Old password is incorrect."}
    resp = await client.post(
        url, json={"old_password": user["password"], "new_password": "123"}, headers=user["headers"]
    )
    assert resp.status_code == 400 and "new_password" in resp.json()
    resp = await client.post(url, json={"old_password": user["password"]}, headers=user["headers"])
    assert resp.status_code == 400 and resp.json() == {"new_password": ["This field is required."]}
    resp = await client.post(
        url,
        json={"old_password": user["password"], "new_password": "Atlas-Peaks-77"},
        headers=user["headers"],
    )
    assert resp.status_code == 200
    assert resp.json()["detail"] == "Password successfully changed."
    # Earlier tokens stop working; the new ones and the new password work.
    assert (await client.get(f"{USERS}me/", headers=user["headers"])).status_code == 401
    assert (
        await client.post("/api/token/refresh/", json={"refresh": user["refresh"]})
    ).status_code == 401
    fresh = {"Authorization": f"Bearer {resp.json()['access']}"}
    assert (await client.get(f"{USERS}me/", headers=fresh)).status_code == 200
    login = await client.post(
        "/api/token/", json={"email": user["email"], "password": "Atlas-Peaks-77"}
    )
    assert login.status_code == 200


async def test_reading_ones_profile_costs_the_token_check_alone(
    auth_app: Any, client: httpx.AsyncClient, make_user: Any
) -> None:
    """users/me is the most frequent call: the row the token guard read answers it."""
    from entraide_stack.testing.queries import count_queries

    user = await make_user("trainer")
    with count_queries(auth_app.state.db.engine) as counter:
        resp = await client.get("/api/accounts/users/me/", headers=user["headers"])
    assert resp.status_code == 200 and resp.json()["role"] == "trainer"
    assert counter.count == 1, counter.statements
