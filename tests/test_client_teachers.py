"""The existing web client's trainer pages through the gateway (client-compat.md,
section 8 rows 29 and 31-37): requests as the client builds them, every field it reads.

The client calls ``http://localhost:8000/api/...`` with ``Authorization: Bearer`` and
``Content-Type: application/json`` on every call (multipart ones excepted).
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from entraide_stack import Stack

PASSWORD = "Sahara-Atlas-2024"
ALIAS = "/api/teachers/teachers/"
# What the client reads of a teacher's nested user (F17).
USER_READ = {
    "id",
    "email",
    "first_name",
    "last_name",
    "is_active",
    "phone_number",
    "profile_picture",
    "city",
    "Arabic_first_name",
    "arabic_last_name",
    "CIN_id",
    "birth_date",
    "birth_city",
    "address",
}


def _tag() -> str:
    return uuid.uuid4().hex[:6]


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def _login(gw: httpx.Client, email: str, password: str) -> str:
    return str(_ok(gw.post("/api/token/", json={"email": email, "password": password}))["access"])


def _wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout}s")
        time.sleep(0.05)


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def gw(full_gw: httpx.Client) -> httpx.Client:
    return full_gw


@pytest.fixture(scope="module")
def admin(full_stack: Stack, gw: httpx.Client) -> dict[str, str]:
    return _headers(_login(gw, full_stack.admin_email, full_stack.admin_password()))


@pytest.fixture(scope="module")
def world(gw: httpx.Client, admin: dict[str, str]) -> dict[str, Any]:
    """A centre supervisor and their centre (with a group), another centre, a programme."""
    email = f"sup-{_tag()}@entraide.ma"
    made = gw.post(
        "/api/accounts/users/",
        json={"email": email, "password": PASSWORD, "role": "center_supervisor"},
        headers=admin,
    )
    sup_id = _ok(made, 201)["id"]
    out: dict[str, Any] = {
        "admin": admin,
        "sup_id": sup_id,
        "sup": _headers(_login(gw, email, PASSWORD)),
    }
    for key, supervisor in (("center", sup_id), ("other_center", None)):
        name = f"Centre {_tag()}"
        body = {"name": name, "city": "Larache", "supervisor": supervisor}
        out[key] = _ok(gw.post("/api/centers-app/centers/", json=body, headers=admin), 201)
    group = gw.post(
        "/api/centers-app/groups/",
        json={"name": "Morning", "description": "8h-12h", "center": out["center"]["id"]},
        headers=admin,
    )
    out["group"] = _ok(group, 201)
    body = {"name": f"Couture {_tag()}", "description": "Sewing", "duration_years": 2}
    out["program"] = _ok(gw.post("/api/programs/trainingprogrames/", json=body, headers=admin), 201)
    return out


def _add_trainer(
    gw: httpx.Client, world: dict[str, Any], center: int, first: str, last: str
) -> dict[str, Any]:
    """CenterAddNewTrainer's POST (F18): JSON, blank fields omitted, `program` as text."""
    body = {
        "first_name": first,
        "last_name": last,
        "Arabic_first_name": "يوسف",
        "arabic_last_name": "العمراني",
        "center": center,
        "program": str(world["program"]["id"]),
        "contarct_with": "association",
        "contract_start_date": "2024-09-01",
        "contract_end_date": "2025-06-30",
        "CIN_id": "LA12345",
        "phone_number": "0612345678",
        "birth_date": "1992-03-04",
        "birth_city": "Larache",
        "city": "Larache",
    }
    headers = world["sup"] if center == world["center"]["id"] else None
    return dict(_ok(gw.post(ALIAS, json=body, headers=headers or world["admin"]), 201))


@pytest.fixture(scope="module")
def trainer(gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]) -> dict[str, Any]:
    """A trainer added through the client's page, with the group set (no client page
    sets groups: an admin does, on the documented path), logged in."""
    made = _add_trainer(gw, world, world["center"]["id"], "Youssef", "Amrani")
    patched = gw.patch(
        f"/api/teachers/{made['id']}/", json={"groups": [world["group"]["id"]]}, headers=admin
    )
    _ok(patched)
    # C9: the one-time password is changed first (the client has no page for it).
    email = made["user"]["email"]
    pending = _headers(_login(gw, email, made["initial_password"]))
    changed = gw.post(
        "/api/accounts/users/change_password/",
        json={"old_password": made["initial_password"], "new_password": PASSWORD},
        headers=pending,
    )
    token = _ok(changed)["access"]
    return {**made, "headers": _headers(token)}


