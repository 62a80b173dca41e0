"""The students service with a real auth service beside it (in process), on a NATS of their own."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from auth_service.config import AuthSettings
from auth_service.main import build_app as build_auth
from auth_service.schemas import UserCreate
from auth_service.service import create_user
from auth_service.tokens import generate_private_key_pem
from entraide_kit.auth import TokenVerifier
from entraide_kit.contracts import Center, Group, Program, TrainingCourse
from entraide_kit.copies.centers import centers, groups
from entraide_kit.copies.programs import courses, programs
from entraide_stack.testing import truncate_all
from students_service.config import StudentsSettings
from students_service.main import build_app as build_students

AUTH_URL = "http://auth.internal"
PASSWORD = "Sahara-Atlas-2024"
CENTER_A, CENTER_B, GROUP_A, GROUP_B, PROGRAM, OTHER_PROGRAM, COURSE_A = 10, 20, 100, 200, 1, 2, 50


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50002))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@dataclass
class Env:
    auth: FastAPI
    students: FastAPI
    auth_client: httpx.AsyncClient
    client: httpx.AsyncClient
    people: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def user(self, role: str, name: str | None = None) -> dict[str, Any]:
        email = f"{name or role}-{time.monotonic_ns()}@entraide.ma"
        async with self.auth.state.db.session() as session, session.begin():
            user = await create_user(
                session, actor=None, data=UserCreate(email=email, password=PASSWORD, role=role)
            )
        resp = await self.auth_client.post(
            "/api/token/", json={"email": email, "password": PASSWORD}
        )
        assert resp.status_code == 200, resp.text
        return {
            "id": user.id,
            "email": email,
            "headers": {"Authorization": f"Bearer {resp.json()['access']}"},
        }

    async def seed(self, sup_a: int, sup_b: int) -> None:
        """The copies that centers' and programs' events would bring."""
        async with self.students.state.db.session() as s, s.begin():
            for center, name, city, supervisor in (
                (CENTER_A, "Centre A", "Rabat", sup_a),
                (CENTER_B, "Centre B", "Fes", sup_b),
            ):
                await centers.upsert(
                    s,
                    Center(
                        id=center,
                        name=name,
                        city=city,
                        supervisor=supervisor,
                        is_active=True,
                        is_verified=True,
                    ),
                )
            await groups.upsert(s, Group(id=GROUP_A, name="Group A", center=CENTER_A))
            await groups.upsert(s, Group(id=GROUP_B, name="Group B", center=CENTER_B))
            await programs.upsert(s, Program(id=PROGRAM, name="Web Development", duration_years=2))
            await programs.upsert(
                s, Program(id=OTHER_PROGRAM, name="Electricity", duration_years=1)
            )
            await courses.upsert(
                s,
                TrainingCourse(
                    id=COURSE_A, program=PROGRAM, center=CENTER_A, academic_year="2024-2025"
                ),
            )

    async def auth_users(self, role: str) -> list[dict[str, Any]]:
        admin = self.people["admin"]
        resp = await self.auth_client.get(
            "/api/accounts/users/",
            params={"role": role, "page_size": 100},
            headers=admin["headers"],
        )
        return list(resp.json()["results"])


@pytest.fixture(scope="session")
async def apps(
    database_factory: Callable[[str], Awaitable[str]], private_nats: Callable[[], str]
) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    nats_url = private_nats()
    common: dict[str, Any] = {"environment": "test", "rate_limit_enabled": False, "log_json": False}
    auth = build_auth(
        AuthSettings(
            database_url=await database_factory("auth_for_students"),
            nats_url=nats_url,
            private_key=generate_private_key_pem().decode(),
            admin_email=None,
            admin_password=None,
            **common,
        )
    )
    students = build_students(
        StudentsSettings(
            database_url=await database_factory("students"),
            nats_url=nats_url,
            auth_url=AUTH_URL,
            reconcile_interval=3600,
            **common,
        )
    )
    async with (
        LifespanManager(auth, shutdown_timeout=20),
        LifespanManager(students, shutdown_timeout=20),
    ):
        async with _client(auth) as c:
            jwks = (await c.get("/api/token/jwks/")).json()
        students.state.verifier.set_keys(TokenVerifier.keys_from_jwks(jwks))
        # Calls to auth's URL go to the auth app in this process.
        students.state.http_transports = {
            AUTH_URL: httpx.ASGITransport(app=auth, client=("127.0.0.1", 50003))
        }
        yield auth, students


@pytest.fixture
async def env(apps: tuple[FastAPI, FastAPI]) -> AsyncIterator[Env]:
    auth, students = apps
    async with _client(auth) as ac, _client(students) as sc:
        e = Env(auth, students, ac, sc)
        e.people["admin"] = await e.user("admin")
        e.people["sup_a"] = await e.user("center_supervisor", "supa")
        e.people["sup_b"] = await e.user("center_supervisor", "supb")
        e.people["trainer"] = await e.user("trainer")
        await e.seed(e.people["sup_a"]["id"], e.people["sup_b"]["id"])
        yield e
    await truncate_all(students.state.db.engine)
    await truncate_all(auth.state.db.engine)


def student_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "first_name": "Fatima",
        "last_name": "Zahra",
        "exam_id": f"STU{time.monotonic_ns() % 10**9}",
        "center": CENTER_A,
        "program": PROGRAM,
        "academic_year": "2024-2025",
        "joining_date": "2024-09-01",
        "center_code": "C001-S2",
    }
    body.update(overrides)
    return body
