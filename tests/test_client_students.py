"""The web client's student pages through the gateway (client-compat.md, section 8 rows
38-45): one test per inventory id, requests as the client builds them."""

from __future__ import annotations

import datetime as dt
import io
import time
import uuid
from typing import Any

import httpx
import pytest
from openpyxl import Workbook

from entraide_stack import Stack

PASSWORD = "Sahara-Atlas-2024"
YEAR = "2024-2025"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The client's own template (CenterBulkImportStudents).
HEADERS = [
    "first_name*",
    "last_name*",
    "arabic_first_name",
    "arabic_last_name",
    "academic_year*",
    "joining_date",
    "cin_id",
    "phone_number",
    "birth_date",
    "birth_city",
    "address",
    "city",
]
USER_KEYS = {
    "id",
    "email",
    "first_name",
    "last_name",
    "is_active",
    "phone_number",
    "profile_picture",
    "username",
    "Arabic_first_name",
    "arabic_last_name",
    "CIN_id",
    "birth_date",
    "birth_city",
    "address",
    "city",
    "role_display",
}
URL = "/api/students/students/"


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, (resp.request.method, resp.request.url, resp.text)
    return resp.json()


def _bearer(gw: httpx.Client, email: str, password: str) -> dict[str, str]:
    login = _ok(gw.post("/api/token/", json={"email": email, "password": password}))
    return {"Authorization": f"Bearer {login['access']}"}


@pytest.fixture(scope="module")
def world(full_stack: Stack, full_gw: httpx.Client) -> dict[str, Any]:
    """A centre with its supervisor, a group, a programme, a trainer teaching the group."""
    gw, tag = full_gw, uuid.uuid4().hex[:6]
    admin = _bearer(gw, full_stack.admin_email, full_stack.admin_password())
    people: dict[str, Any] = {}
    for role in ("center_supervisor", "trainer"):
        email = f"client-{role}-{tag}@entraide.ma"
        made = _ok(
            gw.post(
                "/api/accounts/users/",
                json={
                    "email": email,
                    "password": PASSWORD,
                    "role": role,
                    "first_name": role.title(),
                    "last_name": tag,
                },
                headers=admin,
            ),
            201,
        )
        people[role] = {"id": made["id"], "headers": _bearer(gw, email, PASSWORD)}
    sup = people["center_supervisor"]
    center = _ok(
        gw.post(
            "/api/centers-app/centers/",
            json={"name": f"Centre Larache {tag}", "supervisor": sup["id"]},
            headers=admin,
        ),
        201,
    )
    group = _ok(
        gw.post(
            "/api/centers-app/groups/",
            json={"name": f"G1 {tag}", "description": "first year", "center": center["id"]},
            headers=sup["headers"],
        ),
        201,
    )
    other_group = _ok(
        gw.post(
            "/api/centers-app/groups/",
            json={"name": f"G2 {tag}", "description": "", "center": center["id"]},
            headers=sup["headers"],
        ),
        201,
    )
    program = _ok(
        gw.post(
            "/api/programs/trainingprogrames/",
            json={"name": f"Couture {tag}", "description": "d", "duration_years": 2},
            headers=admin,
        ),
        201,
    )
    trainer = people["trainer"]
    course = _ok(
        gw.post(
            "/api/programs/trainingcourses/",
            json={
                "program": program["id"],
                "center": center["id"],
                "trainer": trainer["id"],
                "academic_year": YEAR,
            },
            headers=admin,
        ),
        201,
    )
    _ok(
        gw.post(
            "/api/schedule/api/sessions/",
            json={
                "day": "Tuesday",
                "start_time": "08:30:00",
                "end_time": "10:30:00",
                "academic_year": YEAR,
                "trainer": trainer["id"],
                "group": group["id"],
                "training_course": course["id"],
                "is_active": True,
            },
            headers=admin,
        ),
        201,
    )
    return {
        "tag": tag,
        "admin": admin,
        "sup": sup["headers"],
        "trainer": trainer["headers"],
        "center": center,
        "group": group["id"],
        "other_group": other_group["id"],
        "program": program["id"],
        "course": course["id"],
    }