def test_A4_the_clients_list_path(
    gw: httpx.Client, admin: dict[str, str], world: dict[str, Any], trainer: dict[str, Any]
) -> None:
    # AdminTrainersPage, AdminAddTrainingCoursePage: GET without a query.
    page = _ok(gw.get(ALIAS, headers=admin))
    assert {"count", "next", "previous", "results"} <= set(page)
    row = next(r for r in page["results"] if r["id"] == trainer["id"])
    assert row["user"]["id"] == trainer["user"]["id"]
    # Not read as a teacher id by /api/teachers/{teacher_id}/ (a 404 before the alias).
    assert gw.get("/api/teachers/teachers/", headers=world["sup"]).status_code == 200


def test_A5_the_clients_detail_path(
    gw: httpx.Client, world: dict[str, Any], trainer: dict[str, Any]
) -> None:
    # CenterEditTrainer: GET the teacher to pre-fill the form.
    t = _ok(gw.get(f"{ALIAS}{trainer['id']}/", headers=world["sup"]))
    assert t["id"] == trainer["id"] and t["user"]["id"] == trainer["user"]["id"]
    assert gw.get(f"{ALIAS}999999/", headers=world["sup"]).status_code == 404


def test_M7_a_trainer_reads_their_own_teacher_record(
    gw: httpx.Client, admin: dict[str, str], world: dict[str, Any], trainer: dict[str, Any]
) -> None:
    me = _ok(gw.get("/api/accounts/users/me/", headers=trainer["headers"]))
    # TrainerStudentsPage: ?user=<my id>, then groups[0].id.
    page = _ok(gw.get(ALIAS, params={"user": me["id"]}, headers=trainer["headers"]))
    assert [r["id"] for r in page["results"]] == [trainer["id"]]
    assert page["results"][0]["groups"][0]["id"] == world["group"]["id"]
    # The same on the documented paths; nobody else's record, whatever is asked.
    own = _ok(gw.get("/api/teachers/", params={"user": me["id"]}, headers=trainer["headers"]))
    assert [r["id"] for r in own["results"]] == [trainer["id"]]
    assert _ok(gw.get(f"/api/teachers/{trainer['id']}/", headers=trainer["headers"]))
    colleague = _add_trainer(gw, world, world["center"]["id"], "Salma", "Idrissi")
    elsewhere = _add_trainer(gw, world, world["other_center"]["id"], "Omar", "Berrada")
    for other in (colleague, elsewhere):
        assert gw.get(f"{ALIAS}{other['id']}/", headers=trainer["headers"]).status_code == 404
        url = f"/api/teachers/{other['id']}/"
        assert gw.get(url, headers=trainer["headers"]).status_code == 404
        asked = gw.get(ALIAS, params={"user": other["user"]["id"]}, headers=trainer["headers"])
        assert _ok(asked)["results"] == []
    # The contract's gap: the courses of any teacher of the centres they teach in.
    courses = gw.get(f"/api/teachers/{colleague['id']}/courses/", headers=trainer["headers"])
    assert _ok(courses)["results"] == []
    refused = gw.get(f"/api/teachers/{elsewhere['id']}/courses/", headers=trainer["headers"])
    assert refused.status_code == 403


def test_F13_a_training_course_is_named(
    gw: httpx.Client, admin: dict[str, str], world: dict[str, Any], trainer: dict[str, Any]
) -> None:
    body = {
        "program": world["program"]["id"],
        "center": world["center"]["id"],
        "trainer": trainer["user"]["id"],
        "academic_year": "2024-2025",
    }
    made = _ok(gw.post("/api/programs/trainingcourses/", json=body, headers=admin), 201)
    expected = f"{world['program']['name']} - {world['center']['name']} - Youssef Amrani"
    assert made["name"] == expected
    # CenterAddNewStudent: ?program=&center=, the dropdown shows `name`.
    params = {"program": world["program"]["id"], "center": world["center"]["id"]}
    listed = _ok(gw.get("/api/programs/trainingcourses/", params=params, headers=world["sup"]))
    assert [(c["id"], c["name"]) for c in listed["results"]] == [(made["id"], expected)]
    detail = _ok(gw.get(f"/api/programs/trainingcourses/{made['id']}/", headers=admin))
    assert detail["name"] == expected


def test_F14_contarct_with_is_read_and_written(
    gw: httpx.Client, world: dict[str, Any], trainer: dict[str, Any]
) -> None:
    t = _ok(gw.get(f"{ALIAS}{trainer['id']}/", headers=world["sup"]))
    assert t["contarct_with"] == "association" and "contract_with" not in t
    assert (t["contract_start_date"], t["contract_end_date"]) == ("2024-09-01", "2025-06-30")
    listed = _ok(gw.get(ALIAS, params={"center": world["center"]["id"]}, headers=world["sup"]))
    assert {r["contarct_with"] for r in listed["results"]} == {"association"}


