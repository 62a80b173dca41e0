"""Attendance alerts (issue 20), at the service: raised and resolved as records
are written (single, bulk, update, delete), per course and over the academic
year; a centre's rules; the alerts' reads, scopes and acknowledgement; their
events, built by PostgreSQL in the recheck's one statement and by Python alike."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text, update
from sqlmodel import col

from attendance_service import alert_repository, alerts, events
from attendance_service.copies import sessions
from attendance_service.models import Alert, AlertRule, AttendanceRecord
from entraide_kit import contracts
from entraide_kit.events.tables import outbox
from entraide_stack.testing import TokenFactory
from entraide_stack.testing.apps import Api, caller
from entraide_stack.testing.queries import count_queries
from entraide_stack.testing.stream import event, last_event, last_seq

from .conftest import (
    ADMIN,
    COURSE_A,
    INSTANCE,
    MONDAY,
    ROLES,
    SUP_A,
    SUP_B,
    TEMPLATE_A,
    TRAINER_A,
    TRAINER_B,
)

FATIMA, OMAR, KARIM = 11, 12, 14  # the users of students 101, 102 and 104
ASSOC = 6  # an association supervisor
ALERTS = "/api/attendance/api/alerts/"
RULES = "/api/attendance/api/alert_rules/"
RECORDS = "/api/attendance/api/records/"
# Mondays of the 2023-2024 academic year (template A's day), the last one MONDAY.
MONDAYS = [MONDAY - dt.timedelta(weeks=w) for w in range(11, -1, -1)]
# A second weekly template of group 100 (Wednesday), with a course of its own.
TEMPLATE_W, COURSE_W = 3, 502


@pytest.fixture
def api(client: httpx.AsyncClient, token_factory: TokenFactory) -> Api:
    """``await api("GET", url, USER, ...)``; urls from the service's root."""
    roles = {**ROLES, ASSOC: "association_supervisor"}
    return caller(
        client, token_factory, role_of=lambda u: roles.get(u) or "student", default_user=ADMIN
    )


async def take(
    api: Api, day: dt.date, marks: dict[int, str], *, template: int = TEMPLATE_A
) -> dict[str, Any]:
    body = {
        "session_template_id": template,
        "date": day.isoformat(),
        "attendance_records": [{"student_id": s, "status": st} for s, st in marks.items()],
    }
    resp = await api("POST", RECORDS + "bulk_create/", json=body)
    assert resp.status_code == 200 and not resp.json()["errors"], resp.text
    out: dict[str, Any] = resp.json()
    return out


async def listed(api: Api, user: int = ADMIN, **params: Any) -> list[dict[str, Any]]:
    resp = await api("GET", ALERTS, user, params={"page_size": 100, **params})
    assert resp.status_code == 200, resp.text
    results: list[dict[str, Any]] = resp.json()["results"]
    return results


async def rows(app: FastAPI) -> list[Alert]:
    async with app.state.db.session() as s:
        return list((await s.execute(select(Alert).order_by(col(Alert.id)))).scalars())


