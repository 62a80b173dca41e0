"""Absence justifications through the gateway (issue 20): each endpoint as each
role, a multipart upload of a real PDF read back through its URL, bad input
refused with field errors (dates reversed, 61 days, a 6 MB or non-PDF document,
approving twice) without changing anything, and an approval justifying an
absent record, a record entered later in its range, and the statistics and the
report counting them.

The world is made through the gateway: a centre and its group, a programme's
training course, a weekly template, two students (one logs in), a trainer who
takes the class; attendance learns them from the events.
"""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from entraide_stack.testing.classes import a_class, headers
from entraide_stack.testing.gateway import eventually, login, ok

YEAR = "2023-2024"
RECORDS = "/api/attendance/api/records/"
JUSTIFICATIONS = "/api/attendance/api/justifications/"
# Mondays of June 2024 (the template's day).
D1, D2, D3 = "2024-06-03", "2024-06-10", "2024-06-17"
RANGE = {"date_from": "2024-06-01", "date_to": "2024-06-12"}


def pdf_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buf, "PDF")
    return buf.getvalue()


@pytest.fixture(scope="module")
def world(full_stack: Any, full_gw: httpx.Client) -> dict[str, Any]:
    admin = login(full_gw, full_stack.admin_email, full_stack.admin_password())
    world = a_class(
        full_gw,
        admin,
        label="justifications",
        year=YEAR,
        students=(("Fatima", "Zahra"), ("Omar", "Idrissi")),
        start_time="08:30:00",
    )
    return world


def take(gw: httpx.Client, world: dict[str, Any], date: str, statuses: list[str]) -> list[Any]:
    """The trainer takes the class on ``date`` (the students in order); the records."""
    body = {
        "session_template_id": world["template"]["id"],
        "date": date,
        "attendance_records": [
            {"student_id": s, "status": st}
            for s, st in zip(world["students"], statuses, strict=True)
        ],
    }
    resp = eventually(
        lambda: gw.post(f"{RECORDS}bulk_create/", json=body, headers=headers(world, "trainer")),
        lambda r: r.status_code == 200 and r.json()["errors"] == [],
    )
    records: list[Any] = resp.json()["records"]
    return records


def file(
    gw: httpx.Client, world: dict[str, Any], who: str, student: int, **fields: Any
) -> httpx.Response:
    body = {"student": student, **RANGE, "reason": "Certificat médical", **fields}
    return gw.post(JUSTIFICATIONS, json=body, headers=headers(world, who))


def listed(gw: httpx.Client, world: dict[str, Any], who: str, **params: Any) -> list[Any]:
    resp = gw.get(JUSTIFICATIONS, params={"page_size": 100, **params}, headers=headers(world, who))
    results: list[Any] = ok(resp)["results"]
    return results


