"""Courses and their content: shapes, orders, unique pairs, validation, cascades."""

from __future__ import annotations

import io
from typing import Any

from fastapi import FastAPI
from PIL import Image
from sqlalchemy import text

from .conftest import ADMIN, PDF, PROGRAM_A, Api


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


async def _ok(resp: Any, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json() if resp.content else None


async def course(api: Api, name: str = "Infography", **fields: Any) -> dict[str, Any]:
    body = {"name": name, "description": "Graphic design", **fields}
    return await _ok(await api("POST", "courses/", json=body), 201)  # type: ignore[no-any-return]


async def tree(api: Api, course_id: int) -> dict[str, Any]:
    """A unit with a section holding a text lesson and a practice with an mcq."""
    unit = await _ok(
        await api("POST", "units/", json={"course": course_id, "name": "Photoshop", "order": 0}),
        201,
    )
    section = await _ok(
        await api(
            "POST",
            "sections/",
            json={"unit": unit["id"], "name": "Layers", "about": "Basics", "order": 0},
        ),
        201,
    )
    lesson = await _ok(
        await api(
            "POST",
            "lessons/",
            json={
                "section": section["id"],
                "title": "What a layer is",
                "lesson_type": "text",
                "order": 0,
                "text_content": "A layer is a sheet.",
            },
        ),
        201,
    )
    practice = await _ok(
        await api("POST", "practice/", json={"section": section["id"], "instructions": "Go"}), 201
    )
    question = await _ok(
        await api(
            "POST",
            "questions/",
            json={
                "practice": practice["id"],
                "question_text": "Which key makes a new layer?",
                "points": 2,
                "explanation": "Ctrl+Shift+N",
            },
        ),
        201,
    )
    options = [
        await _ok(
            await api(
                "POST",
                "question-options/",
                json={"question": question["id"], "option_text": text_, "is_correct": correct},
            ),
            201,
        )
        for text_, correct in (("Ctrl+Shift+N", True), ("Ctrl+S", False))
    ]
    return {
        "unit": unit,
        "section": section,
        "lesson": lesson,
        "practice": practice,
        "question": question,
        "options": options,
    }


# --------------------------------------------------------------------------- courses


async def test_course_shapes_and_the_whole_tree(api: Api) -> None:
    c = await course(api, program=PROGRAM_A)
    assert set(c) == {
        "id",
        "name",
        "description",
        "cover_image",
        "is_active",
        "order",
        "units_count",
        "program",
        "created_at",
        "updated_at",
    }
    assert (c["program"], c["is_active"], c["order"], c["units_count"]) == (PROGRAM_A, True, 0, 0)
    t = await tree(api, c["id"])
    detail = await _ok(await api("GET", f"courses/{c['id']}/"))
    assert detail["units_count"] == 1
    unit = detail["units"][0]
    assert unit["name"] == "Photoshop" and unit["sections_count"] == 1
    section = unit["sections"][0]
    assert (section["about"], section["lessons_count"], section["course"]) == ("Basics", 1, c["id"])
    assert section["lessons"][0]["text_content"] == "A layer is a sheet."
    practice = section["practice"]
    assert practice["id"] == t["practice"]["id"] and practice["instructions"] == "Go"
    question = practice["questions"][0]
    assert (question["question_type"], question["points"], question["explanation"]) == (
        "mcq",
        2,
        "Ctrl+Shift+N",
    )
    assert [o["is_correct"] for o in question["options"]] == [True, False]
    assert [o["order"] for o in question["options"]] == [0, 1]  # the next free order


async def test_course_multipart_with_cover_as_the_client_sends_it(api: Api) -> None:
    # E2: multipart, is_active and order as text, a cover image, no program.
    resp = await api(
        "POST",
        "courses/",
        data={"name": "Web design", "description": "HTML", "is_active": "false", "order": "3"},
        files={"cover_image": ("cover.png", _png(), "image/png")},
    )
    c = await _ok(resp, 201)
    assert (c["is_active"], c["order"], c["program"]) == (False, 3, None)
    assert c["cover_image"].startswith("http://testserver/api/courses/media/content/covers/")
    served = await api("GET", c["cover_image"].removeprefix("http://testserver/api/courses/"))
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"


async def test_course_validation(api: Api) -> None:
    await course(api)
    dup = await api("POST", "courses/", json={"name": "Infography", "description": "x"})
    assert dup.status_code == 400 and "already exists" in dup.json()["name"][0]
    missing = await api("POST", "courses/", json={"description": "no name"})
    assert missing.status_code == 400 and "name" in missing.json()
    blank = await api("POST", "courses/", data={"name": "", "description": "x"})
    assert blank.status_code == 400 and "name" in blank.json()
    program = await api("POST", "courses/", json={"name": "Other", "program": 999})
    assert program.status_code == 400 and "program" in program.json()
    order = await api("POST", "courses/", json={"name": "Other", "order": -1})
    assert order.status_code == 400 and "order" in order.json()
    not_image = await api(
        "POST", "courses/", data={"name": "Other"}, files={"cover_image": ("x.png", b"GIF89a")}
    )
    assert not_image.status_code == 415
    listed = await _ok(await api("GET", "courses/"))
    assert [c["name"] for c in listed["results"]] == ["Infography"]  # nothing else was made


async def test_course_lists_filters_search_ordering(api: Api) -> None:
    for name, order, active, program in (
        ("Bravo", 1, True, PROGRAM_A),
        ("Alpha", 1, False, None),
        ("Charlie", 0, True, None),
    ):
        await course(api, name, order=order, is_active=active, program=program)
    names = lambda page: [c["name"] for c in page["results"]]  # noqa: E731
    assert names(await _ok(await api("GET", "courses/"))) == ["Charlie", "Alpha", "Bravo"]
    assert names(await _ok(await api("GET", "courses/?is_active=true"))) == ["Charlie", "Bravo"]
    assert names(await _ok(await api("GET", f"courses/?program={PROGRAM_A}"))) == ["Bravo"]
    assert names(await _ok(await api("GET", "courses/?search=char"))) == ["Charlie"]
    assert names(await _ok(await api("GET", "courses/?ordering=-name"))) == [
        "Charlie",
        "Bravo",
        "Alpha",
    ]
    page = await _ok(await api("GET", "courses/?page_size=2"))
    assert page["count"] == 3 and page["next"].endswith("page=2&page_size=2")
    assert (await api("GET", "courses/?is_active=maybe")).status_code == 400


async def test_course_update_and_delete_cascade_with_events(api: Api, content_app: FastAPI) -> None:
    c = await course(api)
    t = await tree(api, c["id"])
    put = await _ok(
        await api("PUT", f"courses/{c['id']}/", json={"name": "Infography 2", "order": 2})
    )
    assert (put["name"], put["order"], put["units_count"], put["description"]) == (
        "Infography 2",
        2,
        1,
        "Graphic design",
    )
    patch = await _ok(await api("PATCH", f"courses/{c['id']}/", data={"is_active": "false"}))
    assert patch["is_active"] is False and patch["name"] == "Infography 2"
    null = await api("PATCH", f"courses/{c['id']}/", json={"name": None})
    assert null.status_code == 400 and "name" in null.json()
    assert (await api("DELETE", f"courses/{c['id']}/")).status_code == 204
    for path in ("units", "sections", "lessons", "practice", "questions"):
        key = path.rstrip("s") if path != "practice" else "practice"
        assert (await api("GET", f"{path}/{t[key]['id']}/")).status_code == 404
    async with content_app.state.db.session() as s:
        rows = (
            await s.execute(text("SELECT subject, payload->>'op' FROM outbox ORDER BY id"))
        ).all()
    deleted = {subject for subject, op in rows if op == "delete"}
    assert deleted == {
        f"entraide.content.course.{c['id']}",
        f"entraide.content.unit.{t['unit']['id']}",
        f"entraide.content.section.{t['section']['id']}",
        f"entraide.content.lesson.{t['lesson']['id']}",
    }
    upserts = {subject.rsplit(".", 2)[-2] for subject, op in rows if op == "upsert"}
    assert upserts == {"course", "unit", "section", "lesson"}


# --------------------------------------------------------------------------- units, sections


async def test_units_as_the_client_sends_them(api: Api) -> None:
    c = await course(api)
    # E4: JSON course, name, description (may be empty), order.
    body = {"course": c["id"], "name": "Photoshop", "description": "", "order": 0}
    unit = await _ok(await api("POST", "units/", json=body), 201)
    assert (unit["course"], unit["description"], unit["sections_count"]) == (c["id"], "", 0)
    dup = await api("POST", "units/", json={**body, "name": "Illustrator"})
    assert dup.status_code == 400 and "order" in dup.json()
    # E5
    got = await _ok(await api("GET", f"units/{unit['id']}/"))
    assert got["name"] == "Photoshop" and got["sections"] == []
    # E6: every field sent.
    put = await _ok(
        await api(
            "PUT",
            f"units/{unit['id']}/",
            json={"course": c["id"], "name": "Photoshop CC", "description": "Raster", "order": 4},
        )
    )
    assert (put["name"], put["order"], put["description"]) == ("Photoshop CC", 4, "Raster")
    assert put["updated_at"] >= put["created_at"]
    # defaults to the next order
    nxt = await _ok(
        await api("POST", "units/", json={"course": c["id"], "name": "Illustrator"}), 201
    )
    assert nxt["order"] == 5
    listed = await _ok(await api("GET", f"units/?course={c['id']}"))
    assert [u["name"] for u in listed["results"]] == ["Photoshop CC", "Illustrator"]
    nested = await _ok(await api("GET", f"courses/{c['id']}/units/"))
    assert [u["id"] for u in nested["results"]] == [unit["id"], nxt["id"]]
    # E7
    assert (await api("DELETE", f"units/{unit['id']}/")).status_code == 204
    assert (await api("GET", f"units/{unit['id']}/")).status_code == 404
    bad = await api("POST", "units/", json={"course": 999, "name": "X", "order": 9})
    assert bad.status_code == 400 and "course" in bad.json()
    missing = await api("POST", "units/", json={"course": c["id"], "order": 9})
    assert missing.status_code == 400 and "name" in missing.json()


async def test_sections_as_the_client_sends_them(api: Api) -> None:
    c = await course(api)
    unit = await _ok(
        await api("POST", "units/", json={"course": c["id"], "name": "U", "order": 0}), 201
    )
    # E8
    body = {"unit": unit["id"], "name": "Layers", "description": "d", "about": "a", "order": 0}
    section = await _ok(await api("POST", "sections/", json=body), 201)
    assert (section["unit"], section["course"], section["practice"]) == (unit["id"], c["id"], None)
    dup = await api("POST", "sections/", json={**body, "name": "Masks"})
    assert dup.status_code == 400 and "order" in dup.json()
    by_course = await _ok(await api("GET", f"sections/?unit__course={c['id']}"))
    assert [s["id"] for s in by_course["results"]] == [section["id"]]
    nested = await _ok(await api("GET", f"units/{unit['id']}/sections/"))
    assert nested["count"] == 1
    unit_read = await _ok(await api("GET", f"units/{unit['id']}/"))
    assert unit_read["sections_count"] == 1


async def test_moving_a_unit_republishes_its_content(api: Api, content_app: FastAPI) -> None:
    a, b = await course(api, "A"), await course(api, "B")
    t = await tree(api, a["id"])
    moved = await _ok(await api("PATCH", f"units/{t['unit']['id']}/", json={"course": b["id"]}))
    assert moved["course"] == b["id"] and moved["sections"][0]["course"] == b["id"]
    async with content_app.state.db.session() as s:
        lesson = (
            await s.execute(
                text(
                    "SELECT payload->'data'->>'course' FROM outbox WHERE subject = :s "
                    "ORDER BY id DESC LIMIT 1"
                ),
                {"s": f"entraide.content.lesson.{t['lesson']['id']}"},
            )
        ).scalar_one()
    assert int(lesson) == b["id"]


# --------------------------------------------------------------------------- lessons


async def _section(api: Api) -> int:
    c = await course(api)
    unit = await _ok(await api("POST", "units/", json={"course": c["id"], "name": "U"}), 201)
    section = await _ok(await api("POST", "sections/", json={"unit": unit["id"], "name": "S"}), 201)
    return int(section["id"])


async def test_lessons_of_every_type_as_the_client_sends_them(api: Api) -> None:
    section = await _section(api)
    # E9, JSON types: exactly one of video_url, text_content, external_url
    video = await _ok(
        await api(
            "POST",
            "lessons/",
            json={
                "section": section,
                "title": "Intro",
                "lesson_type": "video",
                "order": 0,
                "duration_minutes": 12,
                "video_url": "https://www.youtube.com/watch?v=abc",
            },
        ),
        201,
    )
    assert video["video_url"] == "https://www.youtube.com/watch?v=abc"
    assert (video["pdf_file"], video["text_content"], video["duration_minutes"]) == (None, "", 12)
    link = await _ok(
        await api(
            "POST",
            "lessons/",
            json={
                "section": section,
                "title": "Docs",
                "lesson_type": "link",
                "order": 1,
                "external_url": "https://helpx.adobe.com",
            },
        ),
        201,
    )
    assert link["external_url"] == "https://helpx.adobe.com"  # as sent: no slash added
    assert link["duration_minutes"] is None
    # E9, PDF: multipart, ids as text, no duration
    pdf = await _ok(
        await api(
            "POST",
            "lessons/",
            data={
                "section": str(section),
                "title": "Shortcuts",
                "lesson_type": "pdf",
                "order": "2",
            },
            files={"pdf_file": ("shortcuts.pdf", PDF, "application/pdf")},
        ),
        201,
    )
    assert "/api/courses/lessons/" in pdf["pdf_file"] and "signature=" in pdf["pdf_file"]
    assert pdf["pdf_proxy_url"] == pdf["pdf_file"]
    # E10
    got = await _ok(await api("GET", f"lessons/{pdf['id']}/"))
    assert got["lesson_type"] == "pdf" and got["title"] == "Shortcuts"
    listed = await _ok(await api("GET", f"lessons/?section={section}&lesson_type=pdf"))
    assert [x["id"] for x in listed["results"]] == [pdf["id"]]
    nested = await _ok(await api("GET", f"sections/{section}/lessons/"))
    assert [x["title"] for x in nested["results"]] == ["Intro", "Docs", "Shortcuts"]


async def test_lesson_type_fields(api: Api) -> None:
    section = await _section(api)
    base = {"section": section, "title": "T", "order": 0}

    async def bad(body: dict[str, Any], field: str, **kwargs: Any) -> None:
        resp = await api("POST", "lessons/", **(kwargs or {"json": body}))
        assert resp.status_code == 400, resp.text
        assert field in resp.json(), resp.text

    await bad({**base, "lesson_type": "video"}, "video_url")
    await bad({**base, "lesson_type": "text"}, "text_content")
    await bad({**base, "lesson_type": "link", "external_url": "not a url"}, "external_url")
    await bad({**base, "lesson_type": "pdf"}, "pdf_file")
    await bad({**base, "lesson_type": "quiz", "text_content": "x"}, "lesson_type")
    await bad(
        {**base, "lesson_type": "video", "video_url": "https://y.tu/v", "text_content": "x"},
        "text_content",
    )
    await bad(
        {},
        "pdf_file",
        data={"section": str(section), "title": "T", "lesson_type": "pdf"},
        files={"pdf_file": ("fake.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
    )
    await bad(
        {},
        "pdf_file",
        data={"section": str(section), "title": "T", "lesson_type": "text", "text_content": "x"},
        files={"pdf_file": ("a.pdf", PDF, "application/pdf")},
    )
    assert (await _ok(await api("GET", "lessons/")))["count"] == 0
    text_lesson = await _ok(
        await api("POST", "lessons/", json={**base, "lesson_type": "text", "text_content": "x"}),
        201,
    )
    dup = await api("POST", "lessons/", json={**base, "lesson_type": "text", "text_content": "y"})
    assert dup.status_code == 400 and "order" in dup.json()
    # A change of type empties the old type's field.
    changed = await _ok(
        await api(
            "PATCH",
            f"lessons/{text_lesson['id']}/",
            json={"lesson_type": "link", "external_url": "https://example.org/a"},
        )
    )
    assert (changed["text_content"], changed["external_url"]) == ("", "https://example.org/a")
    to_pdf = await api("PATCH", f"lessons/{text_lesson['id']}/", json={"lesson_type": "pdf"})
    assert to_pdf.status_code == 400 and "pdf_file" in to_pdf.json()
    as_pdf = await _ok(
        await api(
            "PATCH",
            f"lessons/{text_lesson['id']}/",
            data={"lesson_type": "pdf"},
            files={"pdf_file": ("a.pdf", PDF, "application/pdf")},
        )
    )
    assert as_pdf["external_url"] == "" and as_pdf["pdf_file"]
    renamed = await _ok(await api("PATCH", f"lessons/{text_lesson['id']}/", json={"title": "New"}))
    assert renamed["lesson_type"] == "pdf" and renamed["pdf_file"]


# --------------------------------------------------------------------------- practice


async def test_practice_questions_options(api: Api) -> None:
    c = await course(api)
    t = await tree(api, c["id"])
    again = await api("POST", "practice/", json={"section": t["section"]["id"]})
    assert again.status_code == 400 and "section" in again.json()
    q = t["question"]
    dup = await api(
        "POST",
        "questions/",
        json={"practice": t["practice"]["id"], "question_text": "?", "order": 0},
    )
    assert dup.status_code == 400 and "order" in dup.json()
    bad_type = await api(
        "POST",
        "questions/",
        json={"practice": t["practice"]["id"], "question_text": "?", "question_type": "essay"},
    )
    assert bad_type.status_code == 400 and "question_type" in bad_type.json()
    short = await _ok(
        await api(
            "POST",
            "questions/",
            json={
                "practice": t["practice"]["id"],
                "question_text": "Name a blend mode.",
                "question_type": "short_answer",
            },
        ),
        201,
    )
    no_options = await api(
        "POST", "question-options/", json={"question": short["id"], "option_text": "x"}
    )
    assert no_options.status_code == 400 and "question" in no_options.json()
    dup_option = await api(
        "POST", "question-options/", json={"question": q["id"], "option_text": "x", "order": 1}
    )
    assert dup_option.status_code == 400 and "order" in dup_option.json()
    listed = await _ok(await api("GET", f"practice/{t['practice']['id']}/questions/"))
    assert [x["id"] for x in listed["results"]] == [q["id"], short["id"]]
    options = await _ok(await api("GET", f"questions/{q['id']}/options/"))
    assert options["count"] == 2
    patched = await _ok(
        await api("PATCH", f"question-options/{t['options'][1]['id']}/", json={"is_correct": True})
    )
    assert patched["is_correct"] is True
    assert (await api("DELETE", f"questions/{q['id']}/")).status_code == 204
    assert (await api("GET", f"question-options/{t['options'][0]['id']}/")).status_code == 404
    assert (await api("DELETE", f"practice/{t['practice']['id']}/")).status_code == 204
    section = await _ok(await api("GET", f"sections/{t['section']['id']}/"))
    assert section["practice"] is None
    assert ADMIN  # the default caller of every request above


async def test_a_bool_is_no_number(api: Api) -> None:
    c = await course(api)
    resp = await api("POST", "units/", json={"course": c["id"], "name": "U", "order": False})
    assert resp.status_code == 400 and "order" in resp.json()
    resp = await api("POST", "units/", json={"course": True, "name": "U"})
    assert resp.status_code == 400 and "course" in resp.json()
    as_text = await api("POST", "courses/", data={"name": "Form", "order": "2"})
    assert as_text.status_code == 201 and as_text.json()["order"] == 2  # a form's text is fine
