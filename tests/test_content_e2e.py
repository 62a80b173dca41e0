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


# --------------------------------------------------------------------------- the client's
# requests, built as its pages build them (client-compat section 2.2, ids E1-E11)


def _add_course(gw: httpx.Client, admin: dict[str, str], **form: str) -> dict[str, Any]:
    """E2 as AdminAddCoursePage sends it: multipart, no program."""
    data = {
        "name": f"Infography {_tag()}",
        "description": "Design",
        "is_active": "true",
        "order": "1",
        **form,
    }
    resp = gw.post(
        "/api/courses/courses/",
        data=data,
        files={"cover_image": ("cover.png", _png(), "image/png")},
        headers=admin,
    )
    return _ok(resp, 201)  # type: ignore[no-any-return]


def _add_unit(gw: httpx.Client, admin: dict[str, str], course: int, order: int = 0) -> Any:
    """E4 as AdminAddUnitPage sends it."""
    body = {"course": course, "name": "Photoshop", "description": "", "order": order}
    return _ok(gw.post("/api/courses/units/", json=body, headers=admin), 201)


def _add_section(gw: httpx.Client, admin: dict[str, str], unit: int, order: int = 0) -> Any:
    """E8 as AdminAddSectionPage sends it."""
    body = {"unit": unit, "name": "Layers", "description": "", "about": "", "order": order}
    return _ok(gw.post("/api/courses/sections/", json=body, headers=admin), 201)


def _add_pdf_lesson(gw: httpx.Client, admin: dict[str, str], section: int, order: int) -> Any:
    """E9 for a PDF: multipart, ids as text, no duration_minutes."""
    data = {
        "section": str(section),
        "title": "Shortcuts",
        "lesson_type": "pdf",
        "order": str(order),
    }
    files = {"pdf_file": ("shortcuts.pdf", PDF, "application/pdf")}
    return _ok(gw.post("/api/courses/lessons/", data=data, files=files, headers=admin), 201)


def _section_of_a_new_course(gw: httpx.Client, admin: dict[str, str]) -> tuple[Any, Any, Any]:
    course = _add_course(gw, admin)
    unit = _add_unit(gw, admin, course["id"])
    return course, unit, _add_section(gw, admin, unit["id"])


def test_E1_the_course_list(gw: httpx.Client, admin: dict[str, str]) -> None:
    course = _add_course(gw, admin, is_active="false")
    _add_unit(gw, admin, course["id"])
    listed = _ok(gw.get("/api/courses/courses/", headers=admin))
    row = next(c for c in listed["results"] if c["id"] == course["id"])
    # TrainingProgramsPage and AdminTrainingCoursesPage read these
    assert row["name"] == course["name"] and row["description"] == "Design"
    assert row["is_active"] is False and row["units_count"] == 1 and row["program"] is None
    assert row["cover_image"].startswith("http") and row["updated_at"]


def test_E2_adding_a_course(gw: httpx.Client, admin: dict[str, str]) -> None:
    course = _add_course(gw, admin)
    assert course["program"] is None and course["units_count"] == 0 and course["order"] == 1
    cover = gw.get(course["cover_image"])  # absolute, through the gateway, no token
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/png"
    # a duplicate name: a 400 whose `name` says "already exists"; the client shows every key
    dup = gw.post(
        "/api/courses/courses/", data={"name": course["name"], "description": "x"}, headers=admin
    )
    assert dup.status_code == 400 and "already exists" in " ".join(dup.json()["name"])


