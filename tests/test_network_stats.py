"""Network roll-ups through the gateway (issue 20): a small network built through
the services' APIs (associations, centres, groups, students, templates,
records, a justification approved, an alert raised), then
``records/network_stats/`` at each level as each role, with filters, the
downloads and bad input. The figures come from attendance's copies, which
learn the associations, centres and groups from the centers service's events.
"""

from __future__ import annotations

import csv
import io
import uuid
from functools import partial
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from entraide_stack.testing.gateway import eventually, login, ok

PASSWORD = "Sahara-Atlas-2024"
YEAR = "2024-2025"
URL = "/api/attendance/api/records/network_stats/"
FIGURES = (
    "students",
    "total_records",
    "present",
    "late",
    "absent",
    "justified_absences",
    "attendance_rate",
    "open_alerts",
)


def _figures(*values: Any) -> dict[str, Any]:
    return dict(zip(FIGURES, values, strict=True))


def _user(gw: httpx.Client, admin: dict[str, str], role: str, tag: str) -> dict[str, Any]:
    email = f"{role}.{tag}@entraide.ma"
    body = {"email": email, "password": PASSWORD, "role": role, "first_name": "N", "last_name": tag}
    made = ok(gw.post("/api/accounts/users/", json=body, headers=admin), 201)
    return {"id": made["id"], "headers": login(gw, email, PASSWORD)}


@pytest.fixture(scope="module")
def network(full_stack: Any, full_gw: httpx.Client) -> dict[str, Any]:
    """Two associations (Nord: centres N1 and N2; Sud: S1), a room, a group, a course
    and a Monday template per centre, four students, their records, a justification."""
    gw = full_gw
    admin = login(gw, full_stack.admin_email, full_stack.admin_password())
    tag = uuid.uuid4().hex[:6]
    people = {
        "asso_sup": _user(gw, admin, "association_supervisor", f"n{tag}"),
        "asso_sup_s": _user(gw, admin, "association_supervisor", f"s{tag}"),
        "centre_sup": _user(gw, admin, "center_supervisor", tag),
        "trainer": _user(gw, admin, "trainer", tag),
        "student": _user(gw, admin, "student", tag),
    }

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        made: dict[str, Any] = ok(gw.post(path, json=body, headers=admin), 201)
        return made

    assos = {
        key: post(
            "/api/associations/",
            {"name": f"{key} {tag}", "description": "d", "supervisor": people[sup]["id"]},
        )["id"]
        for key, sup in (("Nord", "asso_sup"), ("Sud", "asso_sup_s"))
    }
    program = post(
        "/api/programs/trainingprogrames/",
        {"name": f"Couture {tag}", "description": "d", "duration_years": 1},
    )["id"]
    centres: dict[str, dict[str, Any]] = {}
    # one trainer for the three templates: at three times of the Monday
    for key, asso, sup, start, end in (
        ("N1", "Nord", people["centre_sup"]["id"], "08:30:00", "10:30:00"),
        ("N2", "Nord", None, "10:30:00", "12:30:00"),
        ("S1", "Sud", None, "14:00:00", "16:00:00"),
    ):
        body: dict[str, Any] = {"name": f"Centre {key} {tag}", "association": assos[asso]}
        if sup is not None:
            body["supervisor"] = sup
        centre = post("/api/centers-app/centers/", body)["id"]
        room = post(
            "/api/centers-app/rooms/",
            {"name": "A1", "type": "classroom", "capacity": 30, "center": centre},
        )["id"]
        group = post("/api/centers-app/groups/", {"name": f"Groupe {key} {tag}", "center": centre})[
            "id"
        ]
        course = post(
            "/api/programs/trainingcourses/",
            {
                "program": program,
                "center": centre,
                "trainer": people["trainer"]["id"],
                "academic_year": YEAR,
            },
        )["id"]
        template = post(
            "/api/schedule/api/sessions/",
            {
                "day": "Monday",
                "start_time": start,
                "end_time": end,
                "academic_year": YEAR,
                "trainer": people["trainer"]["id"],
                "room": room,
                "group": group,
                "training_course": course,
            },
        )["id"]
        centres[key] = {
            "id": centre,
            "group": group,
            "course": course,
            "template": template,
            "association": assos[asso],
        }
    students: dict[str, int] = {}
    for key, centre_key in (("s1", "N1"), ("s2", "N1"), ("s3", "N2"), ("s4", "S1")):
        c = centres[centre_key]
        students[key] = post(
            "/api/students/",
            {
                "first_name": key.upper(),
                "last_name": f"Net{tag}",
                "exam_id": f"NET{tag}{key}",
                "center": c["id"],
                "program": program,
                "academic_year": YEAR,
                "joining_date": "2024-09-02",
                "group": c["group"],
                "training_course": c["course"],
            },
        )["id"]
    # records (Mondays of October 2024): (student, centre, date, status)
    for student, centre_key, date, status in (
        ("s1", "N1", "2024-10-07", "present"),
        ("s1", "N1", "2024-10-14", "absent"),
        ("s2", "N1", "2024-10-07", "late"),
        ("s2", "N1", "2024-10-14", "absent"),
        ("s3", "N2", "2024-10-07", "absent"),
        ("s3", "N2", "2024-10-14", "absent"),
        ("s3", "N2", "2024-10-21", "absent"),  # the third in a row: an alert
        ("s4", "S1", "2024-10-07", "present"),
    ):
        record = {
            "student": students[student],
            "session_template": centres[centre_key]["template"],
            "date": date,
            "status": status,
        }
        eventually(
            partial(gw.post, "/api/attendance/api/records/", json=record, headers=admin),
            lambda r: r.status_code == 201,
        )
    # s1's absence of the 14th justified
    justification = ok(
        gw.post(
            "/api/attendance/api/justifications/",
            json={
                "student": students["s1"],
                "date_from": "2024-10-14",
                "date_to": "2024-10-14",
                "reason": "Certificat médical",
            },
            headers=admin,
        ),
        201,
    )
    ok(
        gw.post(
            f"/api/attendance/api/justifications/{justification['id']}/approve/",
            json={},
            headers=admin,
        )
    )
    return {
        "gw": gw,
        "admin": admin,
        "people": people,
        "assos": assos,
        "centres": centres,
        "tag": tag,
    }


