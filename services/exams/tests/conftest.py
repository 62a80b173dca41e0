from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from entraide_kit.contracts import Center, Program, Student, TrainingCourse, WeeklyPlan
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
        for center, name, supervisor in ((10, "Centre A", SUP_A), (20, "Centre B", SUP_B)):
            await centers.upsert(
                s,
                Center(
                    id=center, name=name, supervisor=supervisor, is_active=True, is_verified=True
                ),
            )
        await programs.upsert(s, Program(id=PROGRAM_A, name="Web Development", duration_years=2))
        await programs.upsert(s, Program(id=PROGRAM_B, name="Electricity", duration_years=1))
        for course, program, center, trainer in (
            (50, PROGRAM_A, 10, TRAINER_A),
            (51, PROGRAM_B, 20, TRAINER_B),
        ):
            await courses.upsert(
                s,
                TrainingCourse(
                    id=course,
                    program=program,
                    center=center,
                    trainer=trainer,
                    academic_year="2024-2025",
                ),
            )
        await weekly_plans.upsert(
            s, WeeklyPlan(id=WEEK_A, programe=PROGRAM_A, month=10, week_number=40, title="HTML")
        )
        for sid, user, first, last, exam_id, center, program in (
            (101, STUDENT_A, "Fatima", "Zahra", "STU1", 10, PROGRAM_A),
            (102, STUDENT_B, "Omar", "Idrissi", "STU2", 20, PROGRAM_B),
        ):
            await students.upsert(
                s,
                Student(
                    id=sid,
                    user=user,
                    first_name=first,
                    last_name=last,
                    exam_id=exam_id,
                    center=center,
                    program=program,
                ),
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
