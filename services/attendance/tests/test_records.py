from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import col

from attendance_service import events
from attendance_service.copies import instances
from attendance_service.models import AttendanceRecord
from entraide_kit import contracts
from entraide_kit.events import Envelope
from entraide_stack.testing.queries import count_queries
from entraide_stack.testing.stream import event, last_event, last_seq

from .conftest import (
    ADMIN,
    CANCELLED,
    COURSE_A,
    INSTANCE,
    INSTANCE_B,
    MONDAY,
    PROGRAM_A,
    SUP_A,
    SUP_B,
    TEMPLATE_A,
    TRAINER_A,
    TRAINER_B,
    Api,
)

TEMPLATE_A_DETAILS = {
    "id": TEMPLATE_A,
    "day": "Monday",
    "start_time": "08:30:00",
    "end_time": "10:30:00",
    "training_course_details": {
        "id": COURSE_A,
        "name": "Développement Web - Centre A - Ahmed Benali",
        "program": {"id": PROGRAM_A, "name": "Développement Web"},
    },
}


async def test_create_has_the_contract_shape(api: Api) -> None:
    body = {
        "date": "2024-06-10",
        "student": 101,
        "session_instance": INSTANCE,
        "status": "present",
        "notes": "Arrived on time, actively participated",
    }
    resp = await api("POST", "", json=body)
    assert resp.status_code == 201, resp.text
    r = resp.json()
    assert set(r) == {
        "id",
        "date",
        "student",
        "student_details",
        "session_template",
        "session_template_details",
        "session_instance",
        "session_instance_details",
        "status",
        "notes",
        "is_justified",
        "created_at",
        "edited_at",
    }
    assert r["student_details"] == {
        "id": 101,
        "exam_id": "STU2024101",
        "user": {
            "first_name": "Fatima",
            "last_name": "El Alami",
            "email": "fatima@student.entraide.ma",
        },
    }
    assert r["session_instance_details"] == {
        "id": INSTANCE,
        "specific_date": "2024-06-10",
        "effective_start_time": "08:30:00",
        "effective_end_time": "10:30:00",
        "status": "scheduled",
        "schedule_template_details": TEMPLATE_A_DETAILS,
    }
    assert r["session_template_details"] is None
    again = await api("POST", "", json=body)
    assert again.status_code == 400 and "non_field_errors" in again.json()


async def test_rules(api: Api) -> None:
    base = {"date": "2024-06-10", "student": 101, "status": "present"}
    both = await api(
        "POST", "", json={**base, "session_instance": INSTANCE, "session_template": TEMPLATE_A}
    )
    assert both.status_code == 400 and "non_field_errors" in both.json()
    assert (await api("POST", "", json=base)).status_code == 400
    wrong_date = await api(
        "POST", "", json={**base, "date": "2024-06-11", "session_instance": INSTANCE}
    )
    assert "date" in wrong_date.json()
    cancelled = await api(
        "POST", "", json={**base, "date": "2024-06-17", "session_instance": CANCELLED}
    )
    assert cancelled.json() == {
        "session_instance": ["No attendance can be taken for a cancelled session."]
    }
    outsider = await api("POST", "", json={**base, "student": 104, "session_instance": INSTANCE})
    assert outsider.json() == {"student": ["The student is not in this session's group."]}
    unknown = await api("POST", "", json={**base, "student": 999, "session_instance": INSTANCE})
    assert "student" in unknown.json()
    bad_status = await api(
        "POST", "", json={**base, "session_instance": INSTANCE, "status": "asleep"}
    )
    assert bad_status.json() == {"status": ['"asleep" is not a valid choice.']}
    template_day = await api(
        "POST", "", json={**base, "date": "2024-06-11", "session_template": TEMPLATE_A}
    )
    assert "date" in template_day.json()
    ok = await api("POST", "", json={**base, "session_template": TEMPLATE_A})
    assert ok.status_code == 201 and ok.json()["session_instance_details"] is None