def _get(net: dict[str, Any], who: str, **params: Any) -> httpx.Response:
    headers = net["admin"] if who == "admin" else net["people"][who]["headers"]
    query = {"academic_year": YEAR, **params}
    params = {k: v for k, v in query.items() if v is not None}
    resp: httpx.Response = net["gw"].get(URL, params=params, headers=headers)
    return resp


def _rows(net: dict[str, Any], who: str, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = ok(_get(net, who, **params))
    return rows


def _ours(net: dict[str, Any], rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(level, id) of the rows of this test's network (the shared stack holds others')."""
    c = net["centres"]
    mine = {
        *net["assos"].values(),
        *(x["id"] for x in c.values()),
        *(x["group"] for x in c.values()),
    }
    return [(r["level"], r["id"]) for r in rows if r["id"] in mine]


N1_FIGURES = _figures(2, 4, 1, 1, 2, 1, 50.0, 0)
N2_FIGURES = _figures(1, 3, 0, 0, 3, 0, 0.0, 1)
S1_FIGURES = _figures(1, 1, 1, 0, 0, 0, 100.0, 0)
NORD_FIGURES = _figures(3, 7, 1, 1, 5, 1, 28.57, 1)


def _expect(
    row: dict[str, Any], level: str, id: int, parent: int | None, figures: dict[str, Any]
) -> None:
    assert row["level"] == level and row["id"] == id and row["parent"] == parent, row
    assert {k: row[k] for k in FIGURES} == figures, row


def test_admin_at_each_level(network: dict[str, Any]) -> None:
    net, c, assos = network, network["centres"], network["assos"]
    # The copies of the associations and of the centres' association come by events.
    rows = eventually(
        lambda: _rows(net, "admin", level="association"),
        lambda rows: {r["id"]: r["total_records"] for r in rows}.get(assos["Nord"]) == 7,
    )
    by_id = {r["id"]: r for r in rows}
    _expect(by_id[assos["Nord"]], "association", assos["Nord"], None, NORD_FIGURES)
    _expect(by_id[assos["Sud"]], "association", assos["Sud"], None, S1_FIGURES)
    by_id = {r["id"]: r for r in _rows(net, "admin", level="center")}
    _expect(by_id[c["N1"]["id"]], "center", c["N1"]["id"], assos["Nord"], N1_FIGURES)
    _expect(by_id[c["N2"]["id"]], "center", c["N2"]["id"], assos["Nord"], N2_FIGURES)
    _expect(by_id[c["S1"]["id"]], "center", c["S1"]["id"], assos["Sud"], S1_FIGURES)
    by_id = {r["id"]: r for r in _rows(net, "admin", level="group")}
    for key, figures in (("N1", N1_FIGURES), ("N2", N2_FIGURES), ("S1", S1_FIGURES)):
        _expect(by_id[c[key]["group"]], "group", c[key]["group"], c[key]["id"], figures)


def test_an_association_supervisor_sees_their_network(network: dict[str, Any]) -> None:
    net, c, assos = network, network["centres"], network["assos"]
    eventually(
        lambda: _rows(net, "asso_sup", level="association"),
        lambda rows: [r["total_records"] for r in rows] == [7],
    )
    assert _ours(net, _rows(net, "asso_sup", level="association")) == [
        ("association", assos["Nord"])
    ]
    assert _ours(net, _rows(net, "asso_sup", level="center")) == [
        ("center", c["N1"]["id"]),
        ("center", c["N2"]["id"]),
    ]
    assert len(_rows(net, "asso_sup", level="center")) == 2  # nothing of other networks
    assert _ours(net, _rows(net, "asso_sup", level="group")) == [
        ("group", c["N1"]["group"]),
        ("group", c["N2"]["group"]),
    ]
    assert _rows(net, "asso_sup", level="group", association=assos["Sud"]) == []
    (row,) = _rows(net, "asso_sup_s", level="center")
    assert row["name"] == f"Centre S1 {net['tag']}"
    _expect(row, "center", c["S1"]["id"], assos["Sud"], S1_FIGURES)


def test_a_centre_supervisor_sees_their_centres_and_groups(network: dict[str, Any]) -> None:
    net, c = network, network["centres"]
    eventually(
        lambda: _rows(net, "centre_sup", level="center"),
        lambda rows: [r["total_records"] for r in rows] == [4],
    )
    (row,) = _rows(net, "centre_sup", level="center")
    _expect(row, "center", c["N1"]["id"], net["assos"]["Nord"], N1_FIGURES)
    (row,) = _rows(net, "centre_sup", level="group")
    _expect(row, "group", c["N1"]["group"], c["N1"]["id"], N1_FIGURES)
    assert _rows(net, "centre_sup", level="group", center=c["N2"]["id"]) == []
    refused = _get(net, "centre_sup", level="association")
    assert refused.status_code == 403, refused.text


@pytest.mark.parametrize("who", ["trainer", "student"])
def test_trainers_and_students_are_refused(network: dict[str, Any], who: str) -> None:
    for level in ("association", "center", "group"):
        resp = _get(network, who, level=level)
        assert resp.status_code == 403, resp.text


def test_filters_and_a_period(network: dict[str, Any]) -> None:
    net, c, assos = network, network["centres"], network["assos"]
    eventually(
        lambda: _rows(net, "admin", level="group", center=c["N2"]["id"]),
        lambda rows: [r["total_records"] for r in rows] == [3],
    )
    assert _ours(net, _rows(net, "admin", level="center", association=assos["Nord"])) == [
        ("center", c["N1"]["id"]),
        ("center", c["N2"]["id"]),
    ]
    (row,) = _rows(net, "admin", level="association", center=c["N2"]["id"])
    _expect(row, "association", assos["Nord"], None, N2_FIGURES)
    # From the 15th: N1 has nothing left, N2 its last absence (and its alert).
    rows = _rows(net, "admin", level="center", association=assos["Nord"], start_date="2024-10-15")
    assert [(r["total_records"], r["absent"], r["open_alerts"]) for r in rows] == [
        (0, 0, 0),
        (1, 1, 1),
    ]


def test_csv_and_xlsx(network: dict[str, Any]) -> None:
    net, c = network, network["centres"]
    eventually(
        lambda: _rows(net, "asso_sup", level="group"),
        lambda rows: [r["total_records"] for r in rows] == [4, 3],
    )
    resp = _get(net, "asso_sup", level="group", format="csv")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert table[0] == ["level", "id", "name", "parent", *FIGURES]
    assert [(r[0], int(r[1]), int(r[5])) for r in table[1:]] == [
        ("group", c["N1"]["group"], 4),
        ("group", c["N2"]["group"], 3),
    ]
    resp = _get(net, "asso_sup", level="center", format="xlsx")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(resp.content)).active
    assert sheet is not None
    values = [r[:12] for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ("level", "id", "name", "parent", *FIGURES)
    assert [(v[1], v[10]) for v in values[1:]] == [(c["N1"]["id"], 50.0), (c["N2"]["id"], 0.0)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"level": "center", "academic_year": None}, "academic_year"),
        ({"level": "region"}, "level"),
        ({"level": "center", "start_date": "2024-11-01", "end_date": "2024-10-01"}, "end_date"),
        ({"level": "center", "academic_year": "2024-2026"}, "academic_year"),
        ({"level": "center", "start_date": "2025-09-01"}, "start_date"),
    ],
)
def test_bad_input(network: dict[str, Any], params: dict[str, Any], field: str) -> None:
    resp = _get(network, "admin", **params)
    assert resp.status_code == 400, resp.text
    assert field in resp.json(), resp.json()
