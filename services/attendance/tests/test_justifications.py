"""Absence justifications (issue 20): who files, reads, decides and withdraws
them; bad input refused with field errors and nothing changed; an approval
justifying the student's absences in its range (and the records written there
later); the statistics counting justified absences."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select
from sqlmodel import col

from attendance_service import events
from attendance_service.models import AttendanceRecord, Justification
from entraide_kit import contracts
from entraide_stack.testing import TokenFactory
from entraide_stack.testing.apps import Api, caller
from entraide_stack.testing.queries import count_queries
from entraide_stack.testing.stream import event, last_event, last_seq

from .conftest import (
    ADMIN,
    INSTANCE,
    ROLES,
    SUP_A,
    SUP_B,
    TEMPLATE_A,
    TRAINER_A,
    TRAINER_B,
)

ASSOC = 6  # an association supervisor
FATIMA, OMAR, KARIM = 11, 12, 14  # the users of students 101, 102 and 104
JUSTIFICATIONS = "/api/attendance/api/justifications/"
RECORDS = "/api/attendance/api/records/"
JUNE = {"date_from": "2024-06-01", "date_to": "2024-06-12"}


@pytest.fixture
def api(client: httpx.AsyncClient, token_factory: TokenFactory) -> Api:
    """``await api("POST", url, USER, json=...)``; urls from the service's root."""
    roles = {**ROLES, ASSOC: "association_supervisor"}
    return caller(
        client, token_factory, role_of=lambda u: roles.get(u) or "student", default_user=ADMIN
    )


def media_root(app: FastAPI) -> Path:
    root: Path = app.state.storage.root
    return root


@pytest.fixture(autouse=True)
def no_documents_yet(attendance_app: FastAPI) -> None:
    """The media folder lives as long as the app: each test starts without documents."""
    for path in stored_files(attendance_app):
        path.unlink()


def stored_files(app: FastAPI) -> list[Path]:
    folder = media_root(app) / "justifications"
    return sorted(folder.iterdir()) if folder.exists() else []


def pdf_bytes() -> bytes:
    """A real one-page PDF (Pillow writes it)."""
    buf = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buf, "PDF")
    return buf.getvalue()


def image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buf, fmt)
    return buf.getvalue()


async def file(api: Api, user: int, student: int = 101, **fields: Any) -> httpx.Response:
    body = {"student": student, **JUNE, "reason": "Certificat médical", **fields}
    return await api("POST", JUSTIFICATIONS, user, json=body)


async def filed(api: Api, user: int, student: int = 101, **fields: Any) -> dict[str, Any]:
    resp = await file(api, user, student, **fields)
    assert resp.status_code == 201, resp.text
    answer: dict[str, Any] = resp.json()
    return answer


async def count(app: FastAPI) -> int:
    async with app.state.db.session() as s:
        return int((await s.execute(select(func.count()).select_from(Justification))).scalar_one())


async def take(api: Api, date: str, entries: dict[int, str], **session: int) -> list[Any]:
    """Bulk entry as an admin; the saved records."""
    if not session:
        session = {"session_template_id": TEMPLATE_A}
    body = {
        **session,
        "date": date,
        "attendance_records": [{"student_id": s, "status": st} for s, st in entries.items()],
    }
    resp = await api("POST", f"{RECORDS}bulk_create/", json=body)
    assert resp.status_code == 200 and not resp.json()["errors"], resp.text
    records: list[Any] = resp.json()["records"]
    return records


async def justified(app: FastAPI) -> dict[tuple[int, str], tuple[str, bool, int]]:
    """(student, date) -> (status, is_justified, version) of every record."""
    async with app.state.db.session() as s:
        rows = (await s.execute(select(AttendanceRecord))).scalars().all()
    return {(r.student_id, r.date.isoformat()): (r.status, r.is_justified, r.version) for r in rows}


# ------------------------------------------------------------------ filing


async def test_a_student_files_for_themself_with_the_issue_shape(api: Api) -> None:
    resp = await file(api, FATIMA, reason="  Certificat médical  ")
    assert resp.status_code == 201, resp.text
    j = resp.json()
    assert set(j) == {
        "id",
        "student",
        "student_name",
        "date_from",
        "date_to",
        "reason",
        "document",
        "status",
        "created_by",
        "created_at",
        "decided_by",
        "decided_at",
        "comment",
    }
    assert {k: v for k, v in j.items() if k not in ("id", "created_at")} == {
        "student": 101,
        "student_name": "Fatima El Alami",
        "date_from": "2024-06-01",
        "date_to": "2024-06-12",
        "reason": "Certificat médical",
        "document": None,
        "status": "pending",
        "created_by": FATIMA,
        "decided_by": None,
        "decided_at": None,
        "comment": "",
    }
    assert (await api("GET", f"{JUSTIFICATIONS}{j['id']}/", FATIMA)).json() == j


