"""Attendance alerts through the gateway (issue 20): a centre's rules, the alerts'
reads and acknowledgement as each role, bad input refused with field errors and
nothing changed, and the life cycle as a trainer takes a class week after week:
three unjustified absences raise one alert (for several students in one class
list), a fourth does not raise a second, a present record resolves it, the rate
over the academic year with its minimum of records, an approved justification
resolving an alert; each raise, change, acknowledgement and resolution on NATS.

The world is made through the gateway: a centre and its group, a programme's
training course, a weekly template, four students (one logs in), a trainer who
takes the class; attendance learns them from the events.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import nats
import pytest

from entraide_kit import contracts
from entraide_stack.testing.classes import a_class, headers
from entraide_stack.testing.gateway import eventually, login, ok
from entraide_stack.testing.stream import event, last_event, last_seq

YEAR = "2023-2024"
RECORDS = "/api/attendance/api/records/"
ALERTS = "/api/attendance/api/alerts/"
RULES = "/api/attendance/api/alert_rules/"
JUSTIFICATIONS = "/api/attendance/api/justifications/"
# The template's Mondays of the 2023-2024 academic year.
MONDAYS = [(dt.date(2023, 9, 4) + dt.timedelta(weeks=w)).isoformat() for w in range(17)]
P, A = "present", "absent"
DEFAULT_RULES = {
    "consecutive_absences": 3,
    "absence_rate_threshold": 20.0,
    "min_records": 10,
    "enabled": True,
    "updated_by": None,
    "updated_at": None,
}


@pytest.fixture(scope="module")
def world(full_stack: Any, full_gw: httpx.Client) -> dict[str, Any]:
    admin = login(full_gw, full_stack.admin_email, full_stack.admin_password())
    world = a_class(
        full_gw,
        admin,
        label="alerts",
        year=YEAR,
        students=(
            ("Fatima", "Zahra"),
            ("Omar", "Idrissi"),
            ("Sara", "Bennani"),
            ("Karim", "Alami"),
        ),
        start_time="14:00:00",
    )
    world["nats_url"] = full_stack.nats_url
    return world


def take(gw: httpx.Client, world: dict[str, Any], date: str, statuses: list[str]) -> None:
    """The trainer takes the class on ``date`` (the four students in order)."""
    body = {
        "session_template_id": world["template"]["id"],
        "date": date,
        "attendance_records": [
            {"student_id": s, "status": st}
            for s, st in zip(world["students"], statuses, strict=True)
        ],
    }
    eventually(
        lambda: gw.post(f"{RECORDS}bulk_create/", json=body, headers=headers(world, "trainer")),
        lambda r: r.status_code == 200 and r.json()["errors"] == [],
    )


def alerts(gw: httpx.Client, world: dict[str, Any], who: str = "admin", **params: Any) -> list[Any]:
    """The alerts of this world's centre the caller sees (others' tests have theirs)."""
    params = {"page_size": 100, "center": world["center"]["id"], **params}
    results: list[Any] = ok(gw.get(ALERTS, params=params, headers=headers(world, who)))["results"]
    return results


def of(world: dict[str, Any], rows: list[Any]) -> dict[int, list[tuple[str, str, float]]]:
    """Student number (0-3) -> its alerts' (kind, status, value), oldest first."""
    out: dict[int, list[tuple[str, str, float]]] = {}
    index = {s: n for n, s in enumerate(world["students"])}
    for a in sorted(rows, key=lambda a: a["id"]):
        out.setdefault(index[a["student"]], []).append((a["kind"], a["status"], a["value"]))
    return out