async def test_bulk_create_inserts_then_updates_and_reports_errors(api: Api) -> None:
    body = {
        "session_instance_id": INSTANCE,
        "date": "2024-06-10",
        "attendance_records": [
            {"student_id": "101", "status": "present", "notes": "On time"},
            {"student_id": "102", "status": "late", "notes": "Arrived 10 minutes late"},
            {"student_id": "103", "status": "absent"},
            {"student_id": "104", "status": "present"},
            {"student_id": "abc", "status": "present"},
        ],
    }
    resp = await api("POST", "bulk_create/", json=body)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["message"] == "Processed 3 attendance records"
    assert (out["created"], out["updated"]) == (3, 0)
    assert len(out["errors"]) == 2
    assert {r["student"]: r["status"] for r in out["records"]} == {
        101: "present",
        102: "late",
        103: "absent",
    }
    assert [r["notes"] for r in out["records"] if r["student"] == 103] == [""]
    body["attendance_records"] = [{"student_id": 103, "status": "late"}]
    again = (await api("POST", "bulk_create/", json=body)).json()
    assert (again["created"], again["updated"]) == (0, 1)
    listed = (await api("GET", "by_session/", params={"session_instance_id": INSTANCE})).json()
    assert {r["student"]: r["status"] for r in listed} == {101: "present", 102: "late", 103: "late"}


async def test_bulk_create_is_a_constant_number_of_statements(
    api: Api, attendance_app: Any
) -> None:
    counts = []
    for students in ([101], [101, 102, 103] * 10):
        entries = [{"student_id": s, "status": "present"} for s in students]
        body = {
            "session_instance_id": INSTANCE,
            "date": "2024-06-10",
            "attendance_records": entries,
        }
        with count_queries(attendance_app.state.db.engine) as counter:
            assert (await api("POST", "bulk_create/", json=body)).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


async def test_bulk_create_publishes_one_contract_event_per_record(
    api: Api, attendance_app: Any
) -> None:
    """bulk_create's events are built by PostgreSQL in its one statement and
    published by the relay: each an envelope of the record's subject and
    version, its data the contract's model and what the single-record path
    (``events.snapshot``) sends."""
    js = await attendance_app.state.nats.ready()
    since = await last_seq(js)
    body = {
        "session_instance_id": INSTANCE,
        "date": "2024-06-10",
        "attendance_records": [
            {"student_id": 101, "status": "present"},
            {"student_id": 102, "status": "late"},
        ],
    }
    first = (await api("POST", "bulk_create/", json=body)).json()["records"]
    body["attendance_records"] = [{"student_id": 102, "status": "absent"}]
    second = (await api("POST", "bulk_create/", json=body)).json()["records"]
    ids = {r["student"]: r["id"] for r in first}
    assert second[0]["id"] == ids[102]

    async def published(record_id: int, version: int) -> tuple[Envelope, Any]:
        msg = await last_event(
            js,
            f"entraide.attendance.record.{record_id}",
            since=since,
            until=lambda e: e["version"] == version,
        )
        return Envelope.model_validate(event(msg)), msg

    found = [await published(ids[101], 1), await published(ids[102], 2)]
    async with attendance_app.state.db.session() as s:
        records = {
            r.id: r
            for r in (
                await s.execute(
                    select(AttendanceRecord).where(col(AttendanceRecord.id).in_(ids.values()))
                )
            ).scalars()
        }
    for e, msg in found:
        assert (e.subject, e.producer, e.entity, e.op) == (
            f"entraide.attendance.record.{e.id}",
            "attendance",
            "record",
            "upsert",
        )
        assert msg.headers["Nats-Msg-Id"] == e.event_id
        contracts.check(e.producer, e.entity, e.op, e.data, complete=True)
        assert e.occurred_at.tzinfo is not None
        assert e.data == events.snapshot(records[int(e.id)])
    assert found[1][0].data is not None and found[1][0].data["status"] == "absent"
    assert found[0][0].event_id != found[1][0].event_id


