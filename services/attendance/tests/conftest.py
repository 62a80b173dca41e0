from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from attendance_service.config import AttendanceSettings
from attendance_service.copies import instances, sessions
from attendance_service.main import build_app
from entraide_kit.contracts import Center, Instance, Session, Student, TrainingCourse
from entraide_kit.copies.centers import centers
from entraide_kit.copies.programs import courses
from entraide_kit.copies.students import students
from entraide_kit.copies.users import upsert_user
from entraide_stack.testing import TokenFactory, truncate_all
from entraide_stack.testing.apps import Api, caller, started
from entraide_stack.testing.apps import client as app_client

ADMIN, SUP_A, SUP_B, TRAINER_A, TRAINER_B = 1, 2, 3, 4, 5
ROLES = {
    ADMIN: "admin",
    SUP_A: "center_supervisor",
    SUP_B: "center_supervisor",
    TRAINER_A: "trainer",
    TRAINER_B: "trainer",
}
# student copies: id -> (user, group, center, names)
STUDENTS = {
    101: (11, 100, 10, "Fatima", "El Alami", "فاطمة"),
    102: (12, 100, 10, "Omar", "Idrissi", "عمر"),
    103: (13, 100, 10, "Sara", "Squalli", "سارة"),
    104: (14, 200, 20, "Karim", "Kabbaj", "كريم"),
}
TEMPLATE_A, TEMPLATE_B = 1, 2
# TEMPLATE_A's training course (TEMPLATE_B's course has no copy).
COURSE_A, PROGRAM_A = 500, 7
INSTANCE, CANCELLED, INSTANCE_B = 45, 46, 47
MONDAY = dt.date(2024, 6, 10)


@pytest.fixture(scope="session")
async def attendance_app(
    database_factory: Callable[[str], Awaitable[str]],
    private_nats: Callable[[], str],
    token_factory: TokenFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[FastAPI]:
    settings = AttendanceSettings(
        database_url=await database_factory("attendance"),
        nats_url=private_nats(),
        environment="test",
        rate_limit_enabled=False,
        log_json=False,
    )
    app = build_app(settings)
    # Justifications' documents (issue 20) go to a folder of this test session's own.
    media = {"ENTRAIDE_MEDIA_DIR": str(tmp_path_factory.mktemp("attendance-media"))}
    async with started(app, tokens=token_factory, env=media):
        yield app


async def seed(app: FastAPI) -> None:
    async with app.state.db.session() as s, s.begin():
        for center, name, supervisor in ((10, "Centre A", SUP_A), (20, "Centre B", SUP_B)):
            await centers.upsert(
                s,
                Center(
                    id=center, name=name, supervisor=supervisor, is_active=True, is_verified=True
                ),
            )
        for sid, (user, group, center, first, last, arabic) in STUDENTS.items():
            await students.upsert(
                s,
                Student(
                    id=sid,
                    user=user,
                    first_name=first,
                    last_name=last,
                    email=f"{first.lower()}@student.entraide.ma",
                    exam_id=f"STU2024{sid}",
                    group=group,
                    center=center,
                ),
            )
            await upsert_user(
                s,
                user,
                {
                    "email": f"{first.lower()}@student.entraide.ma",
                    "username": f"s{sid}",
                    "first_name": first,
                    "last_name": last,
                    "arabic_first_name": arabic,
                    "role": "student",
                },
            )
        await upsert_user(
            s,
            TRAINER_A,
            {
                "email": "ahmed.benali@entraide.ma",
                "username": "ahmed.benali",
                "first_name": "Ahmed",
                "last_name": "Benali",
                "role": "trainer",
            },
        )
        await courses.upsert(
            s,
            TrainingCourse(
                id=COURSE_A,
                program=PROGRAM_A,
                program_name="Développement Web",
                center=10,
                center_name="Centre A",
                academic_year="2023-2024",
                trainer=TRAINER_A,
            ),
        )
        for tpl, day, start, end, trainer, group, center, course in (
            (TEMPLATE_A, "Monday", "08:30:00", "10:30:00", TRAINER_A, 100, 10, COURSE_A),
            (TEMPLATE_B, "Tuesday", "10:30:00", "12:30:00", TRAINER_B, 200, 20, 501),
        ):
            await sessions.upsert(
                s,
                Session(
                    id=tpl,
                    day=day,
                    start_time=start,
                    end_time=end,
                    academic_year="2023-2024",
                    trainer=trainer,
                    group=group,
                    center=center,
                    training_course=course,
                    is_active=True,
                ),
            )
        for iid, tpl, date, status, trainer, group, center in (
            (INSTANCE, TEMPLATE_A, MONDAY, "scheduled", TRAINER_A, 100, 10),
            (CANCELLED, TEMPLATE_A, MONDAY + dt.timedelta(days=7), "cancelled", TRAINER_A, 100, 10),
            (
                INSTANCE_B,
                TEMPLATE_B,
                MONDAY + dt.timedelta(days=1),
                "scheduled",
                TRAINER_B,
                200,
                20,
            ),
        ):
            await instances.upsert(
                s,
                Instance(
                    id=iid,
                    schedule_template=tpl,
                    specific_date=date.isoformat(),
                    status=status,
                    effective_start_time="08:30:00",
                    effective_end_time="10:30:00",
                    effective_trainer=trainer,
                    group=group,
                    center=center,
                ),
            )


@pytest.fixture
async def client(attendance_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    await seed(attendance_app)
    async with app_client(attendance_app) as c:
        yield c
    await truncate_all(attendance_app.state.db.engine)


@pytest.fixture
def api(client: httpx.AsyncClient, token_factory: TokenFactory) -> Api:
    """``await api("POST", url, ADMIN, json=...)``."""
    return caller(
        client,
        token_factory,
        role_of=lambda u: ROLES.get(u) or "student",
        default_user=ADMIN,
        prefix="/api/attendance/api/records/",
    )