def test_E3_a_course_with_its_whole_content(gw: httpx.Client, admin: dict[str, str]) -> None:
    course, unit, section = _section_of_a_new_course(gw, admin)
    _add_pdf_lesson(gw, admin, section["id"], 0)
    practice = _ok(
        gw.post("/api/courses/practice/", json={"section": section["id"]}, headers=admin), 201
    )
    question = _ok(
        gw.post(
            "/api/courses/questions/",
            json={"practice": practice["id"], "question_text": "Ctrl+J?", "points": 2},
            headers=admin,
        ),
        201,
    )
    detail = _ok(gw.get(f"/api/courses/courses/{course['id']}/", headers=admin))
    assert detail["units_count"] == 1  # AdminAddUnitPage proposes the next order from it
    got_unit = detail["units"][0]
    assert {k: got_unit[k] for k in ("id", "name", "description", "order")} == {
        "id": unit["id"],
        "name": "Photoshop",
        "description": "",
        "order": 0,
    }
    got = got_unit["sections"][0]  # AdminAddLessonPage walks units[].sections[] to it
    assert (got["id"], got["name"], got["order"], got["lessons_count"]) == (
        section["id"],
        "Layers",
        0,
        1,
    )
    assert got["about"] == "" and got["description"] == ""
    lesson = got["lessons"][0]
    assert (lesson["title"], lesson["lesson_type"], lesson["duration_minutes"]) == (
        "Shortcuts",
        "pdf",
        None,
    )
    assert got["practice"]["instructions"] == ""
    q = got["practice"]["questions"][0]
    assert (q["id"], q["question_text"], q["question_type"], q["points"], q["order"]) == (
        question["id"],
        "Ctrl+J?",
        "mcq",
        2,
        0,
    )
    assert q["options"] == []


def test_E4_adding_a_unit(gw: httpx.Client, admin: dict[str, str]) -> None:
    course = _add_course(gw, admin)
    unit = _add_unit(gw, admin, course["id"])
    assert (unit["course"], unit["name"], unit["order"]) == (course["id"], "Photoshop", 0)
    body = {"course": course["id"], "name": "Illustrator", "description": "", "order": 0}
    again = gw.post("/api/courses/units/", json=body, headers=admin)
    assert again.status_code == 400 and "order" in again.json()  # the client's special message


def test_E5_a_unit(gw: httpx.Client, admin: dict[str, str]) -> None:
    _, unit, _ = _section_of_a_new_course(gw, admin)
    got = _ok(gw.get(f"/api/courses/units/{unit['id']}/", headers=admin))
    assert (got["name"], got["description"], got["order"]) == ("Photoshop", "", 0)
    assert got["sections_count"] == 1  # AdminAddSectionPage proposes the next order from it


def test_E6_updating_a_unit(gw: httpx.Client, admin: dict[str, str]) -> None:
    course = _add_course(gw, admin)
    unit = _add_unit(gw, admin, course["id"])
    body = {"course": course["id"], "name": "Photoshop CC", "description": "Raster", "order": 2}
    put = _ok(gw.put(f"/api/courses/units/{unit['id']}/", json=body, headers=admin))
    # the client replaces its state with the answer
    assert (put["name"], put["order"]) == ("Photoshop CC", 2)
    assert put["created_at"] == unit["created_at"] and put["updated_at"] > unit["updated_at"]


def test_E7_deleting_a_unit(gw: httpx.Client, admin: dict[str, str]) -> None:
    course, unit, section = _section_of_a_new_course(gw, admin)
    lesson = _add_pdf_lesson(gw, admin, section["id"], 0)
    assert gw.delete(f"/api/courses/units/{unit['id']}/", headers=admin).status_code == 204
    for url in (f"units/{unit['id']}", f"sections/{section['id']}", f"lessons/{lesson['id']}"):
        assert gw.get(f"/api/courses/{url}/", headers=admin).status_code == 404
    assert _ok(gw.get(f"/api/courses/courses/{course['id']}/", headers=admin))["units"] == []


def test_E8_adding_a_section(gw: httpx.Client, admin: dict[str, str]) -> None:
    course = _add_course(gw, admin)
    unit = _add_unit(gw, admin, course["id"])
    section = _add_section(gw, admin, unit["id"])
    assert (section["unit"], section["course"], section["name"]) == (
        unit["id"],
        course["id"],
        "Layers",
    )
    body = {"unit": unit["id"], "name": "Masks", "description": "", "about": "", "order": 0}
    again = gw.post("/api/courses/sections/", json=body, headers=admin)
    assert again.status_code == 400 and "order" in again.json()