async def _contract_numbers(api: Api) -> None:
    """28 records for group 100: 22 present, 4 absent, 2 late (the contract's example)."""
    mondays = [MONDAY + dt.timedelta(weeks=w) for w in range(-5, 5)]
    pairs = [(d, s) for d in mondays for s in (101, 102, 103)][:28]
    statuses = ["present"] * 22 + ["absent"] * 4 + ["late"] * 2
    for date in mondays:
        entries = [
            {"student_id": s, "status": statuses[i]} for i, (d, s) in enumerate(pairs) if d == date
        ]
        if entries:
            body = {
                "session_template_id": TEMPLATE_A,
                "date": date.isoformat(),
                "attendance_records": entries,
            }
            assert (await api("POST", "bulk_create/", json=body)).status_code == 200


async def test_stats_reproduce_the_contract_example(api: Api) -> None:
    await _contract_numbers(api)
    params = {"start_date": "2024-05-01", "end_date": "2024-07-31", "group_id": 100}
    resp = await api("GET", "stats/", params=params)
    assert resp.json() == {
        "total_sessions": 28,
        "present_count": 22,
        "absent_count": 4,
        "late_count": 2,
        "attendance_rate": 85.71,
        "justified_absences": 0,
    }
    empty = await api("GET", "stats/", params={**params, "group_id": 999})
    assert empty.json()["attendance_rate"] == 0.0
    by_trainer = await api(
        "GET",
        "stats/",
        params={"start_date": "2024-05-01", "end_date": "2024-07-31", "trainer_id": TRAINER_A},
    )
    assert by_trainer.json()["total_sessions"] == 28
    assert (await api("GET", "stats/", params={"start_date": "2024-06-01"})).status_code == 400
    backwards = await api(
        "GET", "stats/", params={"start_date": "2024-06-10", "end_date": "2024-06-01"}
    )
    assert backwards.status_code == 400


