from __future__ import annotations

import json
from typing import Any

from .conftest import (
    ADMIN,
    ASSOC,
    PROGRAM_A,
    PROGRAM_B,
    STUDENT_A,
    STUDENT_B,
    SUP_A,
    SUP_B,
    TRAINER_A,
    TRAINER_B,
    WEEK_A,
    Api,
)

QUESTIONS = [
    {
        "type": "MCQ",
        "question_text": "Capital of Morocco?",
        "options": ["Rabat", "Fes"],
        "correct_answer": "Rabat",
        "points": 2,
    },
    {"type": "TF", "question_text": "HTML is a programming language.", "correct_answer": False},
    {
        "type": "FIB",
        "question_text": "The ___ tag makes a link.",
        "correct_answer": ["a", "anchor"],
    },
    {
        "type": "MA",
        "question_text": "Which are CSS units?",
        "options": ["px", "em", "kg"],
        "correct_answer": ["px", "em"],
        "points": 2,
    },
    {
        "type": "SA",
        "question_text": "What is the DOM?",
        "correct_answer": "The document object model",
        "points": 4,
    },
]


def no_correct_answer(payload: Any) -> bool:
    return "correct_answer" not in json.dumps(payload)


async def _bank(api: Api, who: int = TRAINER_A) -> list[int]:
    ids = []
    for q in QUESTIONS:
        resp = await api(
            "POST", "questions/", who, json={**q, "training": PROGRAM_A, "week": WEEK_A}
        )
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()["id"])
    return ids


async def test_question_bank_rules(api: Api) -> None:
    ids = await _bank(api)
    assert (
        await api("POST", "questions/", TRAINER_B, json={**QUESTIONS[0], "training": PROGRAM_A})
    ).status_code == 403
    bad = await api(
        "POST",
        "questions/",
        json={**QUESTIONS[0], "training": PROGRAM_A, "correct_answer": "Tanger"},
    )
    assert bad.status_code == 400 and "correct_answer" in bad.json()
    wrong_week = await api(
        "POST", "questions/", json={**QUESTIONS[1], "training": PROGRAM_B, "week": WEEK_A}
    )
    assert wrong_week.status_code == 400 and "week" in wrong_week.json()
    unknown = await api("POST", "questions/", json={**QUESTIONS[1], "training": 999})
    assert "training" in unknown.json()
    assert (await api("GET", "questions/", TRAINER_A)).json()["count"] == 5
    assert (await api("GET", "questions/", TRAINER_B)).json()["count"] == 0
    assert (await api("GET", "questions/", ADMIN, params={"type": "MCQ"})).json()["count"] == 1
    for who in (STUDENT_A, SUP_A, ASSOC):
        assert (await api("GET", "questions/", who)).status_code == 403
    assert (
        await api("PATCH", f"questions/{ids[0]}/", TRAINER_B, json={"points": 5})
    ).status_code == 403
    assert (await api("PATCH", f"questions/{ids[0]}/", ADMIN, json={"points": 3})).json()[
        "points"
    ] == 3
    assert (await api("DELETE", f"questions/{ids[1]}/", TRAINER_A)).status_code == 204


