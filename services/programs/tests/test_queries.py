"""Lists and nested reads run a constant number of SQL statements (no N+1)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from entraide_stack.testing.queries import count_queries

from .conftest import (
    CENTER_A,
    CENTER_B,
    COURSES,
    DISTRIBUTIONS,
    GROUP_A1,
    GROUP_A2,
    PLANS,
    PROGRAMS,
    SUP_A,
    TEACHERS,
    TRAINER,
    TRAINER_B,
    USERS,
    Api,
    MakeTeacher,
)

N = 24


async def _many(api: Api, make_teacher: MakeTeacher) -> int:
    """N of everything, spread over programmes, centres and trainers; returns a teacher id."""
    program_ids = []
    for i in range(N):
        body = {"name": f"Programme {i:02}", "description": "d", "duration_years": 1 + i % 10}
        resp = await api("POST", PROGRAMS, json=body)
        assert resp.status_code == 201, resp.text
        program_ids.append(resp.json()["id"])
    for i, pid in enumerate(program_ids):
        d = await api(
            "POST",
            DISTRIBUTIONS,
            json={"programe": pid, "academic_year": f"{2000 + i}-{2001 + i}", "trainer": TRAINER},
        )
        assert d.status_code == 201, d.text
        p = await api(
            "POST",
            PLANS,
            json={
                "annual_distribution": d.json()["id"],
                "month": 1 + i % 12,
                "week_number": 1 + i,
                "title": f"Week {i}",
            },
        )
        assert p.status_code == 201, p.text
        c = await api(
            "POST",
            COURSES,
            json={
                "program": pid,
                "center": CENTER_A if i % 2 else CENTER_B,
                "trainer": TRAINER if i % 3 else TRAINER_B,
                "academic_year": "2024-2025",
            },
        )
        assert c.status_code == 201, c.text
    # Teachers need users: one per user of the copy, with groups.
    teachers = {}
    for user_id in USERS:
        teachers[user_id] = await make_teacher(
            user_id, CENTER_A, program_ids[0], [GROUP_A1, GROUP_A2]
        )
    return teachers[TRAINER]


async def _counts(app: FastAPI, api: Api, url: str, user: int, sizes: tuple[int, ...]) -> list[int]:
    counts = []
    for size in sizes:
        with count_queries(app.state.db.engine) as counter:
            resp = await api("GET", url, user, params={"page_size": size})
        assert resp.status_code == 200, resp.text
        assert len(resp.json()["results"]) == min(size, resp.json()["count"])
        counts.append(counter.count)
    return counts


async def test_every_list_is_constant_whatever_the_page_size(
    api: Api, make_teacher: MakeTeacher, programs_app: FastAPI
) -> None:
    teacher = await _many(api, make_teacher)
    expected: dict[str, tuple[str, int]] = {
        PROGRAMS: ("programmes", 2),
        DISTRIBUTIONS: ("distributions", 2),
        PLANS: ("weekly plans", 2),
        COURSES: ("courses", 2),
        TEACHERS: ("teachers", 3),  # the page, then the groups of all its teachers
        # The web client's path: the same, then the profiles of all its users.
        "/api/teachers/teachers/": ("teachers (web client)", 4),
        f"{TEACHERS}{teacher}/courses/": ("a teacher's courses", 3),  # the teacher, then the page
    }
    for url, (what, most) in expected.items():
        counts = await _counts(programs_app, api, url, 1, (2, N))
        assert counts[0] == counts[1] <= most, (what, counts)
    # Scoped for a centre supervisor: still constant.
    for url in (TEACHERS, "/api/teachers/teachers/"):
        counts = await _counts(programs_app, api, url, SUP_A, (1, N))
        assert counts[0] == counts[1], (url, counts)


async def test_nested_reads_are_one_query(
    api: Api, make_teacher: MakeTeacher, programs_app: Any
) -> None:
    await _many(api, make_teacher)
    for url in (f"{DISTRIBUTIONS}1/", f"{PLANS}1/", f"{COURSES}1/", f"{PROGRAMS}1/"):
        with count_queries(programs_app.state.db.engine) as counter:
            resp = await api("GET", url)
        assert resp.status_code == 200
        assert counter.count == 1, (url, counter.statements)