async def test_student_stats_report_and_exports(api: Api) -> None:
    await _contract_numbers(api)
    params = {"group_id": 100, "start_date": "2024-05-01", "end_date": "2024-07-31"}
    rows = (await api("GET", "student_stats/", params=params)).json()
    assert [r["student"]["id"] for r in rows] == [101, 102, 103]  # by last name
    assert sum(r["stats"]["total_sessions"] for r in rows) == 28
    assert all(len(r["recent_attendance"]) <= 10 for r in rows)
    recent = rows[0]["recent_attendance"]
    assert [x["date"] for x in recent] == sorted((x["date"] for x in recent), reverse=True)

    report = (
        await api(
            "GET",
            "report/",
            params={"start_date": "2024-06-01", "end_date": "2024-06-30", "group_id": 100},
        )
    ).json()
    assert report["period"] == {"start_date": "2024-06-01", "end_date": "2024-06-30"}
    days = report["report"]
    assert [d["date"] for d in days] == ["2024-06-03", "2024-06-10", "2024-06-17", "2024-06-24"]
    assert all(d["statistics"]["total"] == len(d["records"]) for d in days)
    # Written out directly as JSON: exactly what the documented schema gives.
    from attendance_service.schemas import Report

    assert Report.model_validate(report).model_dump(mode="json") == report

    csv_resp = await api("GET", "student_stats/", params={**params, "format": "csv"})
    assert csv_resp.headers["content-type"].startswith("text/csv")
    assert "El Alami" in csv_resp.content.decode(
        "utf-8-sig"
    ) and "فاطمة" in csv_resp.content.decode("utf-8-sig")
    xlsx = await api("GET", "student_stats/", params={**params, "format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    ws = book.active
    assert ws is not None and ws["E2"].value == "فاطمة"
    assert ws["E2"].alignment.readingOrder == 2
    assert len(ws._charts) == 1  # the attendance-rate chart
    report_xlsx = await api(
        "GET",
        "report/",
        params={"start_date": "2024-06-01", "end_date": "2024-06-30", "format": "xlsx"},
    )
    assert (
        report_xlsx.status_code == 200
        and len(load_workbook(io.BytesIO(report_xlsx.content)).active._charts) == 1
    )


async def test_scoping(api: Api) -> None:
    body = {
        "session_instance_id": INSTANCE,
        "date": "2024-06-10",
        "attendance_records": [{"student_id": 101, "status": "present"}],
    }
    assert (await api("POST", "bulk_create/", TRAINER_B, json=body)).status_code == 403
    assert (await api("POST", "bulk_create/", SUP_B, json=body)).status_code == 403
    assert (await api("POST", "bulk_create/", TRAINER_A, json=body)).status_code == 200
    other = {
        "session_instance_id": INSTANCE_B,
        "date": "2024-06-11",
        "attendance_records": [{"student_id": 104, "status": "late"}],
    }
    assert (await api("POST", "bulk_create/", SUP_B, json=other)).status_code == 200
    ids = lambda r: [x["student"] for x in r.json()["results"]]  # noqa: E731
    assert ids(await api("GET", "", TRAINER_A)) == [101]
    assert ids(await api("GET", "", SUP_A)) == [101]
    assert ids(await api("GET", "", SUP_B)) == [104]
    assert sorted(ids(await api("GET", "", ADMIN))) == [101, 104]
    record_b = (await api("GET", "", SUP_B)).json()["results"][0]["id"]
    assert (await api("GET", f"{record_b}/", TRAINER_A)).status_code == 404
    assert (
        await api("PATCH", f"{record_b}/", TRAINER_A, json={"status": "absent"})
    ).status_code == 404
    assert (await api("DELETE", f"{record_b}/", SUP_A)).status_code == 404
    # A student: their own records, nobody else's.
    fatima = 11
    own = await api("GET", "by_student/", fatima, params={"student_id": 101})
    assert own.status_code == 200 and [r["student"] for r in own.json()] == [101]
    assert (await api("GET", "by_student/", fatima, params={"student_id": 104})).status_code == 403
    assert (await api("GET", f"{record_b}/", fatima)).status_code == 404
    assert (await api("GET", "", fatima)).status_code == 403
    assert (
        await api(
            "GET",
            "stats/",
            fatima,
            params={"start_date": "2024-01-01", "end_date": "2024-12-31", "student_id": 104},
        )
    ).status_code == 403
    assert (await api("GET", "", None)).status_code == 401


def _instance_moved_to(trainer: int, *, version: int) -> Envelope:
    """schedule's event of INSTANCE given to ``trainer`` (its whole payload)."""
    return Envelope(
        subject=f"entraide.schedule.instance.{INSTANCE}",
        producer="schedule",
        entity="instance",
        id=INSTANCE,
        op="upsert",
        version=version,
        data={
            "id": INSTANCE,
            "schedule_template": TEMPLATE_A,
            "specific_date": "2024-06-10",
            "status": "scheduled",
            "effective_start_time": "08:30:00",
            "effective_end_time": "10:30:00",
            "effective_trainer": trainer,
            "effective_room": None,
            "group": 100,
            "center": 10,
        },
    )


async def test_update_delete_and_instance_changes_follow(api: Api, attendance_app: Any) -> None:
    created = (
        await api(
            "POST",
            "",
            json={
                "date": "2024-06-10",
                "student": 101,
                "session_instance": INSTANCE,
                "status": "absent",
            },
        )
    ).json()
    patched = await api(
        "PATCH", f"{created['id']}/", TRAINER_A, json={"status": "late", "notes": "bus"}
    )
    assert patched.status_code == 200 and patched.json()["status"] == "late"
    # schedule gives the instance to trainer B: the record follows.
    async with attendance_app.state.db.session() as s, s.begin():
        env = _instance_moved_to(TRAINER_B, version=2)
        from attendance_service.handlers import SUBSCRIPTIONS

        handler = next(s_.handler for s_ in SUBSCRIPTIONS if s_.subject == instances.subject)
        await handler(s, env)
    assert (await api("GET", f"{created['id']}/", TRAINER_A)).status_code == 404
    assert (await api("GET", f"{created['id']}/", TRAINER_B)).status_code == 200
    day = {"start_date": "2024-06-10", "end_date": "2024-06-10", "group_id": 100}
    report = (await api("GET", "report/", params=day)).json()
    mine = [r for d in report["report"] for r in d["records"] if r["id"] == created["id"]]
    assert mine[0]["session_instance_details"] == {
        "effective_start_time": "08:30:00",
        "effective_end_time": "10:30:00",
    }
    assert (await api("DELETE", f"{created['id']}/", TRAINER_B)).status_code == 204


async def test_user_events_fill_the_user_copies(attendance_app: Any) -> None:
    # Found by bench/chaos.py: user_copies (the Arabic names of student_stats and its
    # exports) had no subscription, so it stayed empty outside these tests' seed.
    from sqlalchemy import select

    from attendance_service.handlers import SUBSCRIPTIONS
    from entraide_kit.copies.users import user_copies

    handlers = [s.handler for s in SUBSCRIPTIONS if s.subject == "entraide.auth.user.*"]
    assert handlers
    env = Envelope(
        subject="entraide.auth.user.777",
        producer="auth",
        entity="user",
        id=777,
        op="upsert",
        version=1,
        data={
            "id": 777,
            "token_version": 0,
            "email": "amal@student.entraide.ma",
            "username": "amal",
            "first_name": "Amal",
            "last_name": "Idrissi",
            "arabic_first_name": "أمل",
            "role": "student",
            "is_active": True,
        },
    )
    async with attendance_app.state.db.session() as s, s.begin():
        for handler in handlers:
            await handler(s, env)
    async with attendance_app.state.db.session() as s:
        row = (await s.execute(select(user_copies).where(user_copies.c.id == 777))).one()
    assert row.arabic_first_name == "أمل"


async def _take(api: Api, user: int, body: dict[str, Any]) -> None:
    resp = await api("POST", "bulk_create/", user, json=body)
    assert resp.status_code == 200 and not resp.json()["errors"], resp.text


async def _three_kinds(api: Api) -> None:
    """Template A (Monday, trainer A) by template; its instance; template B's instance."""
    await _take(
        api,
        ADMIN,
        {
            "session_template_id": TEMPLATE_A,
            "date": "2024-06-03",
            "attendance_records": [{"student_id": 101, "status": "present"}],
        },
    )
    await _take(
        api,
        ADMIN,
        {
            "session_instance_id": INSTANCE,
            "date": "2024-06-10",
            "attendance_records": [{"student_id": 102, "status": "late"}],
        },
    )
    await _take(
        api,
        ADMIN,
        {
            "session_instance_id": INSTANCE_B,
            "date": "2024-06-11",
            "attendance_records": [{"student_id": 104, "status": "absent"}],
        },
    )


async def test_records_carry_their_template_and_course(api: Api) -> None:
    """F28: session_template_details, and the instance's schedule_template_details."""
    await _three_kinds(api)
    rows = {r["student"]: r for r in (await api("GET", "")).json()["results"]}
    by_template = rows[101]
    assert by_template["session_template_details"] == TEMPLATE_A_DETAILS
    assert by_template["session_instance_details"] is None
    by_instance = rows[102]
    assert by_instance["session_template_details"] is None
    assert by_instance["session_instance_details"]["schedule_template_details"] == (
        TEMPLATE_A_DETAILS
    )
    # Template B's course has no copy (yet): the template without its course.
    assert rows[104]["session_instance_details"]["schedule_template_details"] == {
        "id": 2,
        "day": "Tuesday",
        "start_time": "10:30:00",
        "end_time": "12:30:00",
        "training_course_details": None,
    }
    # The same read shape everywhere a record is read.
    one = (await api("GET", f"{by_template['id']}/")).json()
    assert one == by_template
    listed = (
        await api(
            "GET", "by_session/", params={"session_template_id": TEMPLATE_A, "date": "2024-06-03"}
        )
    ).json()
    assert listed == [by_template]
    group = (await api("GET", "by_group/", params={"group_id": 100})).json()
    assert {r["id"]: r for r in group}[by_instance["id"]] == by_instance


async def test_trainer_id_filter(api: Api, attendance_app: Any) -> None:
    """M3: ?trainer_id=<id>|me, by the template's trainer; a trainer gets their own."""
    await _three_kinds(api)

    async def students_of(user: int, **params: Any) -> list[int]:
        resp = await api("GET", "", user, params=params)
        assert resp.status_code == 200, resp.text
        return sorted(r["student"] for r in resp.json()["results"])

    assert await students_of(ADMIN, trainer_id=TRAINER_A) == [101, 102]
    assert await students_of(ADMIN, trainer_id=str(TRAINER_B)) == [104]
    assert await students_of(ADMIN, trainer_id="me") == []  # the admin teaches nothing
    assert await students_of(ADMIN, trainer_id=TRAINER_A, date="2024-06-10") == [102]
    assert await students_of(SUP_A, trainer_id=TRAINER_B) == []  # not their centre
    assert await students_of(SUP_B, trainer_id=TRAINER_B) == [104]
    for asked in ("me", str(TRAINER_A), str(TRAINER_B), "999"):
        assert await students_of(TRAINER_A, trainer_id=asked, page_size=1000) == [101, 102]
        assert await students_of(TRAINER_B, trainer_id=asked) == [104]
    assert await students_of(TRAINER_A, trainer_id="me", date="2024-06-03") == [101]
    assert await students_of(ADMIN, trainer=TRAINER_B) == [104]  # the existing filter stays
    for bad in ("abc", "1.5", "you"):
        resp = await api("GET", "", ADMIN, params={"trainer_id": bad})
        assert resp.status_code == 400
        assert resp.json() == {"trainer_id": ['Enter a whole number, or "me".']}
    assert (await api("GET", "", TRAINER_A, params={"trainer_id": "x"})).status_code == 400
    # An instance given to a substitute: the template's trainer (A) still finds it
    # as a filter; as a trainer, B (who teaches it now) sees it and A no longer does.
    async with attendance_app.state.db.session() as s, s.begin():
        from attendance_service.handlers import SUBSCRIPTIONS

        env = _instance_moved_to(TRAINER_B, version=2)
        handler = next(s_.handler for s_ in SUBSCRIPTIONS if s_.subject == instances.subject)
        await handler(s, env)
    assert await students_of(ADMIN, trainer_id=TRAINER_A) == [101, 102]
    assert await students_of(TRAINER_A, trainer_id="me") == [101]
    assert await students_of(TRAINER_B, trainer_id="me") == [102, 104]


async def test_trainer_id_is_in_the_openapi_document(client: Any) -> None:
    doc = (await client.get("/openapi.json")).json()
    params = doc["paths"]["/api/attendance/api/records/"]["get"]["parameters"]
    trainer_id = next(p for p in params if p["name"] == "trainer_id")
    assert trainer_id["in"] == "query" and "me" in trainer_id["description"]
    assert any(p["name"] == "trainer" for p in params)


async def test_reads_are_a_constant_number_of_statements(api: Api, attendance_app: Any) -> None:
    """The details of every record come with the page: no query per record."""
    counts: dict[str, list[int]] = {"list": [], "by_session": [], "by_group": []}
    for students in ([101], [101, 102, 103]):
        for date in ("2024-06-03", "2024-05-27", "2024-05-20"):
            await _take(
                api,
                ADMIN,
                {
                    "session_template_id": TEMPLATE_A,
                    "date": date,
                    "attendance_records": [
                        {"student_id": s, "status": "present"} for s in students
                    ],
                },
            )
        await _take(
            api,
            ADMIN,
            {
                "session_instance_id": INSTANCE,
                "date": "2024-06-10",
                "attendance_records": [{"student_id": s, "status": "late"} for s in students],
            },
        )
        for name, url, params in (
            ("list", "", {"trainer_id": TRAINER_A, "page_size": 1000}),
            ("by_session", "by_session/", {"session_instance_id": INSTANCE}),
            ("by_group", "by_group/", {"group_id": 100}),
        ):
            with count_queries(attendance_app.state.db.engine) as counter:
                resp = await api("GET", url, TRAINER_A, params=params)
            assert resp.status_code == 200, resp.text
            counts[name].append(counter.count)
    assert all(a == b for a, b in counts.values()), counts


async def test_a_record_out_of_reach_is_a_404_before_its_body_is_read(api: Api) -> None:
    """As the original backend answered (the record is looked up, within the caller's
    scope, before the body is validated): the role first (403), then the record (404,
    also for one out of the caller's scope), then the body (400)."""
    body = {
        "session_instance_id": INSTANCE_B,
        "date": "2024-06-11",
        "attendance_records": [{"student_id": 104, "status": "late"}],
    }
    await _take(api, SUP_B, body)
    record_b = (await api("GET", "", SUP_B)).json()["results"][0]["id"]
    invalid = {"status": "bogus"}
    for method in ("PUT", "PATCH"):
        assert (await api(method, "99999999/", ADMIN, json=invalid)).status_code == 404
        assert (await api(method, f"{record_b}/", TRAINER_A, json=invalid)).status_code == 404
        assert (await api(method, f"{record_b}/", SUP_A, json=invalid)).status_code == 404
        assert (await api(method, f"{record_b}/", SUP_B, json=invalid)).status_code == 400
    # A student may not write at all: 403 before anything is looked up.
    fatima = 11
    assert (await api("PATCH", "99999999/", fatima, json=invalid)).status_code == 403


async def test_an_instance_change_republishes_its_records_through_nats(
    api: Api, attendance_app: Any
) -> None:
    """schedule's instance event in through NATS, the rewritten records out through
    NATS: each with a new version and the values it now holds (issue 19)."""
    import time

    js = await attendance_app.state.nats.ready()
    # Record ids start again in every test: only what this test publishes counts.
    since = await last_seq(js)
    created = (
        await api(
            "POST",
            "",
            json={
                "date": "2024-06-10",
                "student": 101,
                "session_instance": INSTANCE,
                "status": "present",
            },
        )
    ).json()
    subject = f"entraide.attendance.record.{created['id']}"

    async def last(until: Any) -> dict[str, Any]:
        return event(await last_event(js, subject, since=since, until=until))

    first = await last(lambda e: True)
    assert first["data"]["trainer"] == TRAINER_A
    # newer than whatever an earlier test sent for this instance
    moved = _instance_moved_to(TRAINER_B, version=int(time.time()))
    await js.publish(
        moved.subject, moved.model_dump_json().encode(), headers={"Nats-Msg-Id": moved.event_id}
    )
    rewritten = await last(lambda e: e["data"]["trainer"] == TRAINER_B)
    assert rewritten["version"] == first["version"] + 1
    assert rewritten["data"]["status"] == "present" and rewritten["data"]["student"] == 101
    assert (await api("GET", f"{created['id']}/", TRAINER_B)).status_code == 200
    assert (await api("GET", f"{created['id']}/", TRAINER_A)).status_code == 404