async def test_the_whole_life_of_an_exam(api: Api) -> None:
    ids = await _bank(api)
    body = {
        "exam_type": "term1_theory",
        "student": STUDENT_A,
        "training": PROGRAM_A,
        "questions": ids,
        "title": "Term 1",
    }
    created = await api("POST", "", TRAINER_A, json=body)
    assert created.status_code == 201, created.text
    exam = created.json()
    eid = exam["id"]
    assert exam["status"] == "draft" and exam["total_points"] == 10.0 and exam["questions"] == ids
    # A draft is not the student's to see; the wrong trainer or student type is refused.
    assert (await api("GET", f"{eid}/", STUDENT_A)).status_code == 404
    assert (await api("POST", "", TRAINER_B, json=body)).status_code == 403
    assert (
        await api("POST", "", TRAINER_A, json={**body, "student": TRAINER_B})
    ).status_code == 400
    assert (await api("POST", "", TRAINER_A, json={**body, "questions": [999]})).status_code == 400

    published = await api("PUT", f"{eid}/", TRAINER_A, json={**body, "status": "published"})
    assert published.json()["status"] == "published"
    seen = await api("GET", f"{eid}/", STUDENT_A)
    assert seen.status_code == 200 and no_correct_answer(seen.json())
    assert len(seen.json()["question_details"]) == 5
    assert (await api("GET", f"{eid}/", STUDENT_B)).status_code == 404

    answers = [
        {"question": ids[0], "answer": "Rabat"},
        {"question": ids[1], "answer": True},
        {"question": ids[2], "answer": "A"},
        {"question": ids[3], "answer": ["em", "px"]},
        {"question": ids[4], "answer": "A tree of the page's elements"},
    ]
    first = await api("POST", f"{eid}/submit/", STUDENT_A, json={"answers": answers[:2]})
    assert first.json() == {"submitted": 2, "graded": 2, "waiting_for_grade": 0}
    submitted = await api("POST", f"{eid}/submit/", STUDENT_A, json={"answers": answers})
    assert submitted.json() == {"submitted": 5, "graded": 4, "waiting_for_grade": 1}
    assert no_correct_answer(submitted.json())
    pending = await api("GET", f"{eid}/", STUDENT_A)
    assert all(a["points"] is None for a in pending.json()["answers"])  # not before completion
    assert (
        await api("POST", f"{eid}/submit/", STUDENT_B, json={"answers": answers})
    ).status_code == 404

    too_early = await api("PUT", f"{eid}/", TRAINER_A, json={**body, "status": "completed"})
    assert too_early.status_code == 400 and "status" in too_early.json()
    too_much = await api("POST", f"{eid}/grade/", TRAINER_A, json={"question": ids[4], "points": 5})
    assert too_much.status_code == 400
    graded = await api("POST", f"{eid}/grade/", TRAINER_A, json={"question": ids[4], "points": 3})
    assert graded.status_code == 200
    done = await api("PUT", f"{eid}/", TRAINER_A, json={**body, "status": "completed"})
    assert done.status_code == 200, done.text
    # earned: MCQ 2 + TF 0 + FIB 1 + MA 2 + SA 3 = 8 of 10
    assert done.json()["score"] == 80.0

    mine = await api("GET", "results/my-results/", STUDENT_A)
    assert [r["score"] for r in mine.json()] == [80.0] and no_correct_answer(mine.json())
    assert mine.json()[0]["earned_points"] == 8.0
    final = await api("GET", f"{eid}/", STUDENT_A)
    assert (
        no_correct_answer(final.json()) and sum(a["points"] for a in final.json()["answers"]) == 8.0
    )
    assert (
        await api("POST", f"{eid}/submit/", STUDENT_A, json={"answers": answers})
    ).status_code == 400
    for who, count in ((ADMIN, 1), (TRAINER_A, 1), (TRAINER_B, 0), (SUP_A, 1), (SUP_B, 0)):
        assert (await api("GET", "results/", who)).json()["count"] == count, who
    assert (await api("GET", "results/my-results/", TRAINER_A)).status_code == 403
    assert (await api("GET", "results/", STUDENT_A)).status_code == 403


async def test_roles_on_exams(api: Api) -> None:
    ids = await _bank(api)
    body = {
        "exam_type": "term2_practical",
        "student": STUDENT_A,
        "training": PROGRAM_A,
        "questions": ids[:2],
    }
    eid = (await api("POST", "", ADMIN, json=body)).json()["id"]
    assert (await api("GET", "", SUP_A)).json()["count"] == 1
    assert (await api("GET", "", SUP_B)).json()["count"] == 0
    assert (await api("GET", f"{eid}/", SUP_A)).status_code == 200
    assert (await api("PUT", f"{eid}/", SUP_A, json=body)).status_code == 403
    assert (await api("POST", "", SUP_A, json=body)).status_code == 403
    for who in (STUDENT_A, ASSOC):
        assert (await api("GET", "", who)).status_code == 403
    assert (await api("GET", "", None)).status_code == 401
    assert (await api("DELETE", f"{eid}/", TRAINER_B)).status_code == 404
    assert (await api("DELETE", f"{eid}/", TRAINER_A)).status_code == 204
    filtered = await api("GET", "", ADMIN, params={"status": "published"})
    assert filtered.json()["count"] == 0