async def test_who_may_file_for_whom(api: Api, attendance_app: FastAPI) -> None:
    refused = [
        (FATIMA, 102),  # a student for another student
        (SUP_B, 101),  # a supervisor for a student of another centre
        (TRAINER_A, 101),  # trainers do not file
        (ASSOC, 101),
    ]
    for user, student in refused:
        assert (await file(api, user, student)).status_code == 403, (user, student)
    assert (await api("POST", JUSTIFICATIONS, None, json={})).status_code == 401
    assert await count(attendance_app) == 0
    assert (await filed(api, SUP_A, 101))["created_by"] == SUP_A
    assert (await filed(api, SUP_B, 104))["student_name"] == "Karim Kabbaj"
    assert (await filed(api, ADMIN, 103))["created_by"] == ADMIN
    assert (await filed(api, KARIM, 104))["created_by"] == KARIM


async def test_bad_input_is_a_400_with_field_errors_and_changes_nothing(
    api: Api, attendance_app: FastAPI
) -> None:
    cases: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
        (
            {"date_from": "2024-06-12", "date_to": "2024-06-01"},
            {"date_to": ["The end date is before the start date."]},
        ),
        (
            {"date_from": "2024-06-01", "date_to": "2024-07-31"},  # 61 days
            {"date_to": ["A justification covers at most 60 days."]},
        ),
        ({"reason": ""}, {"reason": ["This field may not be blank."]}),
        ({"reason": "   "}, {"reason": ["This field may not be blank."]}),
        (
            {"reason": "x" * 2001},
            {"reason": ["Ensure this field has no more than 2000 characters."]},
        ),
        ({"student": 999}, {"student": ['Invalid pk "999" - object does not exist.']}),
    ]
    for fields, errors in cases:
        resp = await file(api, ADMIN, **fields)
        assert resp.status_code == 400, (fields, resp.text)
        assert resp.json() == errors, fields
    missing = await api("POST", JUSTIFICATIONS, json={})
    assert missing.status_code == 400
    assert set(missing.json()) == {"student", "date_from", "date_to", "reason"}
    both = await file(api, ADMIN, student=999, date_from="2024-06-12", date_to="2024-06-01")
    assert set(both.json()) == {"student", "date_to"}
    # 60 days, both ends included, is the most.
    assert (await file(api, ADMIN, date_from="2024-06-01", date_to="2024-07-30")).status_code == 201

    form = {"student": "101", **JUNE, "reason": "Hospital"}
    six_mb = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024) + b"\n%%EOF\n"
    not_a_type = "Upload a PDF, JPEG or PNG file."
    documents = [
        (("big.pdf", six_mb, "application/pdf"), "The file is too large; the limit is 5 MB."),
        (("cert.pdf", b"just some text, named .pdf", "application/pdf"), not_a_type),
        (("cert.pdf", image_bytes("GIF"), "application/pdf"), not_a_type),
        (("empty.pdf", b"", "application/pdf"), "The submitted file is empty."),
    ]
    for upload, message in documents:
        resp = await api("POST", JUSTIFICATIONS, data=form, files={"document": upload})
        assert resp.status_code == 400, (upload[0], resp.text)
        assert resp.json() == {"document": [message]}, upload[0]
    truncated = image_bytes("PNG")[:40]
    resp = await api(
        "POST", JUSTIFICATIONS, data=form, files={"document": ("a.png", truncated, "image/png")}
    )
    assert resp.status_code == 400 and set(resp.json()) == {"document"}
    # A bad document with bad dates: both said at once.
    resp = await api(
        "POST",
        JUSTIFICATIONS,
        data={**form, "date_to": "2024-05-01"},
        files={"document": ("x.pdf", b"not a pdf", "application/pdf")},
    )
    assert set(resp.json()) == {"document", "date_to"}
    assert await count(attendance_app) == 1  # the 60-day one
    assert stored_files(attendance_app) == []


