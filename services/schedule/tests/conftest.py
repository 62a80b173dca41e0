"""The schedule service on a database and a NATS of its own; the copies it reads are
seeded through the kit's own write path (as the events would bring them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from entraide_kit.contracts import Center, Group, Room, TrainingCourse
from entraide_kit.copies.centers import centers, groups, rooms
from entraide_kit.copies.programs import courses
from entraide_kit.copies.users import upsert_user
from entraide_stack.testing import TokenFactory, truncate_all
from entraide_stack.testing.apps import Api, caller, started
from entraide_stack.testing.apps import client as app_client
from schedule_service.config import ScheduleSettings
from schedule_service.main import build_app

# Users as the users copy knows them (ids as in auth).
ADMIN, SUP_A, SUP_B, TRAINER, TRAINER_2, STUDENT, TRAINER_IDLE, TRAINER_B = 1, 2, 3, 4, 5, 6, 7, 8
ASSOC = 9
USERS = {
    ADMIN: ("admin", "Amina", "Admin"),
    SUP_A: ("center_supervisor", "Said", "Alaoui"),
    SUP_B: ("center_supervisor", "Badr", "Bennani"),
    TRAINER: ("trainer", "Ahmed", "Benali"),
    TRAINER_2: ("trainer", "Karima", "Kettani"),
    STUDENT: ("student", "Sara", "Squalli"),
    TRAINER_IDLE: ("trainer", "Idle", "Inactive"),
    TRAINER_B: ("trainer", "Bouchra", "Berrada"),
    ASSOC: ("association_supervisor", "Aicha", "Amrani"),
}
# What the centers and programs services' events bring.
CENTER_A, CENTER_B = 10, 20
ROOM_A1, ROOM_A2, ROOM_B1 = 12, 13, 21
GROUP_A1, GROUP_A2, GROUP_B1 = 3, 4, 30
COURSE_A, COURSE_A2, COURSE_B = 7, 8, 70
YEAR = "2024-2025"


@pytest.fixture(scope="session")
async def schedule_app(
    database_factory: Callable[[str], Awaitable[str]],
    private_nats: Callable[[], str],
    token_factory: TokenFactory,
) -> AsyncIterator[FastAPI]:
    settings = ScheduleSettings(
        database_url=await database_factory("schedule"),
        # Its own NATS: other tests' apps publish users, rooms and courses whose ids
        # would overwrite the copies these tests seed.
        nats_url=private_nats(),
        environment="test",
        rate_limit_enabled=False,
        log_json=False,
        # Small pool: the race test's twenty requests queue for it (the server is shared).
        db_pool_size=5,
        db_max_overflow=5,
        auth_url=None,
        centers_url=None,
        programs_url=None,
    )
    async with started(build_app(settings), tokens=token_factory) as app:
        yield app


async def seed(app: FastAPI) -> None:
    async with app.state.db.session() as s, s.begin():
        for user_id, (role, first, last) in USERS.items():
            await upsert_user(
                s,
                user_id,
                {
                    "email": f"{first}.{last}@entraide.ma".lower(),
                    "username": f"u{user_id}",
                    "first_name": first,
                    "last_name": last,
                    "role": role,
                    "is_active": user_id != TRAINER_IDLE,
                },
            )
        for center, name, supervisor in (
            (CENTER_A, "Rabat Training Center", SUP_A),
            (CENTER_B, "Fes Training Center", SUP_B),
        ):
            await centers.upsert(
                s,
                Center(
                    id=center, name=name, supervisor=supervisor, is_active=True, is_verified=True
                ),
            )
        for room_id, name, center in (
            (ROOM_A1, "Classroom A1", CENTER_A),
            (ROOM_A2, "Lab A2", CENTER_A),
            (ROOM_B1, "Classroom B1", CENTER_B),
        ):
            await rooms.upsert(
                s,
                Room(
                    id=room_id,
                    name=name,
                    type="classroom",
                    capacity=30,
                    is_available=True,
                    center=center,
                ),
            )
        for group_id, name, center in (
            (GROUP_A1, "Group Alpha", CENTER_A),
            (GROUP_A2, "Group Beta", CENTER_A),
            (GROUP_B1, "Group Fes", CENTER_B),
        ):
            await groups.upsert(
                s,
                Group(
                    id=group_id,
                    name=name,
                    description="Advanced programming group",
                    center=center,
                ),
            )
        for course_id, program, center, center_name in (
            (COURSE_A, "Web Development", CENTER_A, "Rabat Training Center"),
            (COURSE_A2, "Electricity", CENTER_A, "Rabat Training Center"),
            (COURSE_B, "Web Development", CENTER_B, "Fes Training Center"),
        ):
            await courses.upsert(
                s,
                TrainingCourse(
                    id=course_id,
                    program=1,
                    program_name=program,
                    program_duration_years=2,
                    center=center,
                    center_name=center_name,
                    academic_year=YEAR,
                    trainer=TRAINER,
                ),
            )


@pytest.fixture
async def client(schedule_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    await seed(schedule_app)
    async with app_client(schedule_app) as c:
        yield c
    await truncate_all(schedule_app.state.db.engine)


@pytest.fixture
def api(client: httpx.AsyncClient, token_factory: TokenFactory) -> Api:
    """``await api("POST", url, ADMIN, json=...)``."""
    return caller(client, token_factory, role_of=lambda u: USERS[u][0], default_user=ADMIN)


SESSIONS = "/api/schedule/api/sessions/"
INSTANCES = "/api/schedule/api/instances/"


def template(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "day": "Monday",
        "start_time": "08:30:00",
        "end_time": "10:30:00",
        "academic_year": YEAR,
        "trainer": TRAINER,
        "room": ROOM_A1,
        "group": GROUP_A1,
        "training_course": COURSE_A,
        "is_active": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


async def create(api: Api, user: int = ADMIN, **overrides: Any) -> dict[str, Any]:
    resp = await api("POST", SESSIONS, user, json=template(**overrides))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def outbox(app: FastAPI, entity: str) -> list[dict[str, Any]]:
    """The events written for ``entity`` (payloads, oldest first)."""
    async with app.state.db.session() as s:
        rows = await s.execute(
            text("SELECT payload FROM outbox WHERE subject LIKE :s ORDER BY id"),
            {"s": f"entraide.schedule.{entity}.%"},
        )
        return [r[0] for r in rows]
