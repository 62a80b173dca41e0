from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from entraide_kit.copies.users import upsert_user
from entraide_kit.events import Envelope
from entraide_stack.testing import TokenFactory, truncate_all
from entraide_stack.testing.apps import Api, caller, started
from entraide_stack.testing.apps import client as app_client
from programs_service.config import ProgramsSettings
from programs_service.main import build_app

# The users the tests act as, as the users copy knows them (ids as in auth).
ADMIN, SUP_A, SUP_B, TRAINER, ASSOC_SUP, STUDENT, TRAINER_B, TRAINER_IDLE = 1, 2, 3, 4, 5, 6, 7, 8
USERS = {
    ADMIN: ("admin", "Amina", "Admin"),
    SUP_A: ("center_supervisor", "Said", "Alaoui"),
    SUP_B: ("center_supervisor", "Badr", "Bennani"),
    TRAINER: ("trainer", "Tariq", "Tazi"),
    ASSOC_SUP: ("association_supervisor", "Nadia", "Naciri"),
    STUDENT: ("student", "Sara", "Squalli"),
    TRAINER_B: ("trainer", "Bouchra", "Berrada"),
    TRAINER_IDLE: ("trainer", "Idle", "Inactive"),
}
# Centres and groups as the centers service's events bring them.
CENTER_A, CENTER_B = 10, 20
GROUP_A1, GROUP_A2, GROUP_B1 = 100, 101, 200


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
async def programs_app(
    database_factory: Callable[[str], Awaitable[str]],
    private_nats: Callable[[], str],
    token_factory: TokenFactory,
    media_dir: Path,
) -> AsyncIterator[FastAPI]:
    settings = ProgramsSettings(
        database_url=await database_factory("programs"),
        # Its own NATS: other tests' apps publish users and centres whose ids
        # would overwrite the copies these tests seed.
        nats_url=private_nats(),
        environment="test",
        rate_limit_enabled=False,
        log_json=False,
        auth_url=None,
        centers_url=None,
    )
    app = build_app(settings)
    async with started(app, tokens=token_factory, env={"ENTRAIDE_MEDIA_DIR": str(media_dir)}):
        yield app


Apply = Callable[..., Awaitable[bool]]


@pytest.fixture
def apply_event(programs_app: FastAPI) -> Apply:
    """Apply an event through the service's consumer (version check and handlers)."""

    async def apply(
        entity: str, record_id: int, version: int, data: dict[str, Any] | None, op: str = "upsert"
    ) -> bool:
        producer = "auth" if entity == "user" else "centers"
        envelope = Envelope(
            subject=f"entraide.{producer}.{entity}.{record_id}",
            producer=producer,
            entity=entity,
            id=record_id,
            op=op,  # type: ignore[arg-type]
            version=version,
            data=data,
        )
        applied: bool = await programs_app.state.consumer.apply(envelope)
        return applied

    return apply


def center_data(center_id: int, name: str, supervisor: int | None) -> dict[str, Any]:
    return {
        "id": center_id,
        "name": name,
        "city": "Rabat" if center_id == CENTER_A else "Fes",
        "association": None,
        "association_name": None,
        "supervisor": supervisor,
        "affiliated_to": "entraide",
        "is_active": True,
        "is_verified": True,
    }


@pytest.fixture
async def client(programs_app: FastAPI, apply_event: Apply) -> AsyncIterator[httpx.AsyncClient]:
    async with programs_app.state.db.session() as session, session.begin():
        for user_id, (role, first, last) in USERS.items():
            data = {
                "email": f"u{user_id}@entraide.ma",
                "username": f"u{user_id}",
                "first_name": first,
                "last_name": last,
                "role": role,
                "is_active": user_id != TRAINER_IDLE,
            }
            await upsert_user(session, user_id, data)
    await apply_event("center", CENTER_A, 1, center_data(CENTER_A, "Centre A", SUP_A))
    await apply_event("center", CENTER_B, 1, center_data(CENTER_B, "Centre B", SUP_B))
    for group_id, name, center in (
        (GROUP_A1, "Group A1", CENTER_A),
        (GROUP_A2, "Group A2", CENTER_A),
        (GROUP_B1, "Group B1", CENTER_B),
    ):
        data = {"id": group_id, "name": name, "description": "", "center": center}
        await apply_event("group", group_id, 1, data)
    async with app_client(programs_app) as c:
        yield c
    await truncate_all(programs_app.state.db.engine)


