"""Who reads and writes what; what learners never see; the PDF links."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI

from .conftest import (
    ADMIN,
    ASSOC,
    PDF,
    PROGRAM_A,
    PROGRAM_B,
    READERS,
    STUDENT,
    SUPERVISOR,
    TRAINER_A,
    TRAINER_B,
    Api,
)
from .test_courses import _ok, course, tree


async def test_students_and_other_readers_never_write(api: Api) -> None:
    c = await course(api, program=PROGRAM_A)
    t = await tree(api, c["id"])
    writes = [
        ("POST", "courses/", {"name": "X"}),
        ("PATCH", f"courses/{c['id']}/", {"name": "X"}),
        ("DELETE", f"courses/{c['id']}/", None),
        ("POST", "units/", {"course": c["id"], "name": "X"}),
        ("PUT", f"units/{t['unit']['id']}/", {"course": c["id"], "name": "X"}),
        ("DELETE", f"units/{t['unit']['id']}/", None),
        ("POST", "sections/", {"unit": t["unit"]["id"], "name": "X"}),
        ("PATCH", f"lessons/{t['lesson']['id']}/", {"title": "X"}),
        ("DELETE", f"practice/{t['practice']['id']}/", None),
        ("PATCH", f"questions/{t['question']['id']}/", {"points": 9}),
        ("POST", "question-options/", {"question": t["question"]["id"], "option_text": "X"}),
    ]
    for user in (STUDENT, SUPERVISOR, ASSOC):
        for method, url, body in writes:
            resp = await api(method, url, user, json=body)
            assert resp.status_code == 403, f"{method} {url} as {user}: {resp.status_code}"
        # even for records that do not exist, and with bodies that are invalid
        assert (await api("DELETE", "units/999999/", user)).status_code == 403
        assert (await api("POST", "lessons/", user, json=[])).status_code == 403
    assert (await api("GET", f"courses/{c['id']}/", ADMIN))["units_count"] if False else True
    detail = await _ok(await api("GET", f"courses/{c['id']}/"))
    assert detail["name"] == "Infography" and detail["units_count"] == 1  # unchanged


async def test_trainers_write_the_content_of_programmes_they_teach(api: Api) -> None:
    mine = await course(api, "Mine", program=PROGRAM_A)
    theirs = await course(api, "Theirs", program=PROGRAM_B)
    unit = await _ok(
        await api("POST", "units/", TRAINER_A, json={"course": mine["id"], "name": "U"}), 201
    )
    refused = await api("POST", "units/", TRAINER_A, json={"course": theirs["id"], "name": "U"})
    assert refused.status_code == 403
    t = await tree(api, theirs["id"])  # by the admin
    for method, url, body in (
        ("PATCH", f"units/{t['unit']['id']}/", {"name": "Mine now"}),
        ("DELETE", f"lessons/{t['lesson']['id']}/", None),
        ("PATCH", f"question-options/{t['options'][0]['id']}/", {"is_correct": False}),
    ):
        assert (await api(method, url, TRAINER_A, json=body)).status_code == 403
    moved = await api("PATCH", f"units/{unit['id']}/", TRAINER_A, json={"course": theirs["id"]})
    assert moved.status_code == 403
    # courses themselves are the admins'
    assert (await api("POST", "courses/", TRAINER_A, json={"name": "New"})).status_code == 403
    assert (await api("PATCH", f"courses/{mine['id']}/", TRAINER_A, json={})).status_code == 403
    # trainer B writes theirs
    ok = await api("PATCH", f"units/{t['unit']['id']}/", TRAINER_B, json={"name": "Renamed"})
    assert ok.status_code == 200 and ok.json()["name"] == "Renamed"


async def test_inactive_courses_are_seen_by_admins_and_their_trainers_only(api: Api) -> None:
    hidden = await course(api, "Hidden", program=PROGRAM_A, is_active=False)
    t = await tree(api, hidden["id"])
    shown = await course(api, "Shown")
    for user in (ADMIN, TRAINER_A):
        assert (await api("GET", f"courses/{hidden['id']}/", user)).status_code == 200
        listed = await _ok(await api("GET", "courses/", user))
        assert {c["name"] for c in listed["results"]} == {"Hidden", "Shown"}
    for user in (TRAINER_B, STUDENT, SUPERVISOR, ASSOC):
        assert (await api("GET", f"courses/{hidden['id']}/", user)).status_code == 404
        listed = await _ok(await api("GET", "courses/", user))
        assert [c["name"] for c in listed["results"]] == ["Shown"]
        for path, key in (
            ("units", "unit"),
            ("sections", "section"),
            ("lessons", "lesson"),
            ("practice", "practice"),
            ("questions", "question"),
        ):
            assert (await api("GET", f"{path}/{t[key]['id']}/", user)).status_code == 404
            assert (await _ok(await api("GET", f"{path}/", user)))["count"] == 0
        # a hidden course's content cannot be written either (it does not exist for them)
        assert (await api("GET", f"courses/{hidden['id']}/units/", user)).status_code == 404
    refused = await api("POST", "units/", TRAINER_B, json={"course": hidden["id"], "name": "U"})
    assert refused.status_code == 400 and "course" in refused.json()
    assert shown["is_active"]


def _secrets(node: Any) -> list[str]:
    found = []
    if isinstance(node, dict):
        found += [k for k in node if k in ("is_correct", "explanation")]
        for value in node.values():
            found += _secrets(value)
    elif isinstance(node, list):
        for value in node:
            found += _secrets(value)
    return found


async def test_learners_never_see_answers(api: Api) -> None:
    c = await course(api)
    t = await tree(api, c["id"])
    unready = await _ok(
        await api(
            "POST",
            "questions/",
            json={"practice": t["practice"]["id"], "question_text": "Not ready yet"},
        ),
        201,
    )
    await _ok(
        await api(
            "POST", "question-options/", json={"question": unready["id"], "option_text": "Only one"}
        ),
        201,
    )
    urls = [
        f"courses/{c['id']}/",
        f"units/{t['unit']['id']}/",
        f"sections/{t['section']['id']}/",
        f"practice/{t['practice']['id']}/",
        f"questions/{t['question']['id']}/",
        f"question-options/{t['options'][0]['id']}/",
        "units/",
        "sections/",
        "practice/",
        "questions/",
        "question-options/",
        f"practice/{t['practice']['id']}/questions/",
        f"questions/{t['question']['id']}/options/",
    ]
    for url in urls:
        body = await _ok(await api("GET", url, STUDENT))
        assert _secrets(body) == [], url
        assert _secrets(await _ok(await api("GET", url, TRAINER_B))) != [] or "option" in url
    practice = await _ok(await api("GET", f"practice/{t['practice']['id']}/", STUDENT))
    assert [q["id"] for q in practice["questions"]] == [t["question"]["id"]]  # not the unready
    assert (await api("GET", f"questions/{unready['id']}/", STUDENT)).status_code == 404
    questions = await _ok(await api("GET", "questions/", STUDENT))
    assert questions["count"] == 1
    admin_view = await _ok(await api("GET", f"practice/{t['practice']['id']}/"))
    assert len(admin_view["questions"]) == 2
    assert READERS


async def _pdf_lesson(
    api: Api, *, program: int | None = None, active: bool = True
) -> dict[str, Any]:
    c = await course(api, f"PDF course {program}-{active}", program=program, is_active=active)
    unit = await _ok(await api("POST", "units/", json={"course": c["id"], "name": "U"}), 201)
    section = await _ok(await api("POST", "sections/", json={"unit": unit["id"], "name": "S"}), 201)
    return await _ok(  # type: ignore[no-any-return]
        await api(
            "POST",
            "lessons/",
            data={
                "section": str(section["id"]),
                "title": "Raccourcis clavier",
                "lesson_type": "pdf",
            },
            files={"pdf_file": ("r.pdf", PDF, "application/pdf")},
        ),
        201,
    )


async def test_pdf_links_work_without_a_token_and_expire(
    api: Api, client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    lesson = await _pdf_lesson(api)
    link = lesson["pdf_file"].removeprefix("http://testserver")
    plain = await client.get(link)  # no Authorization header: a new browser tab
    assert plain.status_code == 200, plain.text
    assert plain.content == PDF and plain.headers["content-type"] == "application/pdf"
    assert plain.headers["content-disposition"].startswith(
        'inline; filename="Raccourcis clavier.pdf"'
    )
    # the student's own link works too
    student_link = (await _ok(await api("GET", f"lessons/{lesson['id']}/", STUDENT)))["pdf_file"]
    assert (await client.get(student_link.removeprefix("http://testserver"))).status_code == 200

    other = await _pdf_lesson(api, program=PROGRAM_A)
    query = urlsplit(link).query
    wrong_lesson = await client.get(f"/api/courses/lessons/{other['id']}/pdf_proxy/?{query}")
    assert wrong_lesson.status_code == 403
    params = parse_qs(query)
    tampered = await client.get(
        f"/api/courses/lessons/{lesson['id']}/pdf_proxy/"
        f"?expires={int(params['expires'][0]) + 3600}&signature={params['signature'][0]}"
    )
    assert tampered.status_code == 403
    expired_query, _ = content_app.state.pdf_links.sign(lesson["id"], "x", now=0)
    expired = await client.get(f"/api/courses/lessons/{lesson['id']}/pdf_proxy/?{expired_query}")
    assert expired.status_code == 403
    # no link: a token is needed, and the caller must be allowed to read the lesson
    assert (await client.get(f"/api/courses/lessons/{lesson['id']}/pdf_proxy/")).status_code == 401
    proxied = await api("GET", f"lessons/{lesson['id']}/pdf_proxy/", STUDENT)
    assert proxied.status_code == 200 and proxied.content == PDF
    hidden = await _pdf_lesson(api, program=PROGRAM_A, active=False)
    assert (await api("GET", f"lessons/{hidden['id']}/pdf_proxy/", STUDENT)).status_code == 404
    assert (await api("GET", f"lessons/{hidden['id']}/pdf_proxy/", TRAINER_A)).status_code == 200
    # a replaced file voids the old links
    await _ok(
        await api(
            "PATCH",
            f"lessons/{lesson['id']}/",
            files={"pdf_file": ("new.pdf", PDF + b"\n", "application/pdf")},
            data={"title": "Raccourcis"},
        )
    )
    assert (await client.get(link)).status_code == 403
    # the media route never serves a PDF
    key = "content/pdfs/anything.pdf"
    assert (await client.get(f"/api/courses/media/{key}")).status_code == 404


async def test_pdf_proxy_of_a_lesson_that_is_not_a_pdf(api: Api) -> None:
    c = await course(api)
    t = await tree(api, c["id"])
    assert (await api("GET", f"lessons/{t['lesson']['id']}/pdf_proxy/")).status_code == 404
    assert (await api("GET", "lessons/999999/pdf_proxy/")).status_code == 404
