from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook, load_workbook

from students_service.importer import COLUMNS

from .conftest import CENTER_A, CENTER_B, GROUP_A, PROGRAM, Env, student_body

URL = "/api/students/bulk_import/"


def sheet(rows: list[list[Any]], headers: list[str] | None = None) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(headers or COLUMNS)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def row(
    first: str, last: str, year: str = "2024-2025", cin: str | None = None, exam: str | None = None
) -> list[Any]:
    return [
        first,
        last,
        "",
        "",
        year,
        dt.datetime(2024, 9, 2),
        cin,
        612345678,
        "2005-03-14",
        "Rabat",
        "",
        "Rabat",
        exam,
    ]


async def _import(env: Env, data: bytes, who: str = "admin", **form: Any) -> Any:
    fields = {
        "program": str(PROGRAM),
        "center": str(CENTER_A),
        **{k: str(v) for k, v in form.items()},
    }
    files = {
        "file": (
            "students.xlsx",
            data,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    }
    return await env.client.post(URL, data=fields, files=files, headers=env.people[who]["headers"])


GOOD_AND_BAD = [
    row("Fatima", "Zahra", cin="AB1"),  # row 2: good
    row("Youssef", "", cin="AB2"),  # row 3: no last name
    row("Sara", "Alami", year="2024-2026", cin="AB3"),  # row 4: bad year
    row("Omar", "Idrissi", cin="AB1"),  # row 5: CIN of row 2
    row("Nadia", "Naciri", cin="EXIST1"),  # row 6: CIN of an existing student
    row("Karim", "Kabbaj", exam="DUP-EXAM"),  # row 7: good
    row("Hind", "Haddad", exam="DUP-EXAM"),  # row 8: exam id of row 7
    [None] * 13,  # an empty line is skipped
    row("Salma", "Squalli"),  # row 10: good
]


async def test_dry_run_reports_every_bad_row_and_saves_nothing(env: Env) -> None:
    existing = await env.client.post(
        URL.replace("bulk_import/", ""),
        json=student_body(CIN_id="EXIST1"),
        headers=env.people["admin"]["headers"],
    )
    assert existing.status_code == 201
    resp = await _import(env, sheet(GOOD_AND_BAD), dry_run="true")
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["dry_run"] is True
    assert (report["total_rows"], report["successful"], report["failed"]) == (8, 3, 5)
    prefixes = [e.split(":")[0] for e in report["errors"]]
    assert prefixes == ["Row 3", "Row 4", "Row 5", "Row 6", "Row 8"]
    assert "last_name" in report["errors"][0]
    assert "also in row 2" in report["errors"][2]
    assert report["accounts"] == []
    students = await env.client.get("/api/students/", headers=env.people["admin"]["headers"])
    assert students.json()["count"] == 1
    assert len(await env.auth_users("student")) == 1


async def test_import_saves_exactly_the_good_rows(env: Env) -> None:
    resp = await _import(env, sheet(GOOD_AND_BAD), group=GROUP_A)
    report = resp.json()
    assert resp.status_code == 200, resp.text
    assert (report["successful"], report["failed"]) == (4, 4)
    made = {a["row"]: a for a in report["accounts"]}
    assert sorted(made) == [2, 6, 7, 10]  # no student has EXIST1 here: row 6 is good
    assert made[7]["exam_id"] == "DUP-EXAM"
    assert made[2]["exam_id"].startswith("STU2024")
    assert all(a["initial_password"] for a in made.values())
    listed = await env.client.get(
        "/api/students/", params={"page_size": 50}, headers=env.people["admin"]["headers"]
    )
    body = listed.json()
    assert body["count"] == 4
    assert {s["group"] for s in body["results"]} == {GROUP_A}
    assert len(await env.auth_users("student")) == 4


async def test_supervisor_imports_into_their_own_centre_only(env: Env) -> None:
    data = sheet([row("Ali", "Amrani")])
    refused = await _import(env, data, who="sup_a", center=CENTER_B)
    assert refused.status_code == 403
    ok = await _import(env, data, who="sup_a")  # center A given by the form helper
    assert ok.status_code == 200 and ok.json()["successful"] == 1


async def test_bad_files(env: Env) -> None:
    not_xlsx = await _import(env, b"first_name,last_name\nA,B\n")
    assert not_xlsx.status_code == 415
    missing = await _import(env, sheet([["A", "B"]], headers=["first_name", "last_name"]))
    assert missing.status_code == 400 and "academic_year" in missing.json()["file"][0]
    assert (await _import(env, sheet([]), who="trainer")).status_code == 403


async def test_template_has_the_columns(env: Env) -> None:
    resp = await env.client.get(f"{URL}template/", headers=env.people["admin"]["headers"])
    assert resp.status_code == 200
    book = load_workbook(io.BytesIO(resp.content))
    ws = book.active
    assert ws is not None
    assert [c.value for c in ws[1]] == COLUMNS
