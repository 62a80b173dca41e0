from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from entraide_kit.copies.centers import centers
from entraide_kit.copies.programs import courses, programs
from entraide_kit.copies.students import students
from entraide_kit.copies.users import upsert_user
from entraide_stack.testing import TokenFactory, truncate_all
from entraide_stack.testing.apps import Api, caller, started
from entraide_stack.testing.apps import client as app_client
from exams_service.config import ExamsSettings
from exams_service.copies import weekly_plans
from exams_service.main import build_app

ADMIN, SUP_A, SUP_B, TRAINER_A, TRAINER_B, ASSOC = 1, 2, 3, 4, 5, 6
STUDENT_A, STUDENT_B = 11, 12  # user ids
PROGRAM_A, PROGRAM_B, WEEK_A = 1, 2, 7
ROLES = {
    ADMIN: "admin",
    SUP_A: "center_supervisor",
    SUP_B: "center_supervisor",
    TRAINER_A: "trainer",
    TRAINER_B: "trainer",
    ASSOC: "association_supervisor",
    STUDENT_A: "student",
    STUDENT_B: "student",
}


@pytest.fixture(scope="session")
async def exams_app(
    database_factory: Callable[[str], Awaitable[str]],
    private_nats: Callable[[], str],
    token_factory: TokenFactory,
) -> AsyncIterator[FastAPI]:
    settings = ExamsSettings(
        database_url=await database_factory("exams"),
        nats_url=private_nats(),
        environment="test",
        rate_limit_enabled=False,
        log_json=False,
    )
    app = build_app(settings)
    async with started(app, tokens=token_factory):
        yield app


async def seed(app: FastAPI) -> None:
    async with app.state.db.session() as s, s.begin():
        for uid, role in ROLES.items():
            await upsert_user(
                s,
                uid,
                {
                    "email": f"u{uid}@e.ma",
                    "username": f"u{uid}",
                    "first_name": f"F{uid}",
                    "last_name": f"L{uid}",
                    "role": role,
                },
            )
        await centers.upsert(s, 10, {"name": "Centre A", "supervisor": SUP_A})
        await centers.upsert(s, 20, {"name": "Centre B", "supervisor": SUP_B})
        await programs.upsert(s, PROGRAM_A, {"name": "Web Development", "duration_years": 2})
        await programs.upsert(s, PROGRAM_B, {"name": "Electricity", "duration_years": 1})
        await courses.upsert(
            s,
            50,
            {
                "program": PROGRAM_A,
                "center": 10,
                "trainer": TRAINER_A,
                "academic_year": "2024-2025",
            },
        )
        await courses.upsert(
            s,
            51,
            {
                "program": PROGRAM_B,
                "center": 20,
                "trainer": TRAINER_B,
                "academic_year": "2024-2025",
            },
        )
        await weekly_plans.upsert(
            s, WEEK_A, {"programe": PROGRAM_A, "month": 10, "week_number": 40, "title": "HTML"}
        )
        await students.upsert(
            s,
            101,
            {
                "user": STUDENT_A,
                "first_name": "Fatima",
                "last_name": "Zahra",
                "exam_id": "STU1",
                "center": 10,
                "program": PROGRAM_A,
            },
        )
        await students.upsert(
            s,
            102,
            {
                "user": STUDENT_B,
                "first_name": "Omar",
                "last_name": "Idrissi",
                "exam_id": "STU2",
                "center": 20,
                "program": PROGRAM_B,
            },
        )


@pytest.fixture
async def client(exams_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    await seed(exams_app)
    async with app_client(exams_app) as c:
        yield c
    await truncate_all(exams_app.state.db.engine)


@pytest.fixture
def api(client: httpx.AsyncClient, token_factory: TokenFactory) -> Api:
    """``await api("POST", url, ADMIN, json=...)``."""
    return caller(
        client, token_factory, role_of=ROLES.__getitem__, default_user=ADMIN, prefix="/api/exams/"
    )
