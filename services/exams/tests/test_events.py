"""The exams service's events, end to end through NATS (issue 19): questions,
exams and submissions (results) as their last event on the stream says."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI
from nats.js.errors import NotFoundError

from entraide_kit.events.envelope import STREAM
from entraide_stack.testing.stream import event, last_event, last_seq

from .conftest import ADMIN, PROGRAM_A, STUDENT_A, TRAINER_A, Api
from .test_exams import _bank


async def test_questions_exams_and_results_are_published(api: Api, exams_app: FastAPI) -> None:
    js = await exams_app.state.nats.ready()
    since = await last_seq(js)  # ids start again in every test: only what this one publishes

    async def last(subject: str, until: Any = lambda e: True) -> dict[str, Any]:
        return event(await last_event(js, subject, since=since, until=until))

    ids = await _bank(api)
    question = await last(f"entraide.exams.question.{ids[0]}")
    assert question["op"] == "upsert" and question["data"]["question_text"] == "Capital of Morocco?"
    assert "correct_answer" not in question["data"]

    body = {"exam_type": "term1_theory", "student": STUDENT_A, "training": PROGRAM_A}
    body |= {"questions": ids[:2], "title": "Quiz"}
    eid = (await api("POST", "", TRAINER_A, json=body)).json()["id"]
    await api("PUT", f"{eid}/", TRAINER_A, json={**body, "status": "published"})
    answers = [{"question": ids[0], "answer": "Rabat"}, {"question": ids[1], "answer": True}]
    submitted = await api("POST", f"{eid}/submit/", STUDENT_A, json={"answers": answers})
    assert submitted.status_code == 200, submitted.text
    done = await api("PUT", f"{eid}/", TRAINER_A, json={**body, "status": "completed"})
    assert done.status_code == 200, done.text

    exam = await last(f"entraide.exams.exam.{eid}", lambda e: e["data"]["status"] == "completed")
    assert exam["data"]["score"] == done.json()["score"]
    assert exam["data"]["questions"] == ids[:2] and exam["data"]["student"] == STUDENT_A
    assert exam["version"] >= 3  # created, published, completed

    results = {}
    for n in range(200):  # the exam's submissions, whatever their ids
        try:
            msg = await js.get_last_msg(STREAM, f"entraide.exams.submission.{n}")
        except NotFoundError:
            continue
        data = orjson.loads(msg.data)["data"]
        if (msg.seq or 0) > since and data and data["exam"] == eid:
            results[data["question"]] = data
    assert set(results) == set(ids[:2])
    assert results[ids[0]]["points"] == 2.0 and results[ids[1]]["points"] == 0.0
    assert all("answer" not in r and r["student"] == STUDENT_A for r in results.values())

    assert (await api("DELETE", f"{eid}/", ADMIN)).status_code == 204
    gone = await last(f"entraide.exams.exam.{eid}", lambda e: e["op"] == "delete")
    assert gone["version"] == exam["version"] + 1
    for r in results.values():
        await last(f"entraide.exams.submission.{r['id']}", lambda e: e["op"] == "delete")
