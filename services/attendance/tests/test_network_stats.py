"""Network roll-ups (issue 20): the figures per association, centre and group, who
sees which, the filters, the downloads, bad input, and one statement per request."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from attendance_service.models import Alert, AttendanceRecord
from entraide_kit.copies.centers import associations, centers, groups
from entraide_kit.copies.students import students
from entraide_stack.testing import TokenFactory
from entraide_stack.testing.apps import Api, caller
from entraide_stack.testing.queries import count_queries

from .conftest import ADMIN, INSTANCE, ROLES, SUP_A, TEMPLATE_A, TEMPLATE_B, TRAINER_A

ASSO_SUP, OTHER_ASSO_SUP, SUP_C, STUDENT_USER = 6, 7, 8, 11
NORD, SUD = 1000, 2000
YEAR = "2023-2024"
URL = "network_stats/"

# (id, name, supervisor, association)
CENTRES = [(10, "Centre A", SUP_A, NORD), (20, "Centre B", 3, NORD), (30, "Centre C", SUP_C, SUD)]
# (id, name, centre)
GROUPS = [
    (100, "Groupe A1", 10),
    (101, "Groupe A2", 10),
    (200, "Groupe B1", 20),
    (300, "Groupe C1", 30),
]
# student copies: (id, user, group, centre, academic year)
ENROLMENT = [
    (101, 11, 100, 10, YEAR),
    (102, 12, 100, 10, YEAR),
    (103, 13, 100, 10, YEAR),
    (104, 14, 200, 20, YEAR),
    (105, 15, 300, 30, YEAR),
    (106, 16, 100, 10, "2022-2023"),  # another year's: not counted
]
# records: (student, date, status, justified, template, group, centre)
RECORDS = [
    (101, "2023-10-02", "present", False, TEMPLATE_A, 100, 10),
    (101, "2023-10-09", "absent", True, TEMPLATE_A, 100, 10),
    (101, "2023-10-16", "absent", False, TEMPLATE_A, 100, 10),
    (101, "2023-10-23", "late", False, TEMPLATE_A, 100, 10),
    (102, "2023-10-02", "present", False, TEMPLATE_A, 100, 10),
    (102, "2024-06-10", "present", False, TEMPLATE_A, 100, 10),
    (101, "2024-09-02", "present", False, TEMPLATE_A, 100, 10),  # the next year
    (104, "2023-10-03", "absent", False, TEMPLATE_B, 200, 20),
    (104, "2023-10-10", "present", False, TEMPLATE_B, 200, 20),
    (105, "2023-10-04", "present", False, TEMPLATE_B, 300, 30),
]
# alerts: (student, group, centre, status, last date)
ALERTS = [
    (101, 100, 10, "open", "2023-10-16"),
    (102, 100, 10, "acknowledged", "2023-10-16"),
    (104, 200, 20, "resolved", "2023-10-03"),  # resolved: not counted
    (103, 100, 10, "open", "2022-10-01"),  # of another year: not counted
]


def _row(level: str, id: int, name: str, parent: int | None, *figures: Any) -> dict[str, Any]:
    students_, total, present, late, absent, justified, rate, alerts = figures
    return {
        "level": level,
        "id": id,
        "name": name,
        "parent": parent,
        "students": students_,
        "total_records": total,
        "present": present,
        "late": late,
        "absent": absent,
        "justified_absences": justified,
        "attendance_rate": rate,
        "open_alerts": alerts,
    }


ASSO = {
    NORD: _row("association", NORD, "Asso Nord", None, 4, 8, 4, 1, 3, 1, 62.5, 2),
    SUD: _row("association", SUD, "Asso Sud", None, 1, 1, 1, 0, 0, 0, 100.0, 0),
}
CENTRE = {
    10: _row("center", 10, "Centre A", NORD, 3, 6, 3, 1, 2, 1, 66.67, 2),
    20: _row("center", 20, "Centre B", NORD, 1, 2, 1, 0, 1, 0, 50.0, 0),
    30: _row("center", 30, "Centre C", SUD, 1, 1, 1, 0, 0, 0, 100.0, 0),
}
GROUP = {
    100: _row("group", 100, "Groupe A1", 10, 3, 6, 3, 1, 2, 1, 66.67, 2),
    101: _row("group", 101, "Groupe A2", 10, 0, 0, 0, 0, 0, 0, 0.0, 0),
    200: _row("group", 200, "Groupe B1", 20, 1, 2, 1, 0, 1, 0, 50.0, 0),
    300: _row("group", 300, "Groupe C1", 30, 1, 1, 1, 0, 0, 0, 100.0, 0),
}


async def _network(app: FastAPI) -> None:
    async with app.state.db.session() as s, s.begin():
        for aid, name, sup in ((NORD, "Asso Nord", ASSO_SUP), (SUD, "Asso Sud", OTHER_ASSO_SUP)):
            await s.execute(
                insert(associations.table).values(id=aid, name=name, supervisor=sup, is_active=True)
            )
        for cid, name, sup, asso in CENTRES:
            stmt = insert(centers.table).values(
                id=cid, name=name, city="", supervisor=sup, is_active=True, association=asso
            )
            await s.execute(
                stmt.on_conflict_do_update(
                    index_elements=["id"],
                    set_={"name": name, "supervisor": sup, "association": asso},
                )
            )
        for gid, name, centre in GROUPS:
            await s.execute(
                insert(groups.table).values(id=gid, name=name, description="", center=centre)
            )
        for sid, user, group, centre, year in ENROLMENT:
            stmt = insert(students.table).values(
                id=sid, user=user, group=group, center=centre, academic_year=year
            )
            await s.execute(
                stmt.on_conflict_do_update(
                    index_elements=["id"],
                    set_={"group": group, "center": centre, "academic_year": year},
                )
            )
        for sid, date, status, justified, template, group, centre in RECORDS:
            s.add(
                AttendanceRecord(
                    date=dt.date.fromisoformat(date),
                    student_id=sid,
                    session_template_id=template,
                    status=status,
                    is_justified=justified,
                    group_id=group,
                    center_id=centre,
                )
            )
        for sid, group, centre, status, last in ALERTS:
            s.add(
                Alert(
                    student_id=sid,
                    group_id=group,
                    center_id=centre,
                    kind="consecutive_absences",
                    value=3,
                    threshold=3,
                    first_date=dt.date.fromisoformat(last) - dt.timedelta(days=14),
                    last_date=dt.date.fromisoformat(last),
                    status=status,
                )
            )


@pytest.fixture
async def net(
    client: httpx.AsyncClient, attendance_app: FastAPI, token_factory: TokenFactory
) -> Api:
    """``await net(user, level=..., ...)``: network_stats of YEAR as ``user``."""
    await _network(attendance_app)
    roles = {
        **ROLES,
        ASSO_SUP: "association_supervisor",
        OTHER_ASSO_SUP: "association_supervisor",
        SUP_C: "center_supervisor",
    }
    return caller(
        client,
        token_factory,
        role_of=lambda u: roles.get(u) or "student",
        default_user=ADMIN,
        prefix="/api/attendance/api/records/",
    )


async def _get(net: Api, user: int, **params: Any) -> httpx.Response:
    return await net("GET", URL, user, params={"academic_year": YEAR, **params})


async def _rows(net: Api, user: int, **params: Any) -> list[dict[str, Any]]:
    resp = await _get(net, user, **params)
    assert resp.status_code == 200, resp.text
    rows: list[dict[str, Any]] = resp.json()
    return rows


async def test_admin_sees_every_unit_at_each_level(net: Api) -> None:
    assert await _rows(net, ADMIN, level="association") == [ASSO[NORD], ASSO[SUD]]
    assert await _rows(net, ADMIN, level="center") == [CENTRE[10], CENTRE[20], CENTRE[30]]
    assert await _rows(net, ADMIN, level="group") == [GROUP[g] for g in (100, 101, 200, 300)]


async def test_an_association_supervisor_sees_their_associations_centres_and_below(
    net: Api,
) -> None:
    assert await _rows(net, ASSO_SUP, level="association") == [ASSO[NORD]]
    assert await _rows(net, ASSO_SUP, level="center") == [CENTRE[10], CENTRE[20]]
    assert await _rows(net, ASSO_SUP, level="group") == [GROUP[g] for g in (100, 101, 200)]
    assert await _rows(net, OTHER_ASSO_SUP, level="center") == [CENTRE[30]]
    # Filters narrow within the scope, never out of it.
    assert await _rows(net, ASSO_SUP, level="center", center=30) == []
    assert await _rows(net, ASSO_SUP, level="group", association=SUD) == []
    assert await _rows(net, ASSO_SUP, level="group", center=20) == [GROUP[200]]


async def test_a_centre_supervisor_sees_their_centres_and_groups_not_associations(
    net: Api,
) -> None:
    assert await _rows(net, SUP_A, level="center") == [CENTRE[10]]
    assert await _rows(net, SUP_A, level="group") == [GROUP[100], GROUP[101]]
    assert await _rows(net, SUP_C, level="group") == [GROUP[300]]
    assert await _rows(net, SUP_A, level="center", center=30) == []
    resp = await _get(net, SUP_A, level="association")
    assert resp.status_code == 403, resp.text
    assert "association" in resp.json()["detail"]


@pytest.mark.parametrize("user", [TRAINER_A, STUDENT_USER])
async def test_trainers_and_students_are_refused(net: Api, user: int) -> None:
    for level in ("association", "center", "group"):
        assert (await _get(net, user, level=level)).status_code == 403
    # Refused before the query is looked at.
    assert (await net("GET", URL, user)).status_code == 403


async def test_filters(net: Api) -> None:
    assert await _rows(net, ADMIN, level="group", association=NORD) == [
        GROUP[g] for g in (100, 101, 200)
    ]
    assert await _rows(net, ADMIN, level="center", center=20) == [CENTRE[20]]
    # An association's row under a centre filter counts that centre only.
    only_b = {**CENTRE[20], "level": "association", "id": NORD, "name": "Asso Nord", "parent": None}
    assert await _rows(net, ADMIN, level="association", center=20) == [only_b]
    assert await _rows(net, ADMIN, level="association", association=SUD) == [ASSO[SUD]]


async def test_a_period_within_the_year(net: Api) -> None:
    rows = await _rows(
        net, ADMIN, level="group", start_date="2023-10-05", end_date="2023-10-20", center=10
    )
    assert rows == [
        _row("group", 100, "Groupe A1", 10, 3, 2, 0, 0, 2, 1, 0.0, 2),
        _row("group", 101, "Groupe A2", 10, 0, 0, 0, 0, 0, 0, 0.0, 0),
    ]
    # The alerts whose last record is out of the period are not counted.
    rows = await _rows(net, ADMIN, level="center", start_date="2023-10-17", center=10)
    assert rows == [_row("center", 10, "Centre A", NORD, 3, 2, 1, 1, 0, 0, 100.0, 0)]
    # Another academic year: other records.
    rows = await _rows(net, ADMIN, level="group", academic_year="2024-2025", center=10)
    assert [(r["id"], r["total_records"], r["students"]) for r in rows] == [
        (100, 1, 0),
        (101, 0, 0),
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"level": "group", "academic_year": None}, "academic_year"),
        ({"level": "network"}, "level"),
        ({}, "level"),
        ({"level": "group", "academic_year": "2023-2025"}, "academic_year"),
        ({"level": "group", "academic_year": "year"}, "academic_year"),
        ({"level": "group", "academic_year": "0000-0001"}, "academic_year"),
        ({"level": "group", "academic_year": " "}, "academic_year"),
        ({"level": "group", "start_date": "2023-10-20", "end_date": "2023-10-05"}, "end_date"),
        ({"level": "group", "start_date": "2024-09-01"}, "start_date"),
        ({"level": "group", "end_date": "2023-08-31"}, "end_date"),
        ({"level": "group", "start_date": "10/05/2023"}, "start_date"),
        ({"level": "group", "center": "ten"}, "center"),
        ({"level": "group", "center": 2**31}, "center"),
        ({"level": "group", "association": 0}, "association"),
        ({"level": "group", "format": "pdf"}, "format"),
    ],
)
async def test_bad_input_is_a_400_with_field_errors(
    net: Api, params: dict[str, Any], field: str
) -> None:
    query = {k: v for k, v in {"academic_year": YEAR, **params}.items() if v is not None}
    resp = await net("GET", URL, ADMIN, params=query)
    assert resp.status_code == 400, resp.text
    assert field in resp.json(), resp.json()


async def test_csv_and_xlsx(net: Api) -> None:
    resp = await _get(net, ADMIN, level="center", format="csv")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    assert 'filename="network-center-2023-2024.csv"' in resp.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert table[0] == list(CENTRE[10])
    assert table[1] == [str(v) for v in CENTRE[10].values()]
    assert len(table) == 4

    resp = await _get(net, ASSO_SUP, level="group", format="xlsx")
    assert resp.status_code == 200, resp.text
    assert 'filename="network-group-2023-2024.xlsx"' in resp.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(resp.content)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][:12] == list(GROUP[100])
    assert [v[:12] for v in values[1:]] == [list(GROUP[g].values()) for g in (100, 101, 200)]


async def test_one_statement_per_request(net: Api, attendance_app: FastAPI) -> None:
    for n, level in enumerate(("association", "center", "group")):
        with count_queries(attendance_app.state.db.engine) as counter:
            resp = await _get(net, ASSO_SUP, level=level, start_date=f"2023-10-0{n + 1}")
        assert resp.status_code == 200, resp.text
        # The day counts, not the records (a year of a large network is millions).
        reads = [s for s in counter.statements if "attendance_day_counts" in s]
        assert len(reads) == 1, counter.statements
        assert not [s for s in counter.statements if "attendance_records" in s]


async def test_a_centre_without_its_association_copy_yet(net: Api, attendance_app: FastAPI) -> None:
    """A centre whose association is not (yet) in the copies: still a centre row."""
    async with attendance_app.state.db.session() as s, s.begin():
        await s.execute(
            update(centers.table).where(centers.table.c.id == 30).values(association=None)
        )
    rows = await _rows(net, ADMIN, level="center")
    assert [r["parent"] for r in rows] == [NORD, NORD, None]
    empty = _row("association", SUD, "Asso Sud", None, 0, 0, 0, 0, 0, 0, 0.0, 0)
    assert await _rows(net, ADMIN, level="association") == [ASSO[NORD], empty]


COUNTED = """
    SELECT center_id, group_id, date, count(*) AS total,
           count(*) FILTER (WHERE status = 'present') AS present,
           count(*) FILTER (WHERE status = 'late') AS late,
           count(*) FILTER (WHERE status = 'absent') AS absent,
           count(*) FILTER (WHERE status = 'absent' AND is_justified) AS justified
    FROM attendance_records GROUP BY center_id, group_id, date
