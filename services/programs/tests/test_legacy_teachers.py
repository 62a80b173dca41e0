"""The web client's teacher paths (/api/teachers/teachers/): the original backend's
representation, the same scopes as the documented paths, and user changes asked of
auth (a stand-in auth app here; the real one in tests/test_client_teachers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .conftest import (
    ADMIN,
    ASSOC_SUP,
    CENTER_A,
    CENTER_B,
    GROUP_A1,
    STUDENT,
    SUP_A,
    SUP_B,
    TEACHERS,
    TRAINER,
    TRAINER_B,
    Api,
    Apply,
    MakeTeacher,
    png_bytes,
)

World = Callable[[], Awaitable[dict[str, Any]]]
ALIAS = "/api/teachers/teachers/"
AUTH = "http://auth.test"


def _user_event(user_id: int, **changes: Any) -> dict[str, Any]:
    data = {
        "id": user_id,
        "email": f"u{user_id}@entraide.ma",
        "username": f"u{user_id}",
        "first_name": "Tariq",
        "last_name": "Tazi",
        "arabic_first_name": "طارق",
        "arabic_last_name": "التازي",
        "role": "trainer",
        "is_active": True,
        "profile_picture": None,
        "phone_number": "0611223344",
        "cin_id": "AB1234",
        "birth_date": "1990-05-01",
        "birth_city": "Fes",
        "address": "1 rue Atlas",
        "city": "Rabat",
        "token_version": 0,
    }
    return {**data, **changes}


async def _teachers(world: World, make_teacher: MakeTeacher, apply_event: Apply) -> dict[str, Any]:
    w = await world()
    assert await apply_event("user", TRAINER, 2, _user_event(TRAINER))
    w["tA"] = await make_teacher(TRAINER, CENTER_A, w["web"]["id"], [GROUP_A1])
    w["tB"] = await make_teacher(TRAINER_B, CENTER_B, w["plumbing"]["id"], [], "association")
    return w


async def test_the_original_representation(
    api: Api, world: World, make_teacher: MakeTeacher, apply_event: Apply
) -> None:
    w = await _teachers(world, make_teacher, apply_event)
    t = (await api("GET", f"{ALIAS}{w['tA']}/")).json()
    assert t == {
        "id": w["tA"],
        "user": {
            "id": TRAINER,
            "email": f"u{TRAINER}@entraide.ma",
            "username": f"u{TRAINER}",
            "first_name": "Tariq",
            "last_name": "Tazi",
            "Arabic_first_name": "طارق",
            "arabic_last_name": "التازي",
            "role": "trainer",
            "role_display": "Trainer",
            "is_active": True,
            "profile_picture": None,
            "phone_number": "0611223344",
            "CIN_id": "AB1234",
            "birth_date": "1990-05-01",
            "birth_city": "Fes",
            "address": "1 rue Atlas",
            "city": "Rabat",
        },
        "center": "Centre A",
        "program": w["web"]["id"],
        "program_name": "Web Development",
        "groups": [
            {
                "id": GROUP_A1,
                "name": "Group A1",
                "description": "",
                "center": CENTER_A,
                "created_at": None,
                "updated_at": None,
            }
        ],
        "contarct_with": "entraide",
        "contract_start_date": None,
        "contract_end_date": None,
        "created_at": t["created_at"],
        "updated_at": t["updated_at"],
    }
    # The same record as the documented path, in the other shape.
    ours = (await api("GET", f"{TEACHERS}{w['tA']}/")).json()
    assert (ours["id"], ours["created_at"], ours["updated_at"]) == (
        t["id"],
        t["created_at"],
        t["updated_at"],
    )
    listed = (await api("GET", ALIAS)).json()
    assert listed["count"] == 2 and t in listed["results"]
    # A user the profile copy lacks: empty profile, never an error.
    other = next(r for r in listed["results"] if r["id"] == w["tB"])
    assert other["user"]["CIN_id"] == "" and other["user"]["profile_picture"] is None
    assert other["center"] == "Centre B" and other["contarct_with"] == "association"


async def test_filters_and_scopes_are_the_documented_ones(
    api: Api, world: World, make_teacher: MakeTeacher, apply_event: Apply
) -> None:
    w = await _teachers(world, make_teacher, apply_event)

    def ids(resp: httpx.Response) -> list[int]:
        assert resp.status_code == 200, resp.text
        return [r["id"] for r in resp.json()["results"]]

    assert ids(await api("GET", ALIAS, params={"center": CENTER_A})) == [w["tA"]]
    assert ids(await api("GET", ALIAS, params={"user": TRAINER_B})) == [w["tB"]]
    assert ids(await api("GET", ALIAS, SUP_A)) == [w["tA"]]
    assert ids(await api("GET", ALIAS, ASSOC_SUP)) == [w["tB"], w["tA"]]
    # M7: a trainer, their own record only, whatever they ask.
    assert ids(await api("GET", ALIAS, TRAINER, params={"user": TRAINER})) == [w["tA"]]
    assert ids(await api("GET", ALIAS, TRAINER, params={"user": TRAINER_B})) == []
    assert (await api("GET", f"{ALIAS}{w['tA']}/", TRAINER)).status_code == 200
    assert (await api("GET", f"{ALIAS}{w['tB']}/", TRAINER)).status_code == 404
    assert (await api("GET", f"{ALIAS}{w['tB']}/", SUP_A)).status_code == 404
    assert (await api("GET", ALIAS, STUDENT)).status_code == 403
    assert (await api("GET", ALIAS, None)).status_code == 401
    for user in (TRAINER, ASSOC_SUP, STUDENT):
        assert (await api("POST", ALIAS, user, json={})).status_code == 403
        assert (await api("PATCH", f"{ALIAS}{w['tA']}/", user, json={})).status_code == 403
    assert (await api("GET", f"{ALIAS}999/")).status_code == 404
    assert (await api("PATCH", f"{ALIAS}999/", json={})).status_code == 404


async def test_without_auth_a_user_change_changes_nothing(
    api: Api, world: World, make_teacher: MakeTeacher, apply_event: Apply
) -> None:
    w = await _teachers(world, make_teacher, apply_event)
    url = f"{ALIAS}{w['tA']}/"
    before = (await api("GET", url)).json()
    resp = await api("PATCH", url, json={"user": {"is_active": False}})
    assert resp.status_code == 503 and "nothing was changed" in resp.json()["detail"]
    form = {"first_name": "Tariq", "last_name": "Tazi", "contarct_with": "association"}
    resp = await api("PATCH", url, SUP_A, data=form)
    assert resp.status_code == 503
    assert (await api("GET", url)).json() == before
    # Teacher fields alone need no auth; the client's names are read.
    resp = await api("PATCH", url, SUP_A, data={"contarct_with": "association", "center": "10"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["contarct_with"] == "association"
    # Errors come under the client's names; blank names are refused before auth is asked.
    resp = await api("PATCH", url, data={"contarct_with": "ministry"})
    assert resp.status_code == 400 and set(resp.json()) == {"contarct_with"}
    resp = await api("PATCH", url, data={"first_name": ""})
    assert resp.json() == {"first_name": ["This field may not be blank."]}
    resp = await api("PATCH", url, SUP_B, json={"user": {"is_active": False}})
    assert resp.status_code == 404


class FakeAuth:
    """auth's PATCH /api/accounts/users/{id}/ as far as these tests need it."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, dict[str, Any], str]] = []
        self.refuse: tuple[int, dict[str, Any]] | None = None
        self.app = FastAPI()

        @self.app.patch("/api/accounts/users/{user_id}/")
        async def patch(user_id: int, request: Request) -> JSONResponse:
            body = await request.json()
            self.calls.append((user_id, body, request.headers.get("authorization", "")))
            if self.refuse is not None:
                return JSONResponse(self.refuse[1], status_code=self.refuse[0])
            user = _user_event(user_id)
            user["CIN_id"] = user.pop("cin_id")
            user.update(body)
            return JSONResponse(user)


