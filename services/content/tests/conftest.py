from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from content_service.config import ContentSettings
from content_service.main import build_app
from entraide_kit.contracts import Program, TrainingCourse
from entraide_kit.copies.programs import courses, programs
from entraide_stack.testing import TokenFactory, truncate_all
from entraide_stack.testing.apps import Api, caller, started
from entraide_stack.testing.apps import client as app_client

ADMIN, SUPERVISOR, ASSOC, TRAINER_A, TRAINER_B, STUDENT = 1, 2, 3, 4, 5, 6
PROGRAM_A, PROGRAM_B = 1, 2  # trainer A teaches A, trainer B teaches B
ROLES = {
    ADMIN: "admin",
    SUPERVISOR: "center_supervisor",
    ASSOC: "association_supervisor",
    TRAINER_A: "trainer",
    TRAINER_B: "trainer",
    STUDENT: "student",
}
READERS = list(ROLES)

# The smallest well-formed PDF: a header, one empty page, a cross-reference, %%EOF.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n"
)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("content-media")


@pytest.fixture(scope="session")
async def content_app(
    database_factory: Callable[[str], Awaitable[str]],
    private_nats: Callable[[], str],
    token_factory: TokenFactory,
    media_dir: Path,
) -> AsyncIterator[FastAPI]:
    settings = ContentSettings(
        database_url=await database_factory("content"),
        nats_url=private_nats(),
        environment="test",
        rate_limit_enabled=False,
        log_json=False,
    )
    app = build_app(settings)
    async with started(app, tokens=token_factory, env={"ENTRAIDE_MEDIA_DIR": str(media_dir)}):
        yield app


async def seed(app: FastAPI) -> None:
    async with app.state.db.session() as s, s.begin():
        await programs.upsert(s, Program(id=PROGRAM_A, name="Infography", duration_years=2))
        await programs.upsert(s, Program(id=PROGRAM_B, name="Electricity", duration_years=1))
        await courses.upsert(
            s, TrainingCourse(id=50, program=PROGRAM_A, center=10, trainer=TRAINER_A)
        )
        await courses.upsert(
            s, TrainingCourse(id=51, program=PROGRAM_B, center=20, trainer=TRAINER_B)
        )


@pytest.fixture
async def client(content_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    await seed(content_app)
    async with app_client(content_app) as c:
        yield c
    await truncate_all(content_app.state.db.engine)


@pytest.fixture
def api(client: httpx.AsyncClient, token_factory: TokenFactory) -> Api:
    """``await api("POST", url, ADMIN, json=...)``."""
    return caller(
        client, token_factory, role_of=ROLES.__getitem__, default_user=ADMIN, prefix="/api/courses/"
    )