async def test_a_document_is_stored_and_read_through_its_justification(
    api: Api, attendance_app: FastAPI
) -> None:
    pdf = pdf_bytes()
    form = {"student": "101", **JUNE, "reason": "Certificat médical"}
    resp = await api(
        "POST",
        JUSTIFICATIONS,
        FATIMA,
        data=form,
        files={"document": ("scan.bin", pdf, "application/octet-stream")},
    )
    assert resp.status_code == 201, resp.text
    j = resp.json()
    assert j["document"] == f"http://testserver{JUSTIFICATIONS}{j['id']}/document/"
    assert [p.suffix for p in stored_files(attendance_app)] == [".pdf"]
    url = f"{JUSTIFICATIONS}{j['id']}/document/"
    got = await api("GET", url, FATIMA)
    assert got.status_code == 200 and got.content == pdf
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in got.headers["content-disposition"]
    for user in (ADMIN, SUP_A, TRAINER_A):
        assert (await api("GET", url, user)).status_code == 200, user
    for user in (OMAR, SUP_B, TRAINER_B):
        assert (await api("GET", url, user)).status_code == 404, user
    assert (await api("GET", url, ASSOC)).status_code == 403
    assert (await api("GET", url, None)).status_code == 401
    # JPEG and PNG too; a justification without a document has none to read.
    for fmt, media in (("JPEG", "image/jpeg"), ("PNG", "image/png")):
        data = image_bytes(fmt)
        made = await api(
            "POST", JUSTIFICATIONS, data=form, files={"document": ("photo", data, "text/plain")}
        )
        assert made.status_code == 201, made.text
        doc = await api("GET", f"{JUSTIFICATIONS}{made.json()['id']}/document/")
        assert doc.headers["content-type"] == media and doc.content == data
    plain = await filed(api, ADMIN)
    assert (await api("GET", f"{JUSTIFICATIONS}{plain['id']}/document/")).status_code == 404


# ------------------------------------------------------------------ reading


async def test_reads_are_scoped_and_filtered(api: Api, attendance_app: FastAPI) -> None:
    mine = await filed(api, FATIMA, 101)
    other = await filed(api, ADMIN, 104)
    await filed(api, ADMIN, 102)

    async def students(user: int | None, **params: Any) -> list[int]:
        resp = await api("GET", JUSTIFICATIONS, user, params=params)
        assert resp.status_code == 200, resp.text
        return sorted(r["student"] for r in resp.json()["results"])

    assert await students(ADMIN) == [101, 102, 104]
    assert await students(SUP_A) == [101, 102]
    assert await students(SUP_B) == [104]
    assert await students(TRAINER_A) == [101, 102]  # group 100: template A's
    assert await students(TRAINER_B) == [104]
    assert await students(FATIMA) == [101]
    assert await students(KARIM) == [104]
    assert (await api("GET", JUSTIFICATIONS, ASSOC)).status_code == 403
    assert (await api("GET", JUSTIFICATIONS, None)).status_code == 401
    for user in (OMAR, SUP_B, TRAINER_B):
        assert (await api("GET", f"{JUSTIFICATIONS}{mine['id']}/", user)).status_code == 404
    assert (await api("GET", f"{JUSTIFICATIONS}{other['id']}/", TRAINER_B)).status_code == 200
    assert (await api("GET", f"{JUSTIFICATIONS}99999/")).status_code == 404
    # Filters.
    assert await students(ADMIN, student=104) == [104]
    assert await students(ADMIN, center=10) == [101, 102]
    assert await students(ADMIN, group=200) == [104]
    assert await students(ADMIN, status="pending") == [101, 102, 104]
    assert await students(ADMIN, status="approved") == []
    assert await students(SUP_B, center=10) == []
    bad = await api("GET", JUSTIFICATIONS, params={"status": "maybe"})
    assert bad.status_code == 400 and set(bad.json()) == {"status"}
    page = (await api("GET", JUSTIFICATIONS, params={"page_size": 2})).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    newest_first = [r["id"] for r in (await api("GET", JUSTIFICATIONS)).json()["results"]]
    assert newest_first == sorted(newest_first, reverse=True)


async def test_the_list_is_a_constant_number_of_statements(
    api: Api, attendance_app: FastAPI
) -> None:
    counts = []
    for student in (101, 102, 103):
        await filed(api, ADMIN, student)
        with count_queries(attendance_app.state.db.engine) as counter:
            resp = await api("GET", JUSTIFICATIONS, TRAINER_A)
        assert resp.status_code == 200
        counts.append(counter.count)
    assert len(set(counts)) == 1, counts