def test_F15_center_is_the_centres_name(
    gw: httpx.Client, admin: dict[str, str], world: dict[str, Any], trainer: dict[str, Any]
) -> None:
    # AdminTrainersPage trims and lower-cases `center`; the centre filter compares names.
    rows = _ok(gw.get(ALIAS, headers=admin))["results"]
    row = next(r for r in rows if r["id"] == trainer["id"])
    assert row["center"] == world["center"]["name"]
    assert all(isinstance(r["center"], str) for r in rows)
    # AdminCenterDetailsPage, CenterTrainersPage: ?center=X.
    by_center = _ok(gw.get(ALIAS, params={"center": world["center"]["id"]}, headers=admin))
    assert trainer["id"] in [r["id"] for r in by_center["results"]]
    assert {r["center"] for r in by_center["results"]} == {world["center"]["name"]}


def test_F16_groups_are_objects(
    gw: httpx.Client, world: dict[str, Any], trainer: dict[str, Any]
) -> None:
    me = trainer["user"]["id"]
    page = _ok(gw.get(ALIAS, params={"user": me}, headers=trainer["headers"]))
    (group,) = page["results"][0]["groups"]
    assert {"id", "name", "description", "created_at"} <= set(group)
    assert (group["id"], group["name"], group["description"]) == (
        world["group"]["id"],
        "Morning",
        "8h-12h",
    )


def test_F17_the_whole_user_with_is_active(
    gw: httpx.Client, admin: dict[str, str], world: dict[str, Any], trainer: dict[str, Any]
) -> None:
    def user() -> dict[str, Any]:
        return dict(_ok(gw.get(f"{ALIAS}{trainer['id']}/", headers=world["sup"]))["user"])

    # The profile half comes with auth's user event.
    _wait_for(lambda: user()["CIN_id"] == "LA12345")
    u = user()
    assert set(u) >= USER_READ
    assert u["is_active"] is True and u["email"] == trainer["user"]["email"]
    assert (u["first_name"], u["last_name"]) == ("Youssef", "Amrani")
    assert (u["Arabic_first_name"], u["arabic_last_name"]) == ("يوسف", "العمراني")
    assert (u["phone_number"], u["birth_date"], u["birth_city"]) == (
        "0612345678",
        "1992-03-04",
        "Larache",
    )
    assert (u["city"], u["address"], u["profile_picture"]) == ("Larache", "", None)
    # CenterTrainersPage and AdminAddTrainingCoursePage keep `user.is_active === true`.
    rows = _ok(gw.get(ALIAS, params={"center": world["center"]["id"]}, headers=world["sup"]))
    assert trainer["id"] in [r["id"] for r in rows["results"] if r["user"]["is_active"] is True]
    rows = _ok(gw.get(ALIAS, headers=admin))["results"]
    assert all(set(r["user"]) >= USER_READ for r in rows)
    # The documented paths gain is_active too.
    documented = _ok(gw.get(f"/api/teachers/{trainer['id']}/", headers=admin))
    assert documented["user"]["is_active"] is True


