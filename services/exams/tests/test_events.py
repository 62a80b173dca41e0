"""The exams service's events, end to end through NATS (issue 19): questions,
exams and submissions (results) as their last event on the stream says."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from fastapi import FastAPI
from nats.js.errors import NotFoundError

from entraide_kit.events.envelope import STREAM

from .conftest import ADMIN, PROGRAM_A, STUDENT_A, TRAINER_A, Api
from .test_exams import _bank

SINCE: dict[str, int] = {}


async def _last(app: FastAPI, subject: str, until: Any, timeout: float = 30.0) -> dict[str, Any]:
    """The subject's last event published during this test, once ``until(event)``
    holds (the relay publishes after the commit; ids start again in every test)."""
    js = await app.state.nats.ready()
    deadline = time.monotonic() + timeout
    while True:
        try:
            msg = await js.get_last_msg(STREAM, subject)
            event: dict[str, Any] = orjson.loads(msg.data)
            if (msg.seq or 0) > SINCE["seq"] and until(event):
                return event
        except NotFoundError:
            pass
        assert time.monotonic() < deadline, f"no such event on {subject}"
        await asyncio.sleep(0.1)


async def test_questions_exams_and_results_are_published(api: Api, exams_app: FastAPI) -> None:
    js = await exams_app.state.nats.ready()
    SINCE["seq"] = (await js.stream_info(STREAM)).state.last_seq
    ids = await _bank(api)
    question = await _last(exams_app, f"entraide.exams.question.{ids[0]}", lambda e: True)
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

    exam = await _last(
        exams_app, f"entraide.exams.exam.{eid}", lambda e: e["data"]["status"] == "completed"
    )
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
        if (msg.seq or 0) > SINCE["seq"] and data and data["exam"] == eid:
            results[data["question"]] = data
    assert set(results) == set(ids[:2])
    assert results[ids[0]]["points"] == 2.0 and results[ids[1]]["points"] == 0.0
    assert all("answer" not in r and r["student"] == STUDENT_A for r in results.values())

    assert (await api("DELETE", f"{eid}/", ADMIN)).status_code == 204
    gone = await _last(exams_app, f"entraide.exams.exam.{eid}", lambda e: e["op"] == "delete")
    assert gone["version"] == exam["version"] + 1
    for r in results.values():
        await _last(
            exams_app, f"entraide.exams.submission.{r['id']}", lambda e: e["op"] == "delete"
        )