def _client_create(gw: httpx.Client, world: dict[str, Any], **overrides: Any) -> httpx.Response:
    """As CenterAddNewStudent sends it: JSON, ids of selects as text, blanks omitted."""
    body: dict[str, Any] = {
        "first_name": "Salma",
        "last_name": f"Bennani{world['tag']}",
        "Arabic_first_name": "سلمى",
        "arabic_last_name": "بناني",
        "academic_year": YEAR,
        "joining_date": "2024-09-15",
        "program": str(world["program"]),
        "group": str(world["group"]),
        "center": world["center"]["id"],
        "phone_number": "0611223344",
        "birth_date": "2005-01-20",
        "birth_city": "Larache",
        "city": "Larache",
    }
    body.update(overrides)
    return gw.post(URL, json={k: v for k, v in body.items() if v is not None}, headers=world["sup"])


@pytest.fixture(scope="module")
def student(full_gw: httpx.Client, world: dict[str, Any]) -> dict[str, Any]:
    made: dict[str, Any] = _ok(_client_create(full_gw, world, CIN_id=f"LA{world['tag']}"), 201)
    return made


def _sheet(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _import(
    gw: httpx.Client, world: dict[str, Any], rows: list[list[Any]], **form: str
) -> httpx.Response:
    """As CenterBulkImportStudents sends it: file, program_id, optional group_id and
    training_course_id; never a centre."""
    return gw.post(
        f"{URL}bulk_import/",
        data=form,
        files={"file": ("students.xlsx", _sheet(rows), XLSX)},
        headers=world["sup"],
    )


def _row(first: str, last: str, cin: str = "") -> list[Any]:
    return [first, last, "", "", YEAR, "2024-09-16", cin, "", "", "", "", ""]


def _assert_user(user: dict[str, Any]) -> None:
    assert set(user) >= USER_KEYS
    assert isinstance(user["is_active"], bool)
    assert user["role_display"] == "Student"


def test_A1_list_and_create_on_the_client_path(
    full_gw: httpx.Client, world: dict[str, Any], student: dict[str, Any]
) -> None:
    # AdminCenterDetailsPage (row 38): GET ?center=X, reads results.
    listed = _ok(full_gw.get(URL, params={"center": world["center"]["id"]}, headers=world["admin"]))
    assert student["id"] in [s["id"] for s in listed["results"]]
    assert {"count", "next", "previous", "results"} <= set(listed)
    # The contract's path still answers its own shape beside it.
    documented = _ok(full_gw.get(f"/api/students/{student['id']}/", headers=world["sup"]))
    assert documented["center"] == world["center"]["id"] and documented["user"]["is_active"]


def test_A2_detail_on_the_client_path(
    full_gw: httpx.Client, world: dict[str, Any], student: dict[str, Any]
) -> None:
    detail = _ok(full_gw.get(f"{URL}{student['id']}/", headers=world["sup"]))
    assert detail["id"] == student["id"] and detail["exam_id"] == student["exam_id"]
    assert detail["group"] == world["group"] and detail["program"] == world["program"]
    assert detail["academic_year"] == YEAR and detail["joining_date"] == "2024-09-15"
    missing = full_gw.get(f"{URL}999999/", headers=world["sup"])
    assert missing.status_code == 404


def test_A3_bulk_import_on_the_client_path(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    resp = _import(
        full_gw,
        world,
        [_row("Hamza", f"Import{world['tag']}")],
        program_id=str(world["program"]),
        group_id=str(world["other_group"]),
    )
    report = _ok(resp, 201)
    assert report["successful"] == 1 and report["failed"] == 0


def test_M4_page_size_up_to_1000(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    rows = [_row(f"Many{i}", f"M{world['tag']}") for i in range(105)]
    report = _ok(_import(full_gw, world, rows, program_id=str(world["program"])), 201)
    assert report["successful"] == 105
    # CenterStudentsPage (row 39): one page of everything.
    page = _ok(
        full_gw.get(
            URL,
            params={"center": world["center"]["id"], "page_size": 1000},
            headers=world["sup"],
        )
    )
    assert page["count"] > 105 and len(page["results"]) == page["count"]
    assert page["next"] is None


def test_M6_a_trainer_reads_the_students_of_the_groups_they_teach(
    full_gw: httpx.Client, world: dict[str, Any], student: dict[str, Any]
) -> None:
    outsider = _ok(
        _client_create(
            full_gw, world, first_name="Outside", group=str(world["other_group"]), CIN_id=None
        ),
        201,
    )
    # TrainerStudentsPage / TrainerSchedulePage (row 40): ?group=X&page_size=1000.
    params = {"group": world["group"], "page_size": 1000}
    deadline = time.monotonic() + 30
    while True:
        page = _ok(full_gw.get(URL, params=params, headers=world["trainer"]))
        ids = [s["id"] for s in page["results"]]
        if student["id"] in ids:
            break
        assert time.monotonic() < deadline, "the trainer never saw their group's students"
        time.sleep(0.2)
    row = next(s for s in page["results"] if s["id"] == student["id"])
    assert row["user"]["first_name"] == "Salma" and row["user"]["last_name"]
    others = _ok(
        full_gw.get(
            URL,
            params={"group": world["other_group"], "page_size": 1000},
            headers=world["trainer"],
        )
    )
    assert others["count"] == 0
    everything = _ok(full_gw.get(URL, params={"page_size": 1000}, headers=world["trainer"]))
    assert outsider["id"] not in [s["id"] for s in everything["results"]]
    assert full_gw.get(f"{URL}{outsider['id']}/", headers=world["trainer"]).status_code == 404


def test_F21_nested_user_objects(
    full_gw: httpx.Client, world: dict[str, Any], student: dict[str, Any]
) -> None:
    page = _ok(
        full_gw.get(
            URL,
            params={"center": world["center"]["id"], "page_size": 1000},
            headers=world["sup"],
        )
    )
    # CenterStudentsPage keeps only user.is_active === true.
    active = [s for s in page["results"] if s["user"]["is_active"] is True]
    assert student["id"] in [s["id"] for s in active]
    for s in page["results"]:
        _assert_user(s["user"])
    user = next(s for s in page["results"] if s["id"] == student["id"])["user"]
    assert user["first_name"] == "Salma" and user["Arabic_first_name"] == "سلمى"
    assert user["arabic_last_name"] == "بناني" and user["CIN_id"] == f"LA{world['tag']}"
    assert user["phone_number"] == "0611223344" and user["birth_date"] == "2005-01-20"
    assert user["birth_city"] == "Larache" and user["city"] == "Larache"
    assert user["email"] and user["username"] and user["profile_picture"] is None


def test_F22_detail_center_is_a_name(
    full_gw: httpx.Client, world: dict[str, Any], student: dict[str, Any]
) -> None:
    detail = _ok(full_gw.get(f"{URL}{student['id']}/", headers=world["sup"]))
    assert detail["center"] == world["center"]["name"]
    _assert_user(detail["user"])


def test_F23_create_without_exam_id(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    center_id = world["center"]["id"]
    made = _ok(_client_create(full_gw, world, first_name="Yassine", CIN_id=None), 201)
    year = dt.date.today().strftime("%y")
    prefix, number, suffix = made["exam_id"].split("/")
    assert prefix == f"C{center_id}" and len(number) == 3 and suffix == year
    assert made["center_code"] == f"C-{center_id}"
    nxt = _ok(_client_create(full_gw, world, first_name="Rim", CIN_id=None), 201)
    assert int(nxt["exam_id"].split("/")[1]) > int(number)


def test_F24_put_multipart_with_user_fields(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    made = _ok(_client_create(full_gw, world, first_name="Edit", CIN_id=None), 201)
    # CenterUpdateStudent: multipart, empty optional values as the text "null".
    form = {
        "first_name": "Edited",
        "last_name": made["user"]["last_name"],
        "Arabic_first_name": "",
        "arabic_last_name": "",
        "academic_year": YEAR,
        "joining_date": "2024-09-20",
        "program": str(world["program"]),
        "training_course": str(world["course"]),
        "group": "null",
        "center": str(world["center"]["id"]),
        "CIN_id": "null",
        "phone_number": "0700000000",
        "birth_date": "null",
        "birth_city": "null",
        "address": "null",
        "city": "Tetouan",
    }
    resp = full_gw.put(f"{URL}{made['id']}/", data=form, headers=world["sup"])
    body = _ok(resp)
    assert body["exam_id"] == made["exam_id"] and body["group"] is None
    assert body["training_course"] == world["course"] and body["joining_date"] == "2024-09-20"
    assert body["user"]["first_name"] == "Edited" and body["user"]["city"] == "Tetouan"
    assert body["user"]["birth_date"] is None and body["user"]["Arabic_first_name"] == ""
    account = _ok(full_gw.get(f"/api/accounts/users/{made['user']['id']}/", headers=world["sup"]))
    assert account["first_name"] == "Edited" and account["phone_number"] == "0700000000"
    assert account["city"] == "Tetouan" and account["birth_date"] is None


def test_F25_patch_deactivates_the_account(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    made = _ok(_client_create(full_gw, world, first_name="Leaving", CIN_id=None), 201)
    body = _ok(
        full_gw.patch(
            f"{URL}{made['id']}/", json={"user": {"is_active": False}}, headers=world["sup"]
        )
    )
    assert body["user"]["is_active"] is False
    account = _ok(full_gw.get(f"/api/accounts/users/{made['user']['id']}/", headers=world["sup"]))
    assert account["is_active"] is False
    # After a reload the row is still inactive (the client would drop it).
    page = _ok(
        full_gw.get(
            URL,
            params={"center": world["center"]["id"], "page_size": 1000},
            headers=world["sup"],
        )
    )
    row = next(s for s in page["results"] if s["id"] == made["id"])
    assert row["user"]["is_active"] is False


def test_F26_bulk_import_form_fields(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    rows = [_row("Nour", f"F26{world['tag']}"), _row("", "NoFirstName")]
    report = _ok(
        _import(
            full_gw,
            world,
            rows,
            program_id=str(world["program"]),
            group_id=str(world["group"]),
            training_course_id=str(world["course"]),
        ),
        201,
    )
    assert (report["total_rows"], report["successful"], report["failed"]) == (2, 1, 1)
    assert len(report["errors"]) == 1 and isinstance(report["errors"][0], str)
    page = _ok(
        full_gw.get(
            URL,
            params={"group": world["group"], "page_size": 1000},
            headers=world["sup"],
        )
    )
    imported = [s for s in page["results"] if s["user"]["last_name"] == f"F26{world['tag']}"]
    assert [(s["center"], s["training_course"]) for s in imported] == [
        (world["center"]["name"], world["course"])
    ]
    # On failure the client shows `error`.
    failed = _import(full_gw, world, rows, group_id=str(world["group"]))
    assert failed.status_code == 400 and "program_id" in failed.json()["error"]


def test_F27_the_initial_password_is_given_once(
    full_gw: httpx.Client, world: dict[str, Any]
) -> None:
    made = _ok(_client_create(full_gw, world, first_name="Ilyas", CIN_id=None), 201)
    password = made["initial_password"]
    assert password  # returned once, in the answer the client does not read (C9)
    again = _ok(full_gw.get(f"{URL}{made['id']}/", headers=world["sup"]))
    assert "initial_password" not in again
    # It works, and by default it must be changed first (AUTH_FORCE_PASSWORD_CHANGE)
    headers = _bearer(full_gw, made["user"]["email"], password)
    assert _ok(full_gw.get("/api/accounts/users/me/", headers=headers))["id"] == made["user"]["id"]
    assert full_gw.get(URL, headers=headers).status_code == 403