# ------------------------------------------------------------------ deciding


async def test_an_approval_justifies_the_absences_in_its_range(
    api: Api, attendance_app: FastAPI
) -> None:
    js = await attendance_app.state.nats.ready()
    since = await last_seq(js)
    await take(api, "2024-06-03", {101: "absent", 102: "absent", 103: "present"})
    await take(api, "2024-06-10", {101: "absent", 102: "late"}, session_instance_id=INSTANCE)
    await take(api, "2024-06-17", {101: "absent"})  # after the range
    await take(api, "2024-05-27", {101: "absent"})  # before it
    before = await justified(attendance_app)
    j = await filed(api, FATIMA)
    resp = await api(
        "POST", f"{JUSTIFICATIONS}{j['id']}/approve/", SUP_A, json={"comment": "Vu le certificat"}
    )
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert (out["status"], out["decided_by"], out["comment"]) == (
        "approved",
        SUP_A,
        "Vu le certificat",
    )
    assert out["decided_at"] is not None
    after = await justified(attendance_app)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {(101, "2024-06-03"), (101, "2024-06-10")}
    for key in changed:
        status, is_justified, version = after[key]
        assert (status, is_justified, version) == ("absent", True, before[key][2] + 1)
    # Their new versions are published, with the contract's payload.
    async with attendance_app.state.db.session() as s:
        rows = (
            await s.execute(
                select(AttendanceRecord).where(
                    col(AttendanceRecord.student_id) == 101,
                    col(AttendanceRecord.is_justified).is_(True),
                )
            )
        ).scalars()
        records = list(rows)
    for record in records:
        msg = await last_event(
            js,
            f"entraide.attendance.record.{record.id}",
            since=since,
            until=lambda e, v=record.version: e["version"] == v,
        )
        data = event(msg)["data"]
        contracts.check("attendance", "record", "upsert", data, complete=True)
        assert data == events.snapshot(record) and data["is_justified"] is True
    # Deciding again: 400, nothing changed.
    for action in ("approve", "reject"):
        again = await api("POST", f"{JUSTIFICATIONS}{j['id']}/{action}/", ADMIN)
        assert again.status_code == 400, again.text
        assert set(again.json()) == {"status"}
    assert await justified(attendance_app) == after
    assert (await api("GET", f"{JUSTIFICATIONS}{j['id']}/")).json() == out


async def test_records_written_later_in_an_approved_range_are_justified(
    api: Api, attendance_app: FastAPI
) -> None:
    j = await filed(api, ADMIN)
    assert (await api("POST", f"{JUSTIFICATIONS}{j['id']}/approve/", json={})).status_code == 200
    js = await attendance_app.state.nats.ready()
    since = await last_seq(js)
    # Bulk entry: an absence in the range is justified, a lateness is not, another
    # student's absence is not, an absence after the range is not.
    saved = await take(api, "2024-06-03", {101: "absent", 102: "absent", 103: "late"})
    assert {r["student"]: r["is_justified"] for r in saved} == {101: True, 102: False, 103: False}
    assert (await take(api, "2024-06-17", {101: "absent"}))[0]["is_justified"] is False
    first = saved[0]
    msg = await last_event(js, f"entraide.attendance.record.{first['id']}", since=since)
    assert event(msg)["data"]["is_justified"] is True
    # The same record changed by bulk entry to present, then back to absent.
    assert (await take(api, "2024-06-03", {101: "present"}))[0]["is_justified"] is False
    assert (await take(api, "2024-06-03", {101: "absent"}))[0]["is_justified"] is True
    # One record at a time: created, PATCHed, PUT.
    body = {"date": "2024-06-10", "student": 101, "session_instance": INSTANCE, "status": "absent"}
    created = await api("POST", RECORDS, json=body)
    assert created.status_code == 201 and created.json()["is_justified"] is True
    rid = created.json()["id"]
    patched = await api("PATCH", f"{RECORDS}{rid}/", json={"status": "late"})
    assert patched.json()["is_justified"] is False
    put = await api("PUT", f"{RECORDS}{rid}/", json=body)
    assert put.json()["is_justified"] is True
    moved = await api("PATCH", f"{RECORDS}{rid}/", json={"student": 102})
    assert moved.json()["is_justified"] is False  # 102 has no justification
    # The list filters on it.
    listed = await api("GET", RECORDS, params={"is_justified": "true"})
    assert [(r["student"], r["date"]) for r in listed.json()["results"]] == [(101, "2024-06-03")]
    assert (await api("GET", RECORDS, params={"is_justified": "maybe"})).status_code == 400
    # A rejected justification justifies nothing.
    rejected = await filed(api, ADMIN, 102)
    resp = await api("POST", f"{JUSTIFICATIONS}{rejected['id']}/reject/", json={"comment": "Non"})
    assert resp.json()["status"] == "rejected" and resp.json()["comment"] == "Non"
    assert (await take(api, "2024-06-03", {102: "absent"}))[0]["is_justified"] is False


