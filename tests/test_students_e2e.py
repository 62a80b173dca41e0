"""Students and their accounts on the real stack: auth killed in the middle of it."""

from __future__ import annotations

import io
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook

from entraide_stack import Stack, StackConfig
from entraide_stack.registry import service
from students_service.importer import COLUMNS, XLSX


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="entraide-e2e-students-"))
    config = StackConfig.for_tests(
        root,
        services=["auth", "centers", "programs", "students"],
        extra_env={
            "ENTRAIDE_RATE_LIMIT_ANON": "100000",
            "ENTRAIDE_RATE_LIMIT_USER": "100000",
            # Release orphaned accounts quickly in this test.
            "STUDENTS_PENDING_ACCOUNT_GRACE": "10",
            "STUDENTS_RECONCILE_INTERVAL": "1",
        },
    )
    with Stack(config) as running:
        yield running


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def admin(stack: Stack, gw: httpx.Client) -> dict[str, str]:
    resp = gw.post(
        "/api/token/", json={"email": stack.admin_email, "password": stack.admin_password()}
    )
    return {"Authorization": f"Bearer {resp.json()['access']}"}


@pytest.fixture(scope="module")
def refs(gw: httpx.Client, admin: dict[str, str]) -> dict[str, int]:
    center = gw.post("/api/centers-app/centers/", json={"name": "Centre E2E"}, headers=admin)
    program = gw.post(
        "/api/programs/trainingprogrames/",
        json={"name": "Programme E2E", "description": "d", "duration_years": 2},
        headers=admin,
    )
    assert center.status_code == 201 and program.status_code == 201, (center.text, program.text)
    return {"center": center.json()["id"], "program": program.json()["id"]}


def _counts(gw: httpx.Client, admin: dict[str, str]) -> tuple[int, int]:
    students = gw.get("/api/students/", params={"page_size": 1}, headers=admin).json()["count"]
    accounts = gw.get(
        "/api/accounts/users/", params={"role": "student", "page_size": 1}, headers=admin
    )
    return students, accounts.json()["count"]


def _restart_auth(stack: Stack) -> None:
    proc = stack.service_process(service("auth"))
    proc.start()
    proc.wait_http_ok(f"{stack.service_url('auth')}/readyz", 60)


def test_create_with_auth_down_saves_nothing(
    stack: Stack, gw: httpx.Client, admin: dict[str, str], refs: dict[str, int]
) -> None:
    body = {
        "first_name": "Amal",
        "last_name": "Down",
        "exam_id": "E2E-DOWN",
        "center": refs["center"],
        "program": refs["program"],
        "academic_year": "2024-2025",
        "joining_date": "2024-09-01",
    }
    ok = gw.post("/api/students/", json={**body, "exam_id": "E2E-UP"}, headers=admin)
    assert ok.status_code == 201, ok.text
    stack.service_process(service("auth")).kill()
    try:
        resp = gw.post("/api/students/", json=body, headers=admin)
        assert resp.status_code == 400
        assert resp.json()["user_creation_error"].startswith("Failed to create user account")
    finally:
        _restart_auth(stack)
    assert _counts(gw, admin) == (1, 1)


def _sheet(rows: int) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(COLUMNS)
    for i in range(rows):
        ws.append(
            [f"Kill{i}", "Test", "", "", "2024-2025", "2024-09-02", f"KILL{i:05d}"] + [""] * 6
        )
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_auth_killed_during_an_import_leaves_no_orphan_on_either_side(
    stack: Stack, gw: httpx.Client, admin: dict[str, str], refs: dict[str, int]
) -> None:
    before = _counts(gw, admin)
    data = _sheet(1500)
    outcome: dict[str, Any] = {}

    def run_import() -> None:
        try:
            outcome["resp"] = gw.post(
                "/api/students/bulk_import/",
                data={"program": str(refs["program"]), "center": str(refs["center"])},
                files={"file": ("k.xlsx", data, XLSX)},
                headers=admin,
            )
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run_import)
    worker.start()
    # Kill auth while the import is in flight (parsing and checks come first).
    time.sleep(1.0)
    stack.service_process(service("auth")).kill()
    worker.join(timeout=120)
    _restart_auth(stack)
    resp = outcome.get("resp")
    imported = resp.json()["successful"] if resp is not None and resp.status_code == 200 else 0
    # Either the import went through whole, or nothing of it is left once the
    # reconciler released what auth made before dying.
    deadline = time.monotonic() + 60
    while True:
        students, accounts = _counts(gw, admin)
        if students == accounts == before[0] + imported:
            break
        assert time.monotonic() < deadline, (before, imported, students, accounts)
        time.sleep(0.5)
