from __future__ import annotations

import httpx

from .conftest import UserFactory

CONTRACT_PROFILE_KEYS = {
    "id",
    "email",
    "username",
    "first_name",
    "last_name",
    "role",
    "profile_picture",
    "birth_date",
    "birth_city",
    "CIN_id",
    "phone_number",
    "address",
    "city",
    "date_joined",
    "is_active",
    "created_at",
    "updated_at",
}


async def test_obtain_token_returns_both_tokens(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user("trainer")
    resp = await client.post(
        "/api/token/", json={"email": user["email"], "password": user["password"]}
    )
    assert resp.status_code == 200
    assert set(resp.json()) == {"refresh", "access"}


async def test_email_is_case_insensitive(client: httpx.AsyncClient, make_user: UserFactory) -> None:
    user = await make_user("trainer")
    resp = await client.post(
        "/api/token/", json={"email": user["email"].upper(), "password": user["password"]}
    )
    assert resp.status_code == 200


async def test_wrong_password_is_401_with_contract_detail(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    resp = await client.post(
        "/api/token/", json={"email": user["email"], "password": "wrong-password"}
    )
    assert resp.status_code == 401
    assert resp.json() == {"detail": "No active account found with the given credentials"}
    unknown = await client.post(
        "/api/token/", json={"email": "nobody@entraide.ma", "password": "x"}
    )
    assert unknown.status_code == 401
    assert unknown.json() == resp.json()


async def test_inactive_user_cannot_log_in(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    admin = await make_user("admin")
    user = await make_user()
    resp = await client.patch(
        f"/api/accounts/users/{user['id']}/", json={"is_active": False}, headers=admin["headers"]
    )
    assert resp.status_code == 200
    resp = await client.post(
        "/api/token/", json={"email": user["email"], "password": user["password"]}
    )
    assert resp.status_code == 401
    # ...and the token it had before is refused at once.
    resp = await client.get("/api/accounts/users/me/", headers=user["headers"])
    assert resp.status_code == 401


async def test_token_obtain_field_errors(client: httpx.AsyncClient) -> None:
    resp = await client.post("/api/token/", json={})
    assert resp.status_code == 400
    assert resp.json() == {
        "email": ["This field is required."],
        "password": ["This field is required."],
    }
    resp = await client.post("/api/token/", json={"email": 12, "password": ["x"]})
    assert resp.status_code == 400
    assert set(resp.json()) == {"email", "password"}
    resp = await client.post(
        "/api/token/", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.json()["detail"].startswith("JSON parse error")


async def test_refresh_gives_a_working_access_token(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    resp = await client.post("/api/token/refresh/", json={"refresh": user["refresh"]})
    assert resp.status_code == 200
    access = resp.json()["access"]
    me = await client.get("/api/accounts/users/me/", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 200


async def test_access_token_is_not_a_refresh_token(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    resp = await client.post("/api/token/refresh/", json={"refresh": user["access"]})
    assert resp.status_code == 401
    assert resp.json() == {"detail": "Token is invalid or expired", "code": "token_not_valid"}
    resp = await client.get(
        "/api/accounts/users/me/", headers={"Authorization": f"Bearer {user['refresh']}"}
    )
    assert resp.status_code == 401
    assert resp.json()["code"] == "token_not_valid"


async def test_logout_blacklists_the_refresh_token(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user()
    resp = await client.post(
        "/api/accounts/users/logout/", json={"refresh": user["refresh"]}, headers=user["headers"]
    )
    assert resp.status_code == 200
    assert resp.json() == {"detail": "Successfully logged out."}
    resp = await client.post("/api/token/refresh/", json={"refresh": user["refresh"]})
    assert resp.status_code == 401
    assert resp.json()["code"] == "token_not_valid"
    resp = await client.get("/api/accounts/users/me/", headers=user["headers"])
    assert resp.status_code == 401


async def test_logout_with_only_the_refresh_token(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    """The web client logs out without an access token: the refresh token proves who."""
    user = await make_user()
    resp = await client.post("/api/accounts/users/logout/", json={"refresh": user["refresh"]})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"detail": "Successfully logged out."}
    assert (
        await client.post("/api/token/refresh/", json={"refresh": user["refresh"]})
    ).status_code == 401
    assert (await client.get("/api/accounts/users/me/", headers=user["headers"])).status_code == 401
    # Again, or with a token that is not a refresh token, or garbage: refused, nothing changes.
    again = await client.post("/api/accounts/users/logout/", json={"refresh": user["refresh"]})
    assert again.status_code == 401 and again.json()["code"] == "token_not_valid"
    other = await make_user()
    access = other["headers"]["Authorization"].split()[1]
    for bad in (access, "not-a-token"):
        resp = await client.post("/api/accounts/users/logout/", json={"refresh": bad})
        assert resp.status_code == 401
    assert (
        await client.get("/api/accounts/users/me/", headers=other["headers"])
    ).status_code == 200
    assert (await client.post("/api/accounts/users/logout/", json={})).status_code == 400
    # A bad access token beside it is still refused.
    resp = await client.post(
        "/api/accounts/users/logout/",
        json={"refresh": other["refresh"]},
        headers={"Authorization": "Bearer nope"},
    )
    assert resp.status_code == 401


async def test_logout_with_someone_elses_refresh_token_is_refused(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    alice, bob = await make_user(), await make_user()
    resp = await client.post(
        "/api/accounts/users/logout/", json={"refresh": bob["refresh"]}, headers=alice["headers"]
    )
    assert resp.status_code == 400
    resp = await client.post("/api/token/refresh/", json={"refresh": bob["refresh"]})
    assert resp.status_code == 200


async def test_jwks_publishes_the_verification_key(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/token/jwks/")
    assert resp.status_code == 200
    (key,) = resp.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert "d" not in key  # never the private part


async def test_me_has_the_contract_profile_keys(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user("student", CIN_id="AB123456", city="Rabat")
    for path in ("/api/accounts/users/me/", "/api/accounts/users/profile/"):
        resp = await client.get(path, headers=user["headers"])
        assert resp.status_code == 200
        body = resp.json()
        assert set(body) >= CONTRACT_PROFILE_KEYS
        assert "password" not in body
        assert body["CIN_id"] == "AB123456" and body["city"] == "Rabat"


async def test_me_update_cannot_change_role_or_active(
    client: httpx.AsyncClient, make_user: UserFactory
) -> None:
    user = await make_user("student")
    resp = await client.patch(
        "/api/accounts/users/me/",
        json={"city": "Marrakech", "role": "admin", "is_active": False, "address": None},
        headers=user["headers"],
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["city"] == "Marrakech" and body["address"] == ""
    assert body["role"] == "student" and body["is_active"] is True
    resp = await client.put(
        "/api/accounts/users/me/", json={"first_name": "Updated"}, headers=user["headers"]
    )
    assert resp.status_code == 200
    assert resp.json()["first_name"] == "Updated"
    assert resp.json()["city"] == "Marrakech"


async def test_me_requires_a_token(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/accounts/users/me/")
    assert resp.status_code == 401
    assert resp.json() == {"detail": "Authentication credentials were not provided."}
    resp = await client.get("/api/accounts/users/me/", headers={"Authorization": "Bearer junk"})
    assert resp.status_code == 401
    assert resp.json()["code"] == "token_not_valid"