async def test_statistics_count_justified_absences(api: Api, attendance_app: FastAPI) -> None:
    await take(api, "2024-06-03", {101: "absent", 102: "absent", 103: "present"})
    await take(api, "2024-06-10", {101: "absent", 102: "late", 103: "absent"})
    await take(api, "2024-06-17", {101: "absent"})
    j = await filed(api, ADMIN)
    await api("POST", f"{JUSTIFICATIONS}{j['id']}/approve/")
    period = {"start_date": "2024-06-01", "end_date": "2024-06-30"}
    stats = (await api("GET", f"{RECORDS}stats/", params={**period, "group_id": 100})).json()
    assert stats == {
        "total_sessions": 7,
        "present_count": 1,
        "absent_count": 5,
        "late_count": 1,
        "attendance_rate": 28.57,  # the contract's formula, unchanged
        "justified_absences": 2,
    }
    by_student = (await api("GET", f"{RECORDS}stats/", params={**period, "student_id": 101})).json()
    assert (by_student["absent_count"], by_student["justified_absences"]) == (3, 2)
    rows = (await api("GET", f"{RECORDS}student_stats/", params={**period, "group_id": 100})).json()
    assert {r["student"]["id"]: r["stats"]["justified_absences"] for r in rows} == {
        101: 2,
        102: 0,
        103: 0,
    }
    recent = {x["date"]: x["is_justified"] for x in rows[0]["recent_attendance"]}
    assert recent == {"2024-06-17": False, "2024-06-10": True, "2024-06-03": True}
    report = (await api("GET", f"{RECORDS}report/", params={**period, "group_id": 100})).json()
    days = {d["date"]: d["statistics"]["justified_absences"] for d in report["report"]}
    assert days == {"2024-06-03": 1, "2024-06-10": 1, "2024-06-17": 0}
    justified_ids = {r["id"] for d in report["report"] for r in d["records"] if r["is_justified"]}
    assert len(justified_ids) == 2
    from attendance_service.schemas import Report

    assert Report.model_validate(report).model_dump(mode="json") == report
    csv_report = await api("GET", f"{RECORDS}report/", params={**period, "format": "csv"})
    lines = csv_report.content.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",attendance_rate,justified_absences")
    assert lines[1].startswith("2024-06-03,3,1,2,0,") and lines[1].endswith(",1")
    csv_students = await api(
        "GET", f"{RECORDS}student_stats/", params={**period, "group_id": 100, "format": "csv"}
    )
    header, fatima = csv_students.content.decode("utf-8-sig").splitlines()[:2]
    assert header.endswith(",justified_absences") and fatima.endswith(",2")
    from openpyxl import load_workbook

    xlsx = await api(
        "GET", f"{RECORDS}student_stats/", params={**period, "group_id": 100, "format": "xlsx"}
    )
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws is not None and ws["L1"].value == "justified_absences" and ws["L2"].value == 2
    own = await api("GET", f"{RECORDS}by_student/", FATIMA, params={"student_id": 101})
    assert {r["date"]: r["is_justified"] for r in own.json()} == recent


async def test_decisions_are_for_supervisors_of_the_centre_and_admins(
    api: Api, attendance_app: FastAPI
) -> None:
    j = await filed(api, FATIMA)
    url = f"{JUSTIFICATIONS}{j['id']}"
    for user in (FATIMA, TRAINER_A, ASSOC):
        assert (await api("POST", f"{url}/approve/", user)).status_code == 403, user
        assert (await api("POST", f"{url}/reject/", user)).status_code == 403, user
    assert (await api("POST", f"{url}/approve/", SUP_B)).status_code == 404
    assert (await api("POST", f"{url}/approve/", None)).status_code == 401
    assert (await api("POST", f"{JUSTIFICATIONS}99999/approve/")).status_code == 404
    long = await api("POST", f"{url}/reject/", SUP_A, json={"comment": "x" * 2001})
    assert long.status_code == 400 and set(long.json()) == {"comment"}
    assert (await api("GET", f"{url}/")).json()["status"] == "pending"
    # A form body, as the web client may send it.
    resp = await api("POST", f"{url}/reject/", SUP_A, data={"comment": "Illisible"})
    assert resp.status_code == 200 and resp.json()["comment"] == "Illisible"