def test_each_endpoint_as_each_role(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    gw = full_gw
    fatima, omar = world["students"]
    # Filing: a supervisor for a student of their centre (multipart, a real PDF),
    # a student for themself (at first attendance may still be learning the
    # students from their events: asked again until it knows them).
    pdf = pdf_bytes()
    theirs = eventually(
        lambda: gw.post(
            JUSTIFICATIONS,
            data={"student": str(omar), **RANGE, "reason": "Hospitalisation"},
            files={"document": ("certificat.pdf", pdf, "application/pdf")},
            headers=headers(world, "supervisor"),
        ),
        lambda r: r.status_code == 201,
    ).json()
    assert theirs["document"].endswith(f"{JUSTIFICATIONS}{theirs['id']}/document/")
    own = eventually(
        lambda: file(gw, world, "student", fatima), lambda r: r.status_code == 201
    ).json()
    assert (own["student"], own["student_name"], own["status"]) == (
        fatima,
        world["names"][0],
        "pending",
    )
    assert own["created_by"] == world["people"]["student"]["id"] and own["document"] is None
    assert file(gw, world, "student", omar).status_code == 403
    assert file(gw, world, "other_supervisor", omar).status_code == 403
    for who in ("trainer", "association"):
        assert file(gw, world, who, omar).status_code == 403, who
    assert gw.post(JUSTIFICATIONS, json={}).status_code == 401
    # The document, through the gateway at the URL answered, to those who may read
    # it (the trainer once attendance knows the template they teach).
    document = eventually(
        lambda: gw.get(theirs["document"], headers=headers(world, "trainer")),
        lambda r: r.status_code == 200,
    )
    assert document.content == pdf
    assert document.headers["content-type"] == "application/pdf"
    assert gw.get(theirs["document"], headers=headers(world, "student")).status_code == 404
    assert gw.get(theirs["document"]).status_code == 401

    # Reading.
    ids = {own["id"], theirs["id"]}
    for who in ("admin", "supervisor", "trainer"):
        assert ids <= {j["id"] for j in listed(gw, world, who)}, who
    assert {j["id"] for j in listed(gw, world, "student")} == {own["id"]}
    assert ids.isdisjoint(j["id"] for j in listed(gw, world, "other_supervisor"))
    assert ids.isdisjoint(j["id"] for j in listed(gw, world, "other_trainer"))
    assert gw.get(JUSTIFICATIONS, headers=headers(world, "association")).status_code == 403
    assert [j["id"] for j in listed(gw, world, "admin", student=omar)] == [theirs["id"]]
    by_centre = listed(gw, world, "admin", center=world["center"]["id"], status="pending")
    assert {j["id"] for j in by_centre} == ids
    assert {j["id"] for j in listed(gw, world, "admin", group=world["group"]["id"])} == ids
    one = f"{JUSTIFICATIONS}{own['id']}/"
    assert ok(gw.get(one, headers=headers(world, "student"))) == own
    assert ok(gw.get(one, headers=headers(world, "trainer")))["id"] == own["id"]
    assert gw.get(one, headers=headers(world, "other_supervisor")).status_code == 404
    assert gw.get(one, headers=headers(world, "association")).status_code == 403

    # Deciding: the centre's supervisor or an admin.
    for who in ("student", "trainer", "association"):
        resp = gw.post(f"{one}approve/", json={}, headers=headers(world, who))
        assert resp.status_code == 403, who
    assert (
        gw.post(f"{one}approve/", json={}, headers=headers(world, "other_supervisor")).status_code
        == 404
    )
    rejected = ok(
        gw.post(
            f"{JUSTIFICATIONS}{theirs['id']}/reject/",
            json={"comment": "Document illisible"},
            headers=headers(world, "admin"),
        )
    )
    assert (rejected["status"], rejected["comment"]) == ("rejected", "Document illisible")
    assert rejected["decided_by"] is not None and rejected["decided_at"] is not None

    # Withdrawing: its author, while pending.
    mine = ok(file(gw, world, "student", fatima, reason="Rendez-vous"), 201)
    url = f"{JUSTIFICATIONS}{mine['id']}/"
    assert gw.delete(url, headers=headers(world, "supervisor")).status_code == 403
    assert gw.delete(url, headers=headers(world, "trainer")).status_code == 403
    assert gw.delete(url, headers=headers(world, "student")).status_code == 204
    assert gw.get(url, headers=headers(world, "admin")).status_code == 404
    decided = f"{JUSTIFICATIONS}{theirs['id']}/"
    resp = gw.delete(decided, headers=headers(world, "supervisor"))
    assert resp.status_code == 400 and set(resp.json()) == {"status"}


def test_bad_input_is_a_400_and_changes_nothing(
    full_gw: httpx.Client, world: dict[str, Any]
) -> None:
    gw = full_gw
    omar = world["students"][1]
    before = listed(gw, world, "admin")
    for fields, field in (
        ({"date_from": "2024-06-12", "date_to": "2024-06-01"}, "date_to"),
        ({"date_from": "2024-06-01", "date_to": "2024-07-31"}, "date_to"),  # 61 days
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 2001}, "reason"),
        ({"student": 99999999}, "student"),
    ):
        student = fields.pop("student", omar)
        resp = file(gw, world, "supervisor", student, **fields)
        assert resp.status_code == 400, (fields, resp.text)
        assert set(resp.json()) == {field}, resp.text
    form = {"student": str(omar), **RANGE, "reason": "Certificat"}
    for upload in (
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024) + b"\n%%EOF\n", "application/pdf"),
        ("certificat.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf"),
    ):
        resp = gw.post(
            JUSTIFICATIONS,
            data=form,
            files={"document": upload},
            headers=headers(world, "supervisor"),
        )
        assert resp.status_code == 400, (upload[0], resp.text)
        assert set(resp.json()) == {"document"}
    # Approving twice.
    j = ok(
        file(gw, world, "supervisor", omar, **{"date_from": "2024-05-01", "date_to": "2024-05-02"}),
        201,
    )
    url = f"{JUSTIFICATIONS}{j['id']}/"
    approved = ok(gw.post(f"{url}approve/", json={}, headers=headers(world, "supervisor")))
    again = gw.post(f"{url}approve/", json={}, headers=headers(world, "supervisor"))
    assert again.status_code == 400 and set(again.json()) == {"status"}
    assert gw.post(f"{url}reject/", headers=headers(world, "admin")).status_code == 400
    assert ok(gw.get(url, headers=headers(world, "admin"))) == approved
    after = listed(gw, world, "admin")
    assert [x for x in after if x["id"] != j["id"]] == before


