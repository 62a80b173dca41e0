"""The content service through the real stack (Traefik, auth, centers, programs,
content): the web client's course pages, call by call (client-compat E1-E11), with
the requests exactly as the client builds them; who may write; bad input; a
trainer's write rights arriving by events from programs; a PDF opened from a new
browser tab with no token."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from entraide_stack import Stack

PASSWORD = "Sahara-Atlas-2024"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, f"{resp.request.method} {resp.url}: {resp.text[:400]}"
    return resp.json() if resp.content else None


def _tag() -> str:
    return uuid.uuid4().hex[:6]


def _until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not reached in {timeout}s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def gw(full_gw: httpx.Client) -> httpx.Client:
    return full_gw


@pytest.fixture(scope="module")
def admin(full_stack: Stack, gw: httpx.Client) -> dict[str, str]:
    body = {"email": full_stack.admin_email, "password": full_stack.admin_password()}
    return {"Authorization": f"Bearer {_ok(gw.post('/api/token/', json=body))['access']}"}


def _user(gw: httpx.Client, admin: dict[str, str], role: str) -> tuple[int, dict[str, str]]:
    email = f"{role}-{_tag()}@entraide.ma"
    made = _ok(
        gw.post(
            "/api/accounts/users/",
            json={"email": email, "password": PASSWORD, "role": role, "first_name": "A"},
            headers=admin,
        ),
        201,
    )
    tokens = _ok(gw.post("/api/token/", json={"email": email, "password": PASSWORD}))
    return int(made["id"]), {"Authorization": f"Bearer {tokens['access']}"}


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 90, 200)).save(buf, "PNG")
    return buf.getvalue()


def test_the_course_pages_call_by_call(gw: httpx.Client, admin: dict[str, str]) -> None:
    name = f"Infography {_tag()}"
    # E2: AdminAddCoursePage, multipart, no program
    course = _ok(
        gw.post(
            "/api/courses/courses/",
            data={"name": name, "description": "Design", "is_active": "true", "order": "1"},
            files={"cover_image": ("cover.png", _png(), "image/png")},
            headers=admin,
        ),
        201,
    )
    assert course["program"] is None and course["units_count"] == 0
    cover = gw.get(course["cover_image"])  # absolute, through the gateway, no token
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/png"
    # E2, a duplicate name: a 400 whose `name` says "already exists"
    dup = gw.post("/api/courses/courses/", data={"name": name, "description": "x"}, headers=admin)
    assert dup.status_code == 400 and "already exists" in " ".join(dup.json()["name"])
    # E1
    listed = _ok(gw.get("/api/courses/courses/", headers=admin))
    row = next(c for c in listed["results"] if c["id"] == course["id"])
    for key in ("id", "name", "description", "cover_image", "is_active", "units_count", "program"):
        assert key in row
    # E3 as AdminAddUnitPage reads it (units_count proposes the next order)
    detail = _ok(gw.get(f"/api/courses/courses/{course['id']}/", headers=admin))
    assert detail["units_count"] == 0 and detail["units"] == []
    # E4
    unit_body = {"course": course["id"], "name": "Photoshop", "description": "", "order": 0}
    unit = _ok(gw.post("/api/courses/units/", json=unit_body, headers=admin), 201)
    again = gw.post("/api/courses/units/", json={**unit_body, "name": "Other"}, headers=admin)
    assert again.status_code == 400 and "order" in again.json()  # the client's special message
    # E5
    got = _ok(gw.get(f"/api/courses/units/{unit['id']}/", headers=admin))
    assert (got["name"], got["order"], got["sections_count"]) == ("Photoshop", 0, 0)
    # E6: every field sent; the client reads name, order, created_at, updated_at
    put = _ok(
        gw.put(
            f"/api/courses/units/{unit['id']}/",
            json={"course": course["id"], "name": "Photoshop CC", "description": "d", "order": 0},
            headers=admin,
        )
    )
    assert put["name"] == "Photoshop CC" and put["order"] == 0
    assert put["created_at"] and put["updated_at"]
    # E8
    section = _ok(
        gw.post(
            "/api/courses/sections/",
            json={"unit": unit["id"], "name": "Layers", "description": "", "about": "", "order": 0},
            headers=admin,
        ),
        201,
    )
    # E9: JSON for a video lesson, with duration_minutes
    video = _ok(
        gw.post(
            "/api/courses/lessons/",
            json={
                "section": section["id"],
                "title": "Intro",
                "lesson_type": "video",
                "order": 0,
                "duration_minutes": 10,
                "video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            },
            headers=admin,
        ),
        201,
    )
    assert video["video_url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    # E9: multipart for a PDF lesson, without duration_minutes
    pdf = _ok(
        gw.post(
            "/api/courses/lessons/",
            data={
                "section": str(section["id"]),
                "title": "Shortcuts",
                "lesson_type": "pdf",
                "order": "1",
            },
            files={"pdf_file": ("shortcuts.pdf", PDF, "application/pdf")},
            headers=admin,
        ),
        201,
    )
    # E3 as AdminAddLessonPage walks it
    detail = _ok(gw.get(f"/api/courses/courses/{course['id']}/", headers=admin))
    found = detail["units"][0]["sections"][0]
    assert found["id"] == section["id"] and found["lessons_count"] == 2
    assert [x["title"] for x in found["lessons"]] == ["Intro", "Shortcuts"]
    assert detail["units_count"] == 1
    # E10
    lesson = _ok(gw.get(f"/api/courses/lessons/{pdf['id']}/", headers=admin))
    for key in (
        "id",
        "title",
        "lesson_type",
        "text_content",
        "video_url",
        "pdf_file",
        "external_url",
        "duration_minutes",
    ):
        assert key in lesson
    # E11 / E10's pdf_file: a new browser tab, no Authorization header
    with httpx.Client(timeout=30) as browser:
        opened = browser.get(lesson["pdf_file"])
        assert opened.status_code == 200, opened.text
        assert opened.headers["content-type"] == "application/pdf"
        assert opened.headers["content-disposition"].startswith('inline; filename="Shortcuts.pdf"')
        assert opened.content == PDF
        bare = browser.get(f"{gw.base_url}/api/courses/lessons/{pdf['id']}/pdf_proxy/")
        assert bare.status_code == 401
        other = lesson["pdf_file"].replace(f"/lessons/{pdf['id']}/", f"/lessons/{video['id']}/")
        assert browser.get(other).status_code == 403
    with_token = gw.get(f"/api/courses/lessons/{pdf['id']}/pdf_proxy/", headers=admin)
    assert with_token.status_code == 200 and with_token.content == PDF
    # E7
    assert gw.delete(f"/api/courses/units/{unit['id']}/", headers=admin).status_code == 204
    assert gw.get(f"/api/courses/lessons/{pdf['id']}/", headers=admin).status_code == 404
    assert _ok(gw.get(f"/api/courses/courses/{course['id']}/", headers=admin))["units"] == []


def test_bad_input_changes_nothing(gw: httpx.Client, admin: dict[str, str]) -> None:
    course = _ok(
        gw.post("/api/courses/courses/", json={"name": f"Bad {_tag()}"}, headers=admin), 201
    )
    unit = _ok(
        gw.post("/api/courses/units/", json={"course": course["id"], "name": "U"}, headers=admin),
        201,
    )
    section = _ok(
        gw.post("/api/courses/sections/", json={"unit": unit["id"], "name": "S"}, headers=admin),
        201,
    )
    base = {"section": section["id"], "title": "T", "order": 0}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"json": {"description": "no name"}, "url": "courses/"}, "name"),
        ({"json": {**base, "lesson_type": "video"}}, "video_url"),
        ({"json": {**base, "lesson_type": "text", "video_url": "https://y.t/v"}}, "text_content"),
        ({"json": {**base, "lesson_type": "link", "external_url": "ftp:/nowhere"}}, "external_url"),
        (
            {
                "data": {"section": str(section["id"]), "title": "T", "lesson_type": "pdf"},
                "files": {"pdf_file": ("notes.pdf", b"<html>not a pdf</html>", "application/pdf")},
            },
            "pdf_file",
        ),
        ({"json": {"unit": unit["id"], "name": "S2", "order": 0}, "url": "sections/"}, "order"),
        ({"json": {"course": course["id"], "name": "U2", "order": -3}, "url": "units/"}, "order"),
    ]
    for kwargs, field in cases:
        url = "/api/courses/" + kwargs.pop("url", "lessons/")
        resp = gw.post(url, headers=admin, **kwargs)
        assert resp.status_code == 400, f"{url} {kwargs}: {resp.status_code} {resp.text}"
        assert field in resp.json(), resp.text
    assert (
        _ok(gw.get(f"/api/courses/sections/{section['id']}/lessons/", headers=admin))["count"] == 0
    )
    assert _ok(gw.get(f"/api/courses/units/{unit['id']}/", headers=admin))["sections_count"] == 1
    assert (
        gw.post(
            "/api/courses/units/",
            content=b"{",
            headers={**admin, "Content-Type": "application/json"},
        ).status_code
        == 400
    )


def test_roles_through_the_gateway(gw: httpx.Client, admin: dict[str, str]) -> None:
    trainer_id, trainer = _user(gw, admin, "trainer")
    _, student = _user(gw, admin, "student")
    _, supervisor = _user(gw, admin, "center_supervisor")
    # the trainer teaches a programme: a training course of theirs in programs
    program = _ok(
        gw.post(
            "/api/programs/trainingprogrames/",
            json={"name": f"Design {_tag()}", "description": "d", "duration_years": 2},
            headers=admin,
        ),
        201,
    )
    center = _ok(
        gw.post(
            "/api/centers-app/centers/",
            json={"name": f"Centre {_tag()}", "city": "Fes"},
            headers=admin,
        ),
        201,
    )
    hidden = _ok(
        gw.post(
            "/api/courses/courses/",
            json={"name": f"Hidden {_tag()}", "program": program["id"], "is_active": False},
            headers=admin,
        ),
        201,
    )
    # a student writing: 403, whatever the body; reading an inactive course: 404
    for method, url, body in (
        ("POST", "/api/courses/courses/", {"name": "x"}),
        ("POST", "/api/courses/units/", {"course": hidden["id"], "name": "x"}),
        ("DELETE", f"/api/courses/courses/{hidden['id']}/", None),
    ):
        assert gw.request(method, url, json=body, headers=student).status_code == 403
    for who in (student, supervisor, trainer):
        assert gw.get(f"/api/courses/courses/{hidden['id']}/", headers=who).status_code == 404
    # once programs says the trainer teaches it, they see it and write its content
    _ok(
        gw.post(
            "/api/programs/trainingcourses/",
            json={
                "program": program["id"],
                "center": center["id"],
                "trainer": trainer_id,
                "academic_year": "2024-2025",
            },
            headers=admin,
        ),
        201,
    )
    _until(
        lambda: gw.get(f"/api/courses/courses/{hidden['id']}/", headers=trainer).status_code == 200
    )
    unit = _ok(
        gw.post(
            "/api/courses/units/",
            json={"course": hidden["id"], "name": "Illustrator", "order": 0},
            headers=trainer,
        ),
        201,
    )
    assert (
        gw.patch(
            f"/api/courses/courses/{hidden['id']}/", json={"is_active": True}, headers=trainer
        ).status_code
        == 403
    )
    _ok(gw.patch(f"/api/courses/courses/{hidden['id']}/", json={"is_active": True}, headers=admin))
    shown = _ok(gw.get(f"/api/courses/courses/{hidden['id']}/", headers=student))
    assert [u["id"] for u in shown["units"]] == [unit["id"]]
    assert (
        gw.patch(
            f"/api/courses/units/{unit['id']}/", json={"name": "x"}, headers=student
        ).status_code
        == 403
    )