def published(
    world: dict[str, Any], subject: str, since: int, until: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The subject's last event on the stack's NATS once ``until`` holds."""

    async def read() -> dict[str, Any]:
        nc = await nats.connect(world["nats_url"])
        try:
            return event(await last_event(nc.jetstream(), subject, since=since, until=until))
        finally:
            await nc.close()

    return asyncio.run(read())


def stream_position(world: dict[str, Any]) -> int:
    async def read() -> int:
        nc = await nats.connect(world["nats_url"])
        try:
            return await last_seq(nc.jetstream())
        finally:
            await nc.close()

    return asyncio.run(read())


def test_the_life_cycle(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    gw = full_gw
    since = stream_position(world)
    consecutive = {"kind": "consecutive_absences"}
    take(gw, world, MONDAYS[0], [A, A, A, P])
    take(gw, world, MONDAYS[1], [A, P, A, P])
    assert alerts(gw, world) == []
    # The third: one alert each for the two students absent three times, from the
    # one class list.
    take(gw, world, MONDAYS[2], [A, P, A, P])
    raised = alerts(gw, world)
    assert of(world, raised) == {
        0: [("consecutive_absences", "open", 3.0)],
        2: [("consecutive_absences", "open", 3.0)],
    }
    fatima = next(a for a in raised if a["student"] == world["students"][0])
    assert fatima | {"id": 0, "created_at": ""} == {
        "id": 0,
        "student": world["students"][0],
        "student_name": world["names"][0],
        "group": world["group"]["id"],
        "center": world["center"]["id"],
        "training_course": world["course"]["id"],
        "kind": "consecutive_absences",
        "value": 3.0,
        "threshold": 3.0,
        "first_date": MONDAYS[0],
        "last_date": MONDAYS[2],
        "status": "open",
        "created_at": "",
        "acknowledged_by": None,
        "acknowledged_at": None,
        "note": "",
        "resolved_at": None,
    }
    subject = f"entraide.attendance.alert.{fatima['id']}"
    first = published(world, subject, since, lambda e: True)
    assert (first["producer"], first["entity"], first["op"], first["version"]) == (
        "attendance",
        "alert",
        "upsert",
        1,
    )
    contracts.check("attendance", "alert", "upsert", first["data"], complete=True)
    assert first["data"]["status"] == "open" and first["data"]["student"] == fatima["student"]

    # A fourth: no second alert, the run grows; Sara's present ends hers.
    take(gw, world, MONDAYS[3], [A, P, P, P])
    assert of(world, alerts(gw, world, **consecutive)) == {
        0: [("consecutive_absences", "open", 4.0)],
        2: [("consecutive_absences", "resolved", 3.0)],
    }
    assert published(world, subject, since, lambda e: e["version"] == 2)["data"]["value"] == 4
    # A present record resolves Fatima's.
    take(gw, world, MONDAYS[4], [P, A, P, P])
    assert of(world, alerts(gw, world, **consecutive))[0] == [
        ("consecutive_absences", "resolved", 4.0)
    ]
    gone = published(world, subject, since, lambda e: e["data"]["status"] == "resolved")
    assert gone["version"] == 3 and gone["data"]["resolved_at"]

    # The rate over the year, from 10 records on: Omar's 2 of 9 (22 %) raise
    # nothing, 2 of 10 (20 %) do, 2 of 11 resolve it.
    for day in MONDAYS[5:9]:
        take(gw, world, day, [P, P, P, P])
    assert alerts(gw, world, student=world["students"][1]) == []
    take(gw, world, MONDAYS[9], [P, P, P, P])
    [rate] = alerts(gw, world, student=world["students"][1])
    assert (rate["kind"], rate["value"], rate["threshold"], rate["status"]) == (
        "absence_rate",
        20.0,
        20.0,
        "open",
    )
    assert (rate["first_date"], rate["last_date"]) == (MONDAYS[0], MONDAYS[9])
    # Fatima (4 of 10) and Sara (3 of 10) too; Karim, always present, never.
    assert {
        n: kinds[-1] for n, kinds in of(world, alerts(gw, world, kind="absence_rate")).items()
    } == {
        0: ("absence_rate", "open", 40.0),
        1: ("absence_rate", "open", 20.0),
        2: ("absence_rate", "open", 30.0),
    }
    take(gw, world, MONDAYS[10], [P, P, P, P])
    assert of(world, alerts(gw, world, student=world["students"][1]))[1] == [
        ("absence_rate", "resolved", 20.0)
    ]
    # Filters.
    assert {a["kind"] for a in alerts(gw, world, status="open")} == {"absence_rate"}
    assert alerts(gw, world, group=world["group"]["id"]) == alerts(gw, world)


def test_an_approved_justification_resolves_the_alert(
    full_gw: httpx.Client, world: dict[str, Any]
) -> None:
    gw = full_gw
    for day in MONDAYS[11:14]:
        take(gw, world, day, [A, P, P, P])
    fatima = world["students"][0]
    [alert] = alerts(gw, world, student=fatima, status="open", kind="consecutive_absences")
    assert (alert["value"], alert["first_date"], alert["last_date"]) == (
        3.0,
        MONDAYS[11],
        MONDAYS[13],
    )
    # Acknowledged first by the trainer of the group (with a note): still open
    # for the justification's approval to resolve.
    since = stream_position(world)
    url = f"{ALERTS}{alert['id']}/acknowledge/"
    done = ok(gw.post(url, json={"note": "Famille appelée."}, headers=headers(world, "trainer")))
    assert (done["status"], done["note"], done["acknowledged_by"]) == (
        "acknowledged",
        "Famille appelée.",
        world["people"]["trainer"]["id"],
    )
    subject = f"entraide.attendance.alert.{alert['id']}"
    acked = published(world, subject, since, lambda e: e["data"]["status"] == "acknowledged")
    contracts.check("attendance", "alert", "upsert", acked["data"], complete=True)
    # Fatima files for the three Mondays herself; her centre's supervisor approves.
    filed = eventually(
        lambda: gw.post(
            JUSTIFICATIONS,
            json={
                "student": fatima,
                "date_from": MONDAYS[11],
                "date_to": MONDAYS[13],
                "reason": "Certificat médical",
            },
            headers=headers(world, "student"),
        ),
        lambda r: r.status_code == 201,
    ).json()
    ok(
        gw.post(
            f"{JUSTIFICATIONS}{filed['id']}/approve/",
            json={},
            headers=headers(world, "supervisor"),
        )
    )
    after = ok(gw.get(f"{ALERTS}{alert['id']}/", headers=headers(world, "supervisor")))
    assert after["status"] == "resolved" and after["note"] == "Famille appelée."
    resolved = published(world, subject, since, lambda e: e["data"]["status"] == "resolved")
    assert resolved["version"] == acked["version"] + 1


def test_reads_and_acknowledgement_as_each_role(
    full_gw: httpx.Client, world: dict[str, Any]
) -> None:
    gw = full_gw
    fatima = world["students"][0]
    mine = {a["id"] for a in alerts(gw, world)}
    assert mine
    for who in ("supervisor", "trainer"):
        assert {a["id"] for a in alerts(gw, world, who)} == mine, who
    for who in ("other_supervisor", "other_trainer"):
        assert alerts(gw, world, who) == [], who
    own = alerts(gw, world, "student")
    assert own and {a["student"] for a in own} == {fatima}
    assert gw.get(ALERTS, headers=headers(world, "association")).status_code == 403
    assert gw.get(ALERTS).status_code == 401
    # One alert.
    one = f"{ALERTS}{own[0]['id']}/"
    assert ok(gw.get(one, headers=headers(world, "student")))["id"] == own[0]["id"]
    omars = alerts(gw, world, student=world["students"][1])
    other = f"{ALERTS}{omars[0]['id']}/"
    assert gw.get(other, headers=headers(world, "student")).status_code == 404
    assert gw.get(other, headers=headers(world, "other_supervisor")).status_code == 404
    assert gw.get(other, headers=headers(world, "association")).status_code == 403
    assert gw.get(f"{ALERTS}999999/", headers=headers(world, "admin")).status_code == 404
    # Acknowledging: the group's trainer, the centre's supervisor, an admin.
    [open_one] = [
        a for a in alerts(gw, world, status="open") if a["student"] == world["students"][2]
    ]
    url = f"{ALERTS}{open_one['id']}/acknowledge/"
    assert gw.post(url, json={}, headers=headers(world, "student")).status_code == 403
    assert gw.post(url, json={}, headers=headers(world, "association")).status_code == 403
    assert gw.post(url, json={}, headers=headers(world, "other_trainer")).status_code == 404
    assert gw.post(url, json={}, headers=headers(world, "other_supervisor")).status_code == 404
    assert gw.post(url, json={}).status_code == 401
    acked = ok(gw.post(url, headers=headers(world, "supervisor")))
    assert acked["status"] == "acknowledged" and acked["note"] == ""
    # Twice, or a resolved one: 400, nothing changed.
    again = gw.post(url, json={"note": "encore"}, headers=headers(world, "admin"))
    assert again.status_code == 400 and set(again.json()) == {"status"}
    assert ok(gw.get(f"{ALERTS}{open_one['id']}/", headers=headers(world, "admin"))) == acked
    [resolved] = alerts(gw, world, student=world["students"][1], status="resolved")
    refused = gw.post(
        f"{ALERTS}{resolved['id']}/acknowledge/", json={}, headers=headers(world, "admin")
    )
    assert refused.status_code == 400 and set(refused.json()) == {"status"}


def test_bad_input_is_a_400_and_changes_nothing(
    full_gw: httpx.Client, world: dict[str, Any]
) -> None:
    gw = full_gw
    for params, field in (
        ({"status": "closed"}, "status"),
        ({"kind": "late"}, "kind"),
        ({"center": "ten"}, "center"),
        ({"student": "x"}, "student"),
    ):
        resp = gw.get(ALERTS, params=params, headers=headers(world, "admin"))
        assert resp.status_code == 400 and set(resp.json()) == {field}, (params, resp.text)
    [open_one] = alerts(gw, world, student=world["students"][0], status="open")
    url = f"{ALERTS}{open_one['id']}/acknowledge/"
    for body in ({"note": "x" * 2001}, {"note": 12}, ["note"]):
        resp = gw.post(url, json=body, headers=headers(world, "trainer"))
        assert resp.status_code == 400, (body, resp.text)
    assert ok(gw.get(f"{ALERTS}{open_one['id']}/", headers=headers(world, "admin"))) == open_one
    rules = f"{RULES}{world['center']['id']}/"
    before = ok(gw.get(rules, headers=headers(world, "admin")))
    changes: Any
    for changes, fields in (
        (
            {
                "consecutive_absences": 0,
                "absence_rate_threshold": 0,
                "min_records": -1,
                "enabled": "maybe",
            },
            {"consecutive_absences", "absence_rate_threshold", "min_records", "enabled"},
        ),
        ({"absence_rate_threshold": 101}, {"absence_rate_threshold"}),
        ({"consecutive_absences": None}, {"consecutive_absences"}),
        ({"consecutive_absences": "three"}, {"consecutive_absences"}),
    ):
        resp = gw.put(rules, json=changes, headers=headers(world, "supervisor"))
        assert resp.status_code == 400 and set(resp.json()) == fields, (changes, resp.text)
    assert gw.put(rules, json=["x"], headers=headers(world, "supervisor")).status_code == 400
    assert ok(gw.get(rules, headers=headers(world, "admin"))) == before


def test_rules_as_each_role(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    gw = full_gw
    rules = f"{RULES}{world['center']['id']}/"
    assert ok(gw.get(rules, headers=headers(world, "supervisor"))) == {
        "center": world["center"]["id"],
        **DEFAULT_RULES,
    }
    for who in ("other_supervisor", "trainer", "student", "association"):
        assert gw.get(rules, headers=headers(world, who)).status_code == 403, who
        assert gw.put(rules, json={}, headers=headers(world, who)).status_code == 403, who
    assert gw.get(rules).status_code == 401
    assert gw.get(f"{RULES}999999/", headers=headers(world, "admin")).status_code == 404
    assert gw.put(f"{RULES}999999/", json=["x"], headers=headers(world, "admin")).status_code == 404
    # Set by the centre's supervisor: the alerts follow at once (a threshold above
    # every rate resolves the open rate alerts).
    assert alerts(gw, world, kind="absence_rate", status="open")
    saved = ok(
        gw.put(
            rules,
            json={"absence_rate_threshold": 90, "min_records": 3},
            headers=headers(world, "supervisor"),
        )
    )
    assert (
        saved["absence_rate_threshold"],
        saved["min_records"],
        saved["consecutive_absences"],
    ) == (
        90.0,
        3,
        3,
    )
    assert saved["updated_by"] == world["people"]["supervisor"]["id"] and saved["updated_at"]
    assert ok(gw.get(rules, headers=headers(world, "admin"))) == saved
    assert alerts(gw, world, kind="absence_rate", status="open") == []
    # Disabled by an admin: Karim's three absences raise nothing...
    ok(gw.put(rules, json={"enabled": False}, headers=headers(world, "admin")))
    before = alerts(gw, world)
    assert all(a["status"] == "resolved" for a in before)
    for day in MONDAYS[14:17]:
        take(gw, world, day, [P, P, P, A])
    assert alerts(gw, world) == before
    # ... until the rules are enabled again: raised by that change itself.
    ok(gw.put(rules, json={"enabled": True}, headers=headers(world, "admin")))
    [karim] = alerts(gw, world, status="open")
    assert (karim["student"], karim["kind"], karim["value"]) == (
        world["students"][3],
        "consecutive_absences",
        3.0,
    )


def test_the_endpoints_are_in_the_merged_openapi_document(full_gw: httpx.Client) -> None:
    doc = ok(full_gw.get("/swagger.json"))
    paths = doc["paths"]
    assert set(paths[f"{RULES}{{center_id}}/"]) >= {"get", "put"}
    assert "get" in paths[ALERTS] and "get" in paths[f"{ALERTS}{{alert_id}}/"]
    assert "post" in paths[f"{ALERTS}{{alert_id}}/acknowledge/"]
    names = {p["name"] for p in paths[ALERTS]["get"]["parameters"]}
    assert {"status", "center", "group", "student", "kind", "page", "page_size"} <= names