def test_E9_adding_lessons(gw: httpx.Client, admin: dict[str, str]) -> None:
    _, _, section = _section_of_a_new_course(gw, admin)
    base = {"section": section["id"], "title": "Intro", "duration_minutes": 10}
    for order, extra in enumerate(
        (
            {"lesson_type": "video", "video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
            {"lesson_type": "text", "text_content": "Layers stack up."},
            {"lesson_type": "link", "external_url": "https://helpx.adobe.com/photoshop"},
        )
    ):
        made = _ok(
            gw.post("/api/courses/lessons/", json={**base, **extra, "order": order}, headers=admin),
            201,
        )
        field = next(k for k in extra if k != "lesson_type")
        assert made[field] == extra[field] and made["duration_minutes"] == 10
    pdf = _add_pdf_lesson(gw, admin, section["id"], 3)
    assert pdf["duration_minutes"] is None and "signature=" in pdf["pdf_file"]
    again = gw.post(
        "/api/courses/lessons/",
        json={**base, "lesson_type": "text", "text_content": "x", "order": 0},
        headers=admin,
    )
    assert again.status_code == 400 and "order" in again.json()


def test_E10_a_lesson(gw: httpx.Client, admin: dict[str, str]) -> None:
    _, _, section = _section_of_a_new_course(gw, admin)
    pdf = _add_pdf_lesson(gw, admin, section["id"], 0)
    lesson = _ok(gw.get(f"/api/courses/lessons/{pdf['id']}/", headers=admin))
    assert (lesson["id"], lesson["title"], lesson["lesson_type"]) == (pdf["id"], "Shortcuts", "pdf")
    assert (lesson["text_content"], lesson["video_url"], lesson["external_url"]) == ("", "", "")
    assert lesson["duration_minutes"] is None
    # pdf_file is used directly as a link to open and to download: no token
    with httpx.Client(timeout=30) as browser:
        opened = browser.get(lesson["pdf_file"])
    assert opened.status_code == 200 and opened.content == PDF


def test_E11_the_pdf_in_a_new_tab(gw: httpx.Client, admin: dict[str, str]) -> None:
    _, _, section = _section_of_a_new_course(gw, admin)
    pdf = _add_pdf_lesson(gw, admin, section["id"], 0)
    video = _ok(
        gw.post(
            "/api/courses/lessons/",
            json={
                "section": section["id"],
                "title": "V",
                "lesson_type": "video",
                "order": 1,
                "video_url": "https://www.youtube.com/watch?v=x",
            },
            headers=admin,
        ),
        201,
    )
    link = _ok(gw.get(f"/api/courses/lessons/{pdf['id']}/", headers=admin))["pdf_file"]
    with httpx.Client(timeout=30) as browser:  # a new browser tab: no Authorization header
        opened = browser.get(link)
        assert opened.status_code == 200, opened.text
        assert opened.headers["content-type"] == "application/pdf"
        assert opened.headers["content-disposition"].startswith('inline; filename="Shortcuts.pdf"')
        assert opened.content == PDF
        # the plain path the client builds itself needs a token (Django's did too)
        bare = browser.get(f"{gw.base_url}/api/courses/lessons/{pdf['id']}/pdf_proxy/")
        assert bare.status_code == 401
        other = link.replace(f"/lessons/{pdf['id']}/", f"/lessons/{video['id']}/")
        assert browser.get(other).status_code == 403  # a link for another lesson
    with_token = gw.get(f"/api/courses/lessons/{pdf['id']}/pdf_proxy/", headers=admin)
    assert with_token.status_code == 200 and with_token.content == PDF
    not_pdf = gw.get(f"/api/courses/lessons/{video['id']}/pdf_proxy/", headers=admin)
    assert not_pdf.status_code == 404


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