async def test_three_absences_raise_one_alert_a_fourth_grows_it_a_present_resolves_it(
    api: Api, attendance_app: FastAPI
) -> None:
    js = await attendance_app.state.nats.ready()
    since = await last_seq(js)
    for day in MONDAYS[:2]:
        await take(api, day, {101: "absent"})
    assert await listed(api) == []
    await take(api, MONDAYS[2], {101: "absent"})
    [alert] = await listed(api)
    assert set(alert) == {
        "id",
        "student",
        "student_name",
        "group",
        "center",
        "training_course",
        "kind",
        "value",
        "threshold",
        "first_date",
        "last_date",
        "status",
        "created_at",
        "acknowledged_by",
        "acknowledged_at",
        "note",
        "resolved_at",
    }
    assert alert | {"id": 0, "created_at": None} == {
        "id": 0,
        "student": 101,
        "student_name": "Fatima El Alami",
        "group": 100,
        "center": 10,
        "training_course": COURSE_A,
        "kind": "consecutive_absences",
        "value": 3.0,
        "threshold": 3.0,
        "first_date": MONDAYS[0].isoformat(),
        "last_date": MONDAYS[2].isoformat(),
        "status": "open",
        "created_at": None,
        "acknowledged_by": None,
        "acknowledged_at": None,
        "note": "",
        "resolved_at": None,
    }
    subject = f"entraide.attendance.alert.{alert['id']}"
    raised = event(await last_event(js, subject, since=since))
    assert (raised["producer"], raised["entity"], raised["op"], raised["version"]) == (
        "attendance",
        "alert",
        "upsert",
        1,
    )
    assert raised["data"]["status"] == "open" and raised["data"]["value"] == 3
    contracts.check("attendance", "alert", "upsert", raised["data"], complete=True)

    # A fourth: no second alert; the run grows (a new version, its event).
    await take(api, MONDAYS[3], {101: "absent"})
    [grown] = await listed(api)
    assert (grown["id"], grown["value"], grown["last_date"]) == (
        alert["id"],
        4.0,
        MONDAYS[3].isoformat(),
    )
    assert (await api("GET", f"{ALERTS}{alert['id']}/")).json() == grown
    await last_event(js, subject, since=since, until=lambda e: e["version"] == 2)

    # A present record ends the run: resolved by itself.
    await take(api, MONDAYS[4], {101: "present"})
    [resolved] = await listed(api)
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    assert resolved["value"] == 4.0  # what it was when it resolved
    gone = event(
        await last_event(
            js, subject, since=since, until=lambda e: e["data"]["status"] == "resolved"
        )
    )
    assert gone["version"] == 3
    [row] = await rows(attendance_app)
    assert gone["data"] == events.alert_snapshot(row)  # SQL's payload is Python's

    # Absent three times again: a new alert (the resolved one stays as it was).
    for day in MONDAYS[5:8]:
        await take(api, day, {101: "absent"})
    fresh = await listed(api, status="open")
    assert len(fresh) == 1 and fresh[0]["id"] != alert["id"]
    assert fresh[0]["first_date"] == MONDAYS[5].isoformat()
    assert [a["id"] for a in await listed(api, status="resolved")] == [alert["id"]]