async def test_its_author_withdraws_a_pending_justification(
    api: Api, attendance_app: FastAPI
) -> None:
    form = {"student": "101", **JUNE, "reason": "Certificat"}
    made = await api(
        "POST",
        JUSTIFICATIONS,
        FATIMA,
        data=form,
        files={"document": ("c.pdf", pdf_bytes(), "application/pdf")},
    )
    j = made.json()
    url = f"{JUSTIFICATIONS}{j['id']}/"
    assert len(stored_files(attendance_app)) == 1
    assert (await api("DELETE", url, OMAR)).status_code == 404
    assert (await api("DELETE", url, SUP_B)).status_code == 404
    assert (await api("DELETE", url, SUP_A)).status_code == 403  # not its author
    assert (await api("DELETE", url, ADMIN)).status_code == 403
    assert (await api("DELETE", url, TRAINER_A)).status_code == 403
    assert (await api("DELETE", url, FATIMA)).status_code == 204
    assert (await api("GET", url)).status_code == 404
    assert stored_files(attendance_app) == []
    # Decided: no longer withdrawn.
    decided = await filed(api, SUP_A)
    await api("POST", f"{JUSTIFICATIONS}{decided['id']}/reject/")
    resp = await api("DELETE", f"{JUSTIFICATIONS}{decided['id']}/", SUP_A)
    assert resp.status_code == 400 and set(resp.json()) == {"status"}
    assert await count(attendance_app) == 1


async def test_the_endpoints_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    paths = doc["paths"]
    base = JUSTIFICATIONS
    assert set(paths[base]) == {"get", "post"}
    assert set(paths[f"{base}{{justification_id}}/"]) == {"get", "delete"}
    for action in ("approve", "reject"):
        assert set(paths[f"{base}{{justification_id}}/{action}/"]) == {"post"}
    assert "get" in paths[f"{base}{{justification_id}}/document/"]
    content = paths[base]["post"]["requestBody"]["content"]
    assert content["multipart/form-data"]["schema"]["properties"]["document"]["format"] == (
        "binary"
    )
    assert {"application/json", "multipart/form-data"} <= set(content)
    listed = {p["name"] for p in paths[base]["get"]["parameters"]}
    assert {"status", "student", "center", "group", "page", "page_size"} <= listed
    records = {p["name"] for p in paths[RECORDS]["get"]["parameters"]}
    assert "is_justified" in records


async def test_the_last_day_of_a_60_day_justification_is_covered(api: Api) -> None:
    """The EXISTS reads only justifications starting in the 60 days up to the date:
    the last day of the longest range is still covered, the day after is not."""
    j = await filed(api, ADMIN, 103, date_from="2024-05-31", date_to="2024-07-29")
    assert (await api("POST", f"{JUSTIFICATIONS}{j['id']}/approve/")).status_code == 200
    last, after = "2024-07-29", "2024-08-05"  # Mondays: the last day, and a week later
    assert [r["is_justified"] for r in await take(api, last, {103: "absent"})] == [True]
    assert [r["is_justified"] for r in await take(api, after, {103: "absent"})] == [False]
    # One record at a time (the date given as a value, not a parameter).
    listed = (await api("GET", RECORDS, params={"student": 103, "date": last})).json()
    rid = listed["results"][0]["id"]
    patched = await api("PATCH", f"{RECORDS}{rid}/", json={"status": "late"})
    assert patched.json()["is_justified"] is False
    patched = await api("PATCH", f"{RECORDS}{rid}/", json={"status": "absent"})
    assert patched.json()["is_justified"] is True


async def test_the_earliest_date_is_no_server_error(api: Api) -> None:
    """The covering range's lower bound is computed by PostgreSQL: an absence on
    0001-01-01 (a Monday) has none before it, and is not an overflow in Python."""
    body = {"date": "0001-01-01", "student": 101, "session_template": TEMPLATE_A}
    created = await api("POST", RECORDS, json={**body, "status": "absent"})
    assert created.status_code == 201, created.text
    assert created.json()["is_justified"] is False
    assert [r["is_justified"] for r in await take(api, "0001-01-01", {102: "absent"})] == [False]