def test_an_approval_justifies_absences_now_and_later(
    full_gw: httpx.Client, world: dict[str, Any]
) -> None:
    gw = full_gw
    fatima, omar = world["students"]
    trainer = headers(world, "trainer")
    first = take(gw, world, D1, ["absent", "absent"])
    assert [r["is_justified"] for r in first] == [False, False]
    j = ok(file(gw, world, "admin", fatima), 201)
    ok(
        gw.post(
            f"{JUSTIFICATIONS}{j['id']}/approve/",
            json={"comment": "OK"},
            headers=headers(world, "supervisor"),
        )
    )
    # The absence already entered is justified; the other student's is not.
    day1 = ok(
        gw.get(
            f"{RECORDS}by_session/",
            params={"session_template_id": world["template"]["id"], "date": D1},
            headers=trainer,
        )
    )
    assert {r["student"]: r["is_justified"] for r in day1} == {fatima: True, omar: False}
    # A record entered later in the range is justified when written; one after it is not.
    later = take(gw, world, D2, ["absent", "present"])
    assert [r["is_justified"] for r in later] == [True, False]
    after = take(gw, world, D3, ["absent", "late"])
    assert [r["is_justified"] for r in after] == [False, False]
    own = ok(
        gw.get(
            f"{RECORDS}by_student/",
            params={"student_id": fatima},
            headers=headers(world, "student"),
        )
    )
    assert {r["date"]: r["is_justified"] for r in own} == {D1: True, D2: True, D3: False}
    # Statistics and the report count them (the rate's formula unchanged).
    period = {
        "start_date": "2024-06-01",
        "end_date": "2024-06-30",
        "group_id": world["group"]["id"],
    }
    stats = ok(gw.get(f"{RECORDS}stats/", params=period, headers=trainer))
    assert stats == {
        "total_sessions": 6,
        "present_count": 1,
        "absent_count": 4,
        "late_count": 1,
        "attendance_rate": 33.33,
        "justified_absences": 2,
    }
    rows = ok(gw.get(f"{RECORDS}student_stats/", params=period, headers=trainer))
    assert {r["student"]["id"]: r["stats"]["justified_absences"] for r in rows} == {
        fatima: 2,
        omar: 0,
    }
    report = ok(gw.get(f"{RECORDS}report/", params=period, headers=headers(world, "supervisor")))
    assert {d["date"]: d["statistics"]["justified_absences"] for d in report["report"]} == {
        D1: 1,
        D2: 1,
        D3: 0,
    }
    csv = gw.get(f"{RECORDS}report/", params={**period, "format": "csv"}, headers=trainer)
    assert csv.content.decode("utf-8-sig").splitlines()[0].endswith(",justified_absences")
    justified_only = ok(
        gw.get(
            RECORDS,
            params={"is_justified": "true", "group": world["group"]["id"]},
            headers=trainer,
        )
    )
    assert sorted(r["date"] for r in justified_only["results"]) == [D1, D2]