@pytest.fixture
def api(client: httpx.AsyncClient, token_factory: TokenFactory) -> Api:
    """``await api("POST", url, ADMIN, json=...)``."""
    return caller(client, token_factory, role_of=lambda u: USERS[u][0], default_user=ADMIN)


PROGRAMS = "/api/programs/trainingprogrames/"
DISTRIBUTIONS = "/api/programs/annualcoursedistributions/"
PLANS = "/api/programs/weeklycourseplans/"
COURSES = "/api/programs/trainingcourses/"
TEACHERS = "/api/teachers/"


@pytest.fixture
def world(api: Api) -> Callable[[], Awaitable[dict[str, Any]]]:
    """Two programmes (Web, Plumbing), a distribution and two weekly plans of Web, and
    courses: Web in A by TRAINER (2024-2025), Plumbing in B by TRAINER_B (2025-2026)."""

    async def build() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, name, years in (("web", "Web Development", 2), ("plumbing", "Plumbing", 1)):
            resp = await api(
                "POST",
                PROGRAMS,
                json={"name": name, "description": f"All about {name}", "duration_years": years},
            )
            assert resp.status_code == 201, resp.text
            out[key] = resp.json()
        d = await api(
            "POST",
            DISTRIBUTIONS,
            json={"programe": out["web"]["id"], "academic_year": "2024-2025", "trainer": TRAINER},
        )
        assert d.status_code == 201, d.text
        out["distribution"] = d.json()
        d2 = await api(
            "POST",
            DISTRIBUTIONS,
            json={"programe": out["plumbing"]["id"], "academic_year": "2025-2026"},
        )
        assert d2.status_code == 201, d2.text
        out["distribution2"] = d2.json()
        out["plans"] = []
        for month, week, title, dist in (
            (9, 1, "HTML basics", out["distribution"]),
            (10, 5, "CSS layouts", out["distribution"]),
            (9, 2, "Pipes", out["distribution2"]),
        ):
            p = await api(
                "POST",
                PLANS,
                json={
                    "annual_distribution": dist["id"],
                    "month": month,
                    "week_number": week,
                    "title": title,
                    "description": f"Week about {title}",
                },
            )
            assert p.status_code == 201, p.text
            out["plans"].append(p.json())
        out["courses"] = []
        for program, center, trainer, year in (
            (out["web"]["id"], CENTER_A, TRAINER, "2024-2025"),
            (out["plumbing"]["id"], CENTER_B, TRAINER_B, "2025-2026"),
        ):
            c = await api(
                "POST",
                COURSES,
                json={
                    "program": program,
                    "center": center,
                    "trainer": trainer,
                    "academic_year": year,
                },
            )
            assert c.status_code == 201, c.text
            out["courses"].append(c.json())
        return out

    return build


async def outbox_rows(app: FastAPI, subject: str) -> list[dict[str, Any]]:
    """The payloads written for one subject, oldest first."""
    async with app.state.db.session() as s:
        rows = await s.execute(
            text("SELECT payload FROM outbox WHERE subject = :s ORDER BY id"), {"s": subject}
        )
        return [r[0] for r in rows]


def png_bytes(size: tuple[int, int] = (4, 4)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


MakeTeacher = Callable[..., Awaitable[int]]


@pytest.fixture
def make_teacher(programs_app: FastAPI) -> MakeTeacher:
    """A teacher whose user already exists (creating one needs auth: see the e2e tests)."""
    from entraide_kit import records
    from programs_service import events, repository
    from programs_service.models import Teacher

    async def make(
        user_id: int,
        center: int,
        program: int | None,
        groups: list[int] | None = None,
        contract_with: str = "entraide",
    ) -> int:
        async with programs_app.state.db.session() as session, session.begin():
            teacher = await records.add(
                session,
                Teacher(
                    user_id=user_id,
                    center_id=center,
                    program_id=program,
                    contract_with=contract_with,
                ),
            )
            await repository.set_groups(session, teacher.id or 0, groups or [])
            await events.teacher_changed(session, teacher, groups or [])
            return teacher.id or 0

    return make
