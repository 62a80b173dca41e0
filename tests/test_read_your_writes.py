"""Read your writes across services (issue 19): students created a moment ago, put
at once in one bulk attendance entry, are all recorded even with NATS stopped
(attendance's copy cannot have them: it asks the students service once, for
all of them, with the caller's token)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from entraide_stack import Stack, StackConfig
from entraide_stack.testing.gateway import eventually, login, ok

YEAR = "2024-2025"
MONDAY = "2024-06-10"
BULK = "/api/attendance/api/records/bulk_create/"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="entraide-e2e-ryw-"))
    config = StackConfig.for_tests(
        root,
        services=["auth", "centers", "programs", "students", "schedule", "attendance"],
        extra_env={"ENTRAIDE_RATE_LIMIT_ANON": "100000", "ENTRAIDE_RATE_LIMIT_USER": "100000"},
    )
    with Stack(config) as running:
        yield running


def _until(call: Any) -> Any:
    """Retried while another service's copy has not caught up (a 400)."""
    resp = eventually(call, lambda r: r.status_code != 400, timeout=60)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


def test_new_students_in_one_bulk_entry_with_nats_stopped(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as gw:
        admin = login(gw, stack.admin_email, stack.admin_password())
        tag = uuid.uuid4().hex[:6]

        def made(path: str, body: dict[str, Any]) -> int:
            return int(_until(lambda: gw.post(path, json=body, headers=admin))["id"])

        trainer = made(
            "/api/accounts/users/",
            {
                "email": f"trainer-{tag}@entraide.ma",
                "password": "Sahara-Atlas-2024",
                "role": "trainer",
                "first_name": "Tariq",
            },
        )
        center = made("/api/centers-app/centers/", {"name": f"Centre {tag}", "city": "Fes"})
        group = made("/api/centers-app/groups/", {"name": f"Group {tag}", "center": center})
        program = made(
            "/api/programs/trainingprogrames/",
            {"name": f"Programme {tag}", "description": "d", "duration_years": 2},
        )
        course = made(
            "/api/programs/trainingcourses/",
            {"program": program, "center": center, "trainer": trainer, "academic_year": YEAR},
        )
        template = made(
            "/api/schedule/api/sessions/",
            {
                "day": "Monday",
                "start_time": "08:30:00",
                "end_time": "10:30:00",
                "academic_year": YEAR,
                "trainer": trainer,
                "group": group,
                "training_course": course,
                "is_active": True,
            },
        )
        generated = ok(
            gw.post(
                "/api/schedule/api/instances/generate_for_week/",
                json={"start_date": MONDAY, "academic_year": YEAR},
                headers=admin,
            )
        )
        instance = next(
            i["id"] for i in generated["instances"] if i["schedule_template"] == template
        )

        def student(name: str) -> int:
            body = {
                "first_name": name,
                "last_name": "Student",
                "exam_id": f"RYW-{uuid.uuid4().hex[:8]}",
                "center": center,
                "program": program,
                "group": group,
                "academic_year": YEAR,
                "joining_date": "2024-09-01",
            }
            return made("/api/students/", body)

        def bulk(ids: list[int]) -> httpx.Response:
            body = {
                "session_instance_id": instance,
                "date": MONDAY,
                "attendance_records": [{"student_id": i, "status": "present"} for i in ids],
            }
            return gw.post(BULK, json=body, headers=admin)

        # With NATS up, until attendance knows the instance (events or its owner).
        first = student("Warm")
        warm = _until(lambda: bulk([first]))
        assert warm["errors"] == []

        stack.nats.stop()
        try:
            fresh = [student(f"New{n}") for n in range(3)]
            entry = bulk(fresh)
            assert entry.status_code == 200, entry.text
            answer = entry.json()
            assert answer["errors"] == [], answer
            assert answer["created"] == 3
            assert sorted(r["student"] for r in answer["records"]) == sorted(fresh)
            # An id nobody has is still a clear refusal of that row.
            unknown = bulk([fresh[0], 999_999])
            assert unknown.status_code == 200, unknown.text
            assert [e for e in unknown.json()["errors"] if "999999" in e], unknown.json()
        finally:
            stack.nats.start()