def test_F18_adding_a_trainer_as_the_client_sends_it(
    gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    made = _add_trainer(gw, world, world["center"]["id"], "Nora", "Kabbaj")
    assert made["contarct_with"] == "association" and made["program"] == world["program"]["id"]
    assert made["center"] == world["center"]["name"]
    assert made["user"]["Arabic_first_name"] == "يوسف"
    assert made["initial_password"]  # F20: the client reads nothing of the answer
    in_auth = _ok(gw.get(f"/api/accounts/users/{made['user']['id']}/", headers=admin))
    assert in_auth["role"] == "trainer" and in_auth["arabic_first_name"] == "يوسف"
    assert (in_auth["CIN_id"], in_auth["phone_number"]) == ("LA12345", "0612345678")
    # Errors under the client's names.
    bad = gw.post(
        ALIAS,
        json={
            "first_name": "A",
            "last_name": "B",
            "center": world["center"]["id"],
            "program": str(world["program"]["id"]),
            "contarct_with": "ministry",
        },
        headers=world["sup"],
    )
    assert bad.status_code == 400 and "contarct_with" in bad.json()
    # A centre supervisor adds trainers to their own centres only.
    other = dict(
        first_name="X",
        last_name="Y",
        center=world["other_center"]["id"],
        program=str(world["program"]["id"]),
    )
    assert gw.post(ALIAS, json=other, headers=world["sup"]).status_code in (400, 403)


def test_F19a_deactivating_deactivates_the_linked_user(
    gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    made = _add_trainer(gw, world, world["center"]["id"], "Hamza", "Tazi")
    # CenterTrainersPage: PATCH {"user": {"is_active": false}}, then drops the row.
    resp = gw.patch(
        f"{ALIAS}{made['id']}/", json={"user": {"is_active": False}}, headers=world["sup"]
    )
    assert _ok(resp)["user"]["is_active"] is False
    in_auth = _ok(gw.get(f"/api/accounts/users/{made['user']['id']}/", headers=admin))
    assert in_auth["is_active"] is False
    rows = _ok(gw.get(ALIAS, params={"center": world["center"]["id"]}, headers=world["sup"]))
    row = next(r for r in rows["results"] if r["id"] == made["id"])
    assert row["user"]["is_active"] is False
    # An association supervisor may not; another centre's supervisor does not see it.
    email = f"assoc-{_tag()}@entraide.ma"
    body = {"email": email, "password": PASSWORD, "role": "association_supervisor"}
    _ok(gw.post("/api/accounts/users/", json=body, headers=admin), 201)
    assoc = _headers(_login(gw, email, PASSWORD))
    refused = gw.patch(f"{ALIAS}{made['id']}/", json={"user": {"is_active": True}}, headers=assoc)
    assert refused.status_code == 403


def test_F19b_editing_a_trainer_with_multipart(
    gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    made = _add_trainer(gw, world, world["center"]["id"], "Karim", "Alami")
    # CenterEditTrainer: every field as text (blank = empty text), a picture file.
    form = {
        "first_name": "Karim",
        "last_name": "El Alami",
        "Arabic_first_name": "كريم",
        "arabic_last_name": "",
        "center": str(world["center"]["id"]),
        "program": str(world["program"]["id"]),
        "contarct_with": "entraide",
        "contract_start_date": "2024-10-01",
        "contract_end_date": "2025-07-31",
        "CIN_id": "LB999",
        "phone_number": "0699887766",
        "birth_date": "",
        "birth_city": "Tetouan",
        "address": "5 avenue Hassan II",
        "city": "Tanger",
    }
    files = {"profile_picture": ("face.png", _png(), "image/png")}
    headers = {"Authorization": world["sup"]["Authorization"]}
    resp = gw.patch(f"{ALIAS}{made['id']}/", data=form, files=files, headers=headers)
    t = _ok(resp)
    assert t["contarct_with"] == "entraide"
    assert (t["contract_start_date"], t["contract_end_date"]) == ("2024-10-01", "2025-07-31")
    u = t["user"]
    assert (u["last_name"], u["Arabic_first_name"], u["arabic_last_name"]) == (
        "El Alami",
        "كريم",
        "",
    )
    assert (u["CIN_id"], u["phone_number"], u["birth_date"]) == ("LB999", "0699887766", None)
    assert (u["birth_city"], u["address"], u["city"]) == ("Tetouan", "5 avenue Hassan II", "Tanger")
    picture = u["profile_picture"]
    assert picture and picture.startswith("http")
    # The picture is served through the gateway, to a plain <img> (no token).
    served = gw.get(picture)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    # Applied to the linked account in auth.
    in_auth = _ok(gw.get(f"/api/accounts/users/{made['user']['id']}/", headers=admin))
    assert (in_auth["last_name"], in_auth["CIN_id"], in_auth["city"]) == (
        "El Alami",
        "LB999",
        "Tanger",
    )
    assert in_auth["profile_picture"] == picture and in_auth["birth_date"] is None
    # Still so once auth's event has come back.
    _wait_for(
        lambda: _ok(gw.get(f"{ALIAS}{made['id']}/", headers=headers))["user"]["city"] == "Tanger"
    )
    # A refusal changes nothing: an invalid picture is refused before auth is asked.
    before = _ok(gw.get(f"{ALIAS}{made['id']}/", headers=headers))
    bad = {"profile_picture": ("x.png", b"not an image", "image/png")}
    resp = gw.patch(
        f"{ALIAS}{made['id']}/", data={**form, "city": "Fes"}, files=bad, headers=headers
    )
    assert resp.status_code in (400, 415)
    assert _ok(gw.get(f"{ALIAS}{made['id']}/", headers=headers)) == before


def test_F20_the_initial_password_is_given_once(
    gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    made = _add_trainer(gw, world, world["center"]["id"], "Omar", "Berrada")
    password = made["initial_password"]
    assert password  # returned once, in the answer the client does not read (C9)
    again = _ok(gw.get(f"{ALIAS}{made['id']}/", headers=world["sup"]))
    assert "initial_password" not in again
    # It works, and by default it must be changed first (AUTH_FORCE_PASSWORD_CHANGE)
    token = _login(gw, made["user"]["email"], password)
    assert (
        _ok(gw.get("/api/accounts/users/me/", headers=_headers(token)))["id"]
        == (made["user"]["id"])
    )
    assert gw.get("/api/teachers/teachers/", headers=_headers(token)).status_code == 403