"""
KEPT = """
    SELECT center_id, group_id, date, total, present, late, absent, justified
    FROM attendance_day_counts
    WHERE (total, present, late, absent, justified) <> (0, 0, 0, 0, 0)
"""


async def _day_counts(app: FastAPI) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    async with app.state.db.session() as s:
        counted = {tuple(r) for r in (await s.execute(text(COUNTED))).all()}
        kept = {tuple(r) for r in (await s.execute(text(KEPT))).all()}
    return counted, kept


async def test_the_day_counts_follow_every_write(api: Api, attendance_app: FastAPI) -> None:
    """What the roll-ups add up is kept by the database through every kind of write:
    single, bulk (new and again), PUT, PATCH, DELETE, a justification's UPDATE, an
    instance's records moved to another group."""
    monday = "2024-06-10"
    made = await api(
        "POST",
        "",
        json={"date": monday, "student": 101, "session_template": TEMPLATE_A, "status": "absent"},
    )
    assert made.status_code == 201, made.text
    record = made.json()["id"]
    entries = [
        {"student_id": 101, "status": "present"},
        {"student_id": 102, "status": "absent"},
        {"student_id": 103, "status": "late"},
    ]
    bulk = {"session_instance_id": INSTANCE, "date": monday, "attendance_records": entries}
    for body in (bulk, bulk, {**bulk, "attendance_records": entries[:2][::-1]}):
        assert (await api("POST", "bulk_create/", json=body)).status_code == 200
    # the same class list again, statuses changed
    again = [{"student_id": 101, "status": "absent"}, {"student_id": 102, "status": "present"}]
    resp = await api("POST", "bulk_create/", json={**bulk, "attendance_records": again})
    assert resp.status_code == 200, resp.text
    assert (await api("PATCH", f"{record}/", json={"status": "late"})).status_code == 200
    body = {
        "date": "2024-06-17",
        "student": 101,
        "session_template": TEMPLATE_A,
        "status": "absent",
    }
    assert (await api("PUT", f"{record}/", json=body)).status_code == 200
    counted, kept = await _day_counts(attendance_app)
    assert counted == kept and len(kept) == 2, (counted, kept)
    async with attendance_app.state.db.session() as s, s.begin():
        await s.execute(
            update(AttendanceRecord)
            .where(col(AttendanceRecord.status) == "absent")
            .values(is_justified=True)
        )
        await s.execute(
            update(AttendanceRecord)
            .where(col(AttendanceRecord.session_instance_id) == INSTANCE)
            .values(group_id=200, center_id=20)
        )
    counted, kept = await _day_counts(attendance_app)
    assert counted == kept and any(row[-1] for row in kept), (counted, kept)
    assert (await api("DELETE", f"{record}/")).status_code == 204
    counted, kept = await _day_counts(attendance_app)
    assert counted == kept and len(kept) == 1, (counted, kept)