@pytest.fixture
async def fake_auth(programs_app: FastAPI) -> AsyncIterator[FakeAuth]:
    fake = FakeAuth()
    settings = programs_app.state.settings
    transports = getattr(programs_app.state, "http_transports", None)
    programs_app.state.http_transports = {**(transports or {}), AUTH: httpx.ASGITransport(fake.app)}
    settings.auth_url = AUTH
    yield fake
    settings.auth_url = None
    programs_app.state.http_transports = transports


async def test_user_changes_go_to_auth(
    api: Api,
    world: World,
    make_teacher: MakeTeacher,
    apply_event: Apply,
    fake_auth: FakeAuth,
) -> None:
    w = await _teachers(world, make_teacher, apply_event)
    url = f"{ALIAS}{w['tA']}/"
    # F19a: deactivation, applied to the linked user; the answer shows it.
    resp = await api("PATCH", url, SUP_A, json={"user": {"is_active": False}})
    assert resp.status_code == 200, resp.text
    assert resp.json()["user"]["is_active"] is False
    user_id, body, authorization = fake_auth.calls[-1]
    assert (user_id, body) == (TRAINER, {"is_active": False})
    assert authorization.startswith("Bearer ")  # the caller's own token
    assert (await api("GET", f"{TEACHERS}{w['tA']}/")).json()["user"]["is_active"] is False

    # F19b: multipart, user fields to auth (theirs renamed to auth's), the rest here.
    form = {
        "first_name": "Tarik",
        "last_name": "Tazi",
        "Arabic_first_name": "طارق",
        "arabic_last_name": "",
        "CIN_id": "CD5678",
        "phone_number": "0700000000",
        "birth_date": "",
        "birth_city": "null",
        "address": "2 rue Rif",
        "city": "Tanger",
        "center": str(CENTER_A),
        "program": str(w["plumbing"]["id"]),
        "contarct_with": "association",
        "contract_start_date": "2024-09-01",
        "contract_end_date": "2025-06-30",
    }
    files = {"profile_picture": ("me.png", png_bytes(), "image/png")}
    resp = await api("PATCH", url, SUP_A, data=form, files=files)
    assert resp.status_code == 200, resp.text
    _, body, _ = fake_auth.calls[-1]
    picture = body.pop("profile_picture")
    assert picture.startswith("http") and "/api/programs/media/teachers/pictures/" in picture
    assert body == {
        "first_name": "Tarik",
        "last_name": "Tazi",
        "arabic_first_name": "طارق",
        "arabic_last_name": "",
        "CIN_id": "CD5678",
        "phone_number": "0700000000",
        "birth_date": None,
        "birth_city": "",
        "address": "2 rue Rif",
        "city": "Tanger",
    }
    t = resp.json()
    assert t["program"] == w["plumbing"]["id"] and t["contarct_with"] == "association"
    assert t["contract_start_date"] == "2024-09-01"
    assert t["user"]["first_name"] == "Tarik" and t["user"]["CIN_id"] == "CD5678"
    assert t["user"]["profile_picture"] == picture and t["user"]["birth_date"] is None
    served = await api("GET", "/" + picture.split("://", 1)[1].split("/", 1)[1])
    assert served.status_code == 200

    # auth refuses: a clear error, and nothing changed here.
    before = (await api("GET", url)).json()
    fake_auth.refuse = (400, {"phone_number": ["Ensure this field has no more than 15 chars."]})
    resp = await api("PATCH", url, data={"phone_number": "1", "contarct_with": "entraide"})
    assert resp.json() == {"phone_number": ["Ensure this field has no more than 15 chars."]}
    fake_auth.refuse = (403, {"detail": "Only an admin can change or delete an admin."})
    resp = await api("PATCH", url, json={"user": {"is_active": True}, "contarct_with": "entraide"})
    assert resp.status_code == 403 and "nothing was changed" in resp.json()["detail"]
    fake_auth.refuse = (500, {"detail": "boom"})
    resp = await api("PATCH", url, json={"user": {"is_active": True}})
    assert resp.status_code == 503
    assert (await api("GET", url)).json() == before
    # The documented PATCH never touches the user.
    calls = len(fake_auth.calls)
    resp = await api("PATCH", f"{TEACHERS}{w['tA']}/", ADMIN, json={"contract_with": "entraide"})
    assert resp.status_code == 200 and len(fake_auth.calls) == calls