async def test_a_late_record_single_writes_and_deletes_resolve_too(
    api: Api, attendance_app: FastAPI
) -> None:
    ids = []
    for day in MONDAYS[:3]:
        created = await api(
            "POST",
            RECORDS,
            json={
                "date": day.isoformat(),
                "student": 102,
                "session_template": TEMPLATE_A,
                "status": "absent",
            },
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    [alert] = await listed(api, status="open")
    assert alert["student"] == 102 and alert["value"] == 3.0
    # The latest one late: resolved; absent again: raised again.
    late = await api("PATCH", f"{RECORDS}{ids[2]}/", json={"status": "late"})
    assert late.status_code == 200
    assert await listed(api, status="open") == []
    assert (await api("PATCH", f"{RECORDS}{ids[2]}/", json={"status": "absent"})).status_code == 200
    [again] = await listed(api, status="open")
    # Deleting one of the three: a run of two, under the rule.
    assert (await api("DELETE", f"{RECORDS}{ids[0]}/")).status_code == 204
    assert await listed(api, status="open") == []
    assert {a["id"] for a in await listed(api, status="resolved")} == {alert["id"], again["id"]}


async def test_the_run_is_per_course(api: Api, attendance_app: FastAPI) -> None:
    """Absences alternating between two courses are no run in either; the third in
    one course is (an instance's record counts for its template's course)."""
    async with attendance_app.state.db.session() as s, s.begin():
        await sessions.upsert(
            s,
            contracts.Session(
                id=TEMPLATE_W,
                day="Wednesday",
                start_time="14:00:00",
                end_time="16:00:00",
                academic_year="2023-2024",
                trainer=TRAINER_B,
                group=100,
                center=10,
                training_course=COURSE_W,
                is_active=True,
            ),
        )
    wednesday = dt.timedelta(days=2)
    await take(api, MONDAYS[8], {103: "absent"})
    await take(api, MONDAYS[8] + wednesday, {103: "absent"}, template=TEMPLATE_W)
    await take(api, MONDAYS[9], {103: "absent"})
    await take(api, MONDAYS[9] + wednesday, {103: "absent"}, template=TEMPLATE_W)
    assert await listed(api) == []  # four in a row, two per course
    body = {
        "session_instance_id": INSTANCE,
        "date": MONDAY.isoformat(),
        "attendance_records": [{"student_id": 103, "status": "absent"}],
    }
    assert (await api("POST", RECORDS + "bulk_create/", json=body)).status_code == 200
    [alert] = await listed(api)
    assert (alert["training_course"], alert["value"]) == (COURSE_A, 3.0)
    assert (alert["first_date"], alert["last_date"]) == (
        MONDAYS[8].isoformat(),
        MONDAY.isoformat(),
    )
    # The other course's third: still one alert of the kind, now of the latest of
    # the longest runs; a fourth in course A makes A's the longest again.
    await take(api, MONDAY + wednesday, {103: "absent"}, template=TEMPLATE_W)
    assert [(a["id"], a["training_course"], a["value"]) for a in await listed(api)] == [
        (alert["id"], COURSE_W, 3.0)
    ]
    await take(api, MONDAY + dt.timedelta(weeks=1), {103: "absent"})
    assert [(a["training_course"], a["value"]) for a in await listed(api)] == [(COURSE_A, 4.0)]


async def test_bulk_entry_raises_for_the_whole_class_in_two_statements(
    api: Api, attendance_app: FastAPI
) -> None:
    for day in MONDAYS[:2]:
        await take(api, day, {101: "absent", 102: "absent", 103: "present"})
    with count_queries(attendance_app.state.db.engine) as counter:
        await take(api, MONDAYS[2], {101: "absent", 102: "absent", 103: "absent"})
    alerted = await listed(api)
    assert sorted(a["student"] for a in alerted) == [101, 102]
    recheck = [s for s in counter.statements if "alerts" in s or "pg_advisory" in s]
    assert len(recheck) == 2, recheck  # the students' locks, then the recheck
    # Resolving for several at once.
    await take(api, MONDAYS[3], {101: "present", 102: "late", 103: "absent"})
    assert {a["student"]: a["status"] for a in await listed(api)} == {
        101: "resolved",
        102: "resolved",
    }


async def test_a_class_list_entered_again_as_it_was_rechecks_nothing(
    api: Api, attendance_app: FastAPI
) -> None:
    marks = {101: "absent", 102: "absent", 103: "present"}
    for day in MONDAYS[:3]:
        await take(api, day, marks)
    before = await listed(api)
    assert sorted(a["student"] for a in before) == [101, 102]
    # The same marks again: the records are saved (a new version each), no alert
    # statement runs and the alerts are as they were.
    with count_queries(attendance_app.state.db.engine) as counter:
        again = await take(api, MONDAYS[2], marks)
    assert again["updated"] == 3
    assert not [s for s in counter.statements if "alerts" in s or "pg_advisory" in s]
    assert await listed(api) == before
    # One mark changed in the same list: only that student is rechecked, and resolved.
    with count_queries(attendance_app.state.db.engine) as counter:
        await take(api, MONDAYS[2], {**marks, 101: "present"})
    assert len([s for s in counter.statements if "alerts" in s or "pg_advisory" in s]) == 2
    assert {a["student"]: a["status"] for a in await listed(api)} == {
        101: "resolved",
        102: "open",
    }


async def test_the_rate_over_the_academic_year_with_min_records(
    api: Api, attendance_app: FastAPI
) -> None:
    # Runs out of the way: only the rate here.
    assert (
        await api("PUT", f"{RULES}10/", json={"consecutive_absences": 50, "min_records": 4})
    ).status_code == 200
    marks = ["absent", "present", "absent"]
    for day, mark in zip(MONDAYS, marks, strict=False):
        await take(api, day, {101: mark})
    assert await listed(api) == []  # 2 of 3: 66.67 %, but fewer than 4 records
    await take(api, MONDAYS[3], {101: "present"})
    [alert] = await listed(api)
    assert (alert["kind"], alert["value"], alert["threshold"]) == ("absence_rate", 50.0, 20.0)
    assert (alert["first_date"], alert["last_date"]) == (
        MONDAYS[0].isoformat(),
        MONDAYS[3].isoformat(),
    )
    assert alert["training_course"] is None
    # 2 of 10 is 20 %: the threshold is reached; 2 of 11 is under it.
    for day in MONDAYS[4:10]:
        await take(api, day, {101: "present"})
    [still] = await listed(api)
    assert (still["status"], still["value"]) == ("open", 20.0)
    await take(api, MONDAYS[10], {101: "present"})
    [resolved] = await listed(api)
    assert (resolved["status"], resolved["value"]) == ("resolved", 20.0)
    # 3 of 12: raised again.
    await take(api, MONDAYS[11], {101: "absent"})
    [again] = await listed(api, status="open")
    assert again["value"] == 25.0 and again["id"] != alert["id"]
    # A new academic year: its own rate (absences, but too few records yet).
    september = dt.date(2024, 9, 2)
    await take(api, september, {101: "absent"})
    await take(api, september + dt.timedelta(weeks=1), {101: "absent"})
    open_now = await listed(api, status="open")
    assert open_now == []


async def test_justified_absences_break_a_run(api: Api, attendance_app: FastAPI) -> None:
    """What an approved justification does to the records (is_justified), then the
    recheck its approval calls."""
    for day in MONDAYS[:3]:
        await take(api, day, {101: "absent", 102: "absent"})
    assert len(await listed(api, status="open")) == 2
    async with attendance_app.state.db.session() as s, s.begin():
        await s.execute(
            update(AttendanceRecord)
            .where(
                col(AttendanceRecord.student_id) == 101, col(AttendanceRecord.date) == MONDAYS[1]
            )
            .values(is_justified=True)
        )
        await alerts.recheck(s, [101, 102])
    assert {a["student"]: a["status"] for a in await listed(api)} == {
        101: "resolved",
        102: "open",
    }
    # Nothing to do for nobody.
    async with attendance_app.state.db.session() as s, s.begin():
        await alerts.recheck(s, [])


async def test_an_approved_justification_resolves_the_alert(api: Api) -> None:
    for day in MONDAYS[-3:]:
        await take(api, day, {101: "absent"})
    [alert] = await listed(api, status="open")
    filed = await api(
        "POST",
        "/api/attendance/api/justifications/",
        FATIMA,
        json={
            "student": 101,
            "date_from": MONDAYS[-3].isoformat(),
            "date_to": MONDAY.isoformat(),
            "reason": "Certificat médical",
        },
    )
    assert filed.status_code == 201, filed.text
    approved = await api(
        "POST", f"/api/attendance/api/justifications/{filed.json()['id']}/approve/", SUP_A
    )
    assert approved.status_code == 200, approved.text
    [resolved] = await listed(api)
    assert (resolved["id"], resolved["status"]) == (alert["id"], "resolved")


async def test_rules_defaults_setting_and_bad_input(api: Api, attendance_app: FastAPI) -> None:
    defaults = {
        "center": 10,
        "consecutive_absences": 3,
        "absence_rate_threshold": 20.0,
        "min_records": 10,
        "enabled": True,
        "updated_by": None,
        "updated_at": None,
    }
    assert (await api("GET", f"{RULES}10/")).json() == defaults
    bad = await api(
        "PUT",
        f"{RULES}10/",
        json={
            "consecutive_absences": 0,
            "absence_rate_threshold": 0,
            "min_records": -1,
            "enabled": "maybe",
        },
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {
        "consecutive_absences",
        "absence_rate_threshold",
        "min_records",
        "enabled",
    }
    assert bad.json()["absence_rate_threshold"] == ["Enter a percentage above 0 and at most 100."]
    for body in (
        {"absence_rate_threshold": 100.5},
        {"consecutive_absences": 101},
        {"consecutive_absences": 2.5},
        {"enabled": None},
        ["not", "an", "object"],
    ):
        refused = await api("PUT", f"{RULES}10/", SUP_A, json=body)
        assert refused.status_code == 400, (body, refused.text)
    assert (await api("GET", f"{RULES}10/")).json() == defaults  # nothing changed
    async with attendance_app.state.db.session() as s:
        assert (await s.execute(select(AlertRule))).first() is None

    # Set by the centre's supervisor, a field at a time.
    first = await api("PUT", f"{RULES}10/", SUP_A, json={"absence_rate_threshold": 12.5})
    assert first.status_code == 200, first.text
    assert first.json() | {"updated_at": None} == {
        **defaults,
        "absence_rate_threshold": 12.5,
        "updated_by": SUP_A,
    }
    second = (await api("PUT", f"{RULES}10/", json={"min_records": 0, "enabled": False})).json()
    assert (second["absence_rate_threshold"], second["min_records"], second["enabled"]) == (
        12.5,
        0,
        False,
    )
    assert second["updated_by"] == ADMIN
    assert (await api("GET", f"{RULES}10/", SUP_A)).json() == second
    assert (await api("GET", f"{RULES}20/")).json()["consecutive_absences"] == 3  # others: default


async def test_who_may_read_and_set_rules(api: Api) -> None:
    for user, center, wanted in (
        (ADMIN, 20, 200),
        (SUP_A, 10, 200),
        (SUP_A, 20, 403),
        (SUP_B, 20, 200),
        (TRAINER_A, 10, 403),
        (ASSOC, 10, 403),
        (FATIMA, 10, 403),
        (ADMIN, 999, 404),
        (SUP_A, 999, 404),
    ):
        assert (await api("GET", f"{RULES}{center}/", user)).status_code == wanted, (user, center)
        put = await api("PUT", f"{RULES}{center}/", user, json={"enabled": True})
        assert put.status_code == wanted, (user, center, put.text)
    # The centre (and the caller's right) before the body.
    assert (await api("PUT", f"{RULES}999/", json=["x"])).status_code == 404
    assert (await api("PUT", f"{RULES}20/", SUP_A, json=["x"])).status_code == 403
    assert (await api("GET", f"{RULES}10/", None)).status_code == 401


async def test_rules_apply_at_once_and_disabled_rules_raise_nothing(api: Api) -> None:
    for day in MONDAYS[:2]:
        await take(api, day, {101: "absent"})
    assert await listed(api) == []
    # Two in a row are enough now: raised by the change of rules itself.
    assert (await api("PUT", f"{RULES}10/", json={"consecutive_absences": 2})).status_code == 200
    [alert] = await listed(api)
    assert (alert["student"], alert["value"], alert["threshold"]) == (101, 2.0, 2.0)
    # Disabled: no new alert, the open one still follows and resolves.
    assert (await api("PUT", f"{RULES}10/", json={"enabled": False})).status_code == 200
    await take(api, MONDAYS[2], {101: "absent", 102: "absent"})
    await take(api, MONDAYS[3], {102: "absent"})
    assert [(a["student"], a["value"]) for a in await listed(api)] == [(101, 3.0)]
    await take(api, MONDAYS[4], {101: "present", 102: "absent"})
    assert [a["status"] for a in await listed(api)] == ["resolved"]
    # Back on: 102's run (three) is raised at once; the threshold back to 3.
    put = await api("PUT", f"{RULES}10/", json={"enabled": True, "consecutive_absences": 3})
    assert put.status_code == 200
    assert [(a["student"], a["status"]) for a in await listed(api, status="open")] == [
        (102, "open")
    ]


async def _alerts_of_both_centres(api: Api) -> dict[int, int]:
    """An open alert of 101 and 102 (centre 10, group 100) and of 104 (centre 20,
    group 200); student id -> alert id."""
    for day in MONDAYS[:3]:
        await take(api, day, {101: "absent", 102: "absent"})
        tuesday = day + dt.timedelta(days=1)
        await take(api, tuesday, {104: "absent"}, template=2)
    return {a["student"]: a["id"] for a in await listed(api)}


async def test_reads_are_scoped_and_filtered(api: Api) -> None:
    ids = await _alerts_of_both_centres(api)
    assert sorted(ids) == [101, 102, 104]

    async def students(user: int, **params: Any) -> list[int]:
        return sorted(a["student"] for a in await listed(api, user, **params))

    assert await students(ADMIN) == [101, 102, 104]
    assert await students(SUP_A) == [101, 102]
    assert await students(SUP_B) == [104]
    assert await students(TRAINER_A) == [101, 102]  # template A's group
    assert await students(TRAINER_B) == [104]
    assert await students(FATIMA) == [101]
    assert await students(KARIM) == [104]
    assert (await api("GET", ALERTS, ASSOC)).status_code == 403
    assert (await api("GET", ALERTS, None)).status_code == 401
    # Filters.
    assert await students(ADMIN, center=20) == [104]
    assert await students(ADMIN, group=100) == [101, 102]
    assert await students(ADMIN, student=102) == [102]
    assert await students(ADMIN, kind="absence_rate") == []
    assert await students(ADMIN, status="open", kind="consecutive_absences") == [101, 102, 104]
    assert await students(ADMIN, search="Kabbaj") == [104]
    assert await students(SUP_A, center=20) == []
    for name, value in (("status", "closed"), ("kind", "late"), ("center", "ten")):
        bad = await api("GET", ALERTS, params={name: value})
        assert bad.status_code == 400 and set(bad.json()) == {name}
    page = (await api("GET", ALERTS, params={"page_size": 2})).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    # One alert: within the caller's scope, else 404.
    one = f"{ALERTS}{ids[104]}/"
    assert (await api("GET", one, SUP_B)).json()["student"] == 104
    assert (await api("GET", one, KARIM)).status_code == 200
    for user in (SUP_A, TRAINER_A, FATIMA):
        assert (await api("GET", one, user)).status_code == 404
    assert (await api("GET", f"{ALERTS}99999/")).status_code == 404


async def test_acknowledge(api: Api, attendance_app: FastAPI) -> None:
    js = await attendance_app.state.nats.ready()
    since = await last_seq(js)
    ids = await _alerts_of_both_centres(api)
    url = f"{ALERTS}{ids[101]}/acknowledge/"
    # Others' alerts are not found, a student may not acknowledge.
    assert (await api("POST", url, TRAINER_B, json={})).status_code == 404
    assert (await api("POST", url, SUP_B, json={})).status_code == 404
    assert (await api("POST", url, FATIMA, json={})).status_code == 403
    assert (await api("POST", f"{ALERTS}99999/acknowledge/", json={"note": 5})).status_code == 404
    # A bad note: 400, and the alert is still open.
    long = await api("POST", url, TRAINER_A, json={"note": "x" * 2001})
    assert long.status_code == 400 and set(long.json()) == {"note"}
    assert (await api("GET", f"{ALERTS}{ids[101]}/")).json()["status"] == "open"

    done = await api("POST", url, TRAINER_A, json={"note": "Called his family."})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["acknowledged_by"], body["note"]) == (
        "acknowledged",
        TRAINER_A,
        "Called his family.",
    )
    assert body["acknowledged_at"] is not None
    acked = event(
        await last_event(
            js,
            f"entraide.attendance.alert.{ids[101]}",
            since=since,
            until=lambda e: e["data"]["status"] == "acknowledged",
        )
    )
    assert acked["data"]["acknowledged_by"] == TRAINER_A and acked["version"] == 2
    contracts.check("attendance", "alert", "upsert", acked["data"], complete=True)
    # Twice: 400, nothing changed.
    again = await api("POST", url, SUP_A, json={"note": "again"})
    assert again.status_code == 400 and set(again.json()) == {"status"}
    assert (await api("GET", f"{ALERTS}{ids[101]}/")).json() == body
    # Without a body, by the centre's supervisor; an acknowledged alert still
    # grows and resolves.
    other = await api("POST", f"{ALERTS}{ids[102]}/acknowledge/", SUP_A)
    assert other.status_code == 200 and other.json()["note"] == ""
    await take(api, MONDAYS[3], {101: "absent", 102: "present"})
    states = {a["student"]: (a["status"], a["value"]) for a in await listed(api, group=100)}
    assert states == {101: ("acknowledged", 4.0), 102: ("resolved", 3.0)}
    resolved = await api("POST", f"{ALERTS}{ids[102]}/acknowledge/", ADMIN, json={})
    assert resolved.status_code == 400
    assert resolved.json() == {
        "status": ["Only an open alert can be acknowledged; this one is resolved."]
    }


async def test_events_built_in_sql_are_the_contract_and_pythons_snapshot(
    api: Api, attendance_app: FastAPI
) -> None:
    """Every outbox row the recheck statement wrote (raises, growths and
    resolutions) against the model, its data what ``events.alert_snapshot`` gives
    for the alert's row at that version."""
    for day in MONDAYS[:4]:
        await take(api, day, {101: "absent", 102: "absent", 103: "absent"})
    await take(api, MONDAYS[4], {101: "present", 102: "absent", 103: "present"})
    async with attendance_app.state.db.session() as s:
        payloads = [
            r.payload
            for r in await s.execute(
                select(outbox.c.payload)
                .where(outbox.c.subject.like("entraide.attendance.alert.%"))
                .order_by(outbox.c.id)
            )
        ]
    current = {a.id: a for a in await rows(attendance_app)}
    assert len(payloads) == 9  # 3 raised, 3 grown, then 2 resolved and 1 grown
    for p in payloads:
        contracts.check(p["producer"], p["entity"], p["op"], p["data"], complete=True)
        assert p["subject"] == f"entraide.attendance.alert.{p['id']}"
        assert p["data"]["id"] == p["id"]
    last = {p["id"]: p for p in payloads}
    for alert_id, p in last.items():
        assert p["version"] == current[alert_id].version
        assert p["data"] == events.alert_snapshot(current[alert_id])


async def test_the_recheck_reads_the_records_through_their_index(
    api: Api, attendance_app: FastAPI
) -> None:
    """The plan of the recheck for a class: each student's records of the year
    read as a range of the (student_id, date) index, never the whole table; and a
    recheck leaves the transaction's plan cache mode as it found it."""
    for day in MONDAYS[:3]:
        await take(api, day, {101: "absent", 102: "present", 103: "absent"})
    statement = alert_repository.recheck_statement()
    async with attendance_app.state.db.session() as s, s.begin():
        await s.execute(select(1))
        conn = await s.connection()
        driver = conn.sync_connection.connection.driver_connection
        values = {"student_ids": [101, 102, 103], "traceparent": None}
        args = [values[n] if n in values else statement.defaults[n] for n in statement.names]
        plan = "\n".join(r[0] for r in await driver.fetch("EXPLAIN " + statement.sql, *args))
        await s.rollback()
    assert "ix_attendance_student_id_date" in plan, plan
    assert "Seq Scan on attendance_records" not in plan, plan
    async with attendance_app.state.db.session() as s, s.begin():
        await alerts.recheck(s, [101, 102, 103])
        mode = await s.execute(text("SHOW plan_cache_mode"))
        assert mode.scalar_one() == "auto"


async def test_the_endpoints_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    paths = doc["paths"]
    assert set(paths[RULES + "{center_id}/"]) == {"get", "put"}
    assert set(paths[ALERTS]) == {"get"}
    assert set(paths[ALERTS + "{alert_id}/"]) == {"get"}
    assert set(paths[ALERTS + "{alert_id}/acknowledge/"]) == {"post"}
    params = {p["name"] for p in paths[ALERTS]["get"]["parameters"]}
    assert {"status", "center", "group", "student", "kind", "page", "page_size"} <= params
    for path in (RULES + "{center_id}/", ALERTS, ALERTS + "{alert_id}/"):
        for op in paths[path].values():
            assert op["summary"] and op["description"]
            assert "200" in op["responses"]
