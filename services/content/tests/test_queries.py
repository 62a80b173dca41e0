"""A course's whole tree, and every list, in a constant number of SQL statements."""

from __future__ import annotations

from fastapi import FastAPI

from entraide_stack.testing.queries import count_queries

from .conftest import ADMIN, STUDENT, TRAINER_A, Api
from .test_courses import _ok, course


async def _build(api: Api, name: str, n: int) -> int:
    """A course of n units x n sections x n lessons, each section with a practice of
    n questions of two options."""
    c = await course(api, name)
    for u in range(n):
        unit = await _ok(
            await api("POST", "units/", json={"course": c["id"], "name": f"U{u}"}), 201
        )
        for s in range(n):
            section = await _ok(
                await api("POST", "sections/", json={"unit": unit["id"], "name": f"S{s}"}), 201
            )
            for lesson in range(n):
                await _ok(
                    await api(
                        "POST",
                        "lessons/",
                        json={
                            "section": section["id"],
                            "title": f"L{lesson}",
                            "lesson_type": "text",
                            "text_content": "x",
                        },
                    ),
                    201,
                )
            practice = await _ok(
                await api("POST", "practice/", json={"section": section["id"]}), 201
            )
            for q in range(n):
                question = await _ok(
                    await api(
                        "POST",
                        "questions/",
                        json={"practice": practice["id"], "question_text": f"Q{q}"},
                    ),
                    201,
                )
                for o in range(2):
                    await _ok(
                        await api(
                            "POST",
                            "question-options/",
                            json={
                                "question": question["id"],
                                "option_text": f"O{o}",
                                "is_correct": o == 0,
                            },
                        ),
                        201,
                    )
    return int(c["id"])


async def test_course_detail_and_lists_in_constant_statements(
    api: Api, content_app: FastAPI
) -> None:
    small = await _build(api, "Small", 1)
    large = await _build(api, "Large", 5)
    engine = content_app.state.db.engine
    for user in (ADMIN, TRAINER_A, STUDENT):
        counts = []
        for course_id in (small, large):
            with count_queries(engine) as counter:
                detail = await _ok(await api("GET", f"courses/{course_id}/", user))
            counts.append(counter.count)
        assert counts[0] == counts[1], (user, counts)
        assert counts[1] <= 9, counts
        assert detail["units_count"] == 5
        assert [len(u["sections"]) for u in detail["units"]] == [5] * 5
        section = detail["units"][4]["sections"][4]
        assert [lesson["title"] for lesson in section["lessons"]] == [f"L{i}" for i in range(5)]
        assert len(section["practice"]["questions"]) == 5
    for url in (
        "courses/",
        "units/",
        "sections/",
        "lessons/",
        "practice/",
        "questions/",
        "question-options/",
    ):
        sizes = []
        for page_size in (1, 25):
            with count_queries(engine) as counter:
                await _ok(await api("GET", f"{url}?page_size={page_size}"))
            sizes.append(counter.count)
        assert sizes[0] == sizes[1], (url, sizes)
