"""What the schedule service publishes when templates change, and what it does with the
events it consumes."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text

from entraide_kit.events import Envelope
from schedule_service import handlers

from .conftest import (
    CENTER_A,
    CENTER_B,
    COURSE_A,
    ROOM_A2,
    SESSIONS,
    TRAINER_2,
    Api,
    create,
    outbox,
)

GENERATE = "/api/schedule/api/instances/generate_for_week/"


async def _generate(api: Api) -> list[dict[str, object]]:
    resp = await api(
        "POST", GENERATE, json={"start_date": "2024-06-10", "academic_year": "2024-2025"}
    )
    assert resp.status_code == 200, resp.text
    return list(resp.json()["instances"])


async def test_a_template_change_republishes_its_instances(api: Api, schedule_app: FastAPI) -> None:
    tpl = await create(api)
    (instance,) = await _generate(api)
    # A change its instances do not show: no instance event.
    await api("PATCH", f"{SESSIONS}{tpl['id']}/", json={"is_active": True})
    assert len(await outbox(schedule_app, "instance")) == 1
    resp = await api(
        "PATCH",
        f"{SESSIONS}{tpl['id']}/",
        json={"trainer": TRAINER_2, "room": ROOM_A2, "start_time": "09:00"},
    )
    assert resp.status_code == 200, resp.text
    last = (await outbox(schedule_app, "instance"))[-1]
    assert last["id"] == instance["id"] and last["version"] == 2
    assert last["data"]["effective_trainer"] == TRAINER_2
    assert last["data"]["effective_room"] == ROOM_A2
    assert last["data"]["effective_start_time"] == "09:00:00"
    sessions = await outbox(schedule_app, "session")
    assert [e["version"] for e in sessions] == [1, 2, 3]


async def test_a_course_moved_to_another_centre_moves_its_templates(
    api: Api, schedule_app: FastAPI
) -> None:
    tpl = await create(api)
    other = await create(api, training_course=8, day="Friday")
    (instance, _) = await _generate(api)
    snapshot = {
        "id": COURSE_A,
        "program": 1,
        "program_name": "Web Development (new)",
        "program_duration_years": 3,
        "center": CENTER_B,
        "center_name": "Fes Training Center",
        "academic_year": "2024-2025",
        "trainer": 4,
    }
    envelope = Envelope(
        subject=f"entraide.programs.trainingcourse.{COURSE_A}",
        producer="programs",
        entity="trainingcourse",
        id=COURSE_A,
        op="upsert",
        version=2,
        data=snapshot,
    )
    handler = next(s.handler for s in handlers.SUBSCRIPTIONS if "trainingcourse" in s.subject)
    async with schedule_app.state.db.session() as s, s.begin():
        await handler(s, envelope)
    got = (await api("GET", f"{SESSIONS}{tpl['id']}/")).json()
    assert got["training_course_details"]["program"] == {
        "name": "Web Development (new)",
        "duration_years": 3,
    }
    assert got["training_course_details"]["center"] == {"name": "Fes Training Center"}
    by_center = await api("GET", f"{SESSIONS}by_center/", params={"center_id": CENTER_B})
    assert [t["id"] for t in by_center.json()] == [tpl["id"]]
    moved = (await outbox(schedule_app, "session"))[-1]
    assert moved["id"] == tpl["id"] and moved["data"]["center"] == CENTER_B
    assert moved["version"] == 2
    last = (await outbox(schedule_app, "instance"))[-1]
    assert last["id"] == instance["id"] and last["data"]["center"] == CENTER_B
    # The same event again moves nothing more; the other course's template stayed.
    async with schedule_app.state.db.session() as s, s.begin():
        await handler(s, envelope)
    assert len(await outbox(schedule_app, "session")) == 3
    async with schedule_app.state.db.session() as s:
        center = (
            await s.execute(
                text("SELECT center_id FROM schedule_sessions WHERE id = :i"), {"i": other["id"]}
            )
        ).scalar_one()
    assert center == CENTER_A
    # A deleted course leaves its templates, shown with empty course names (never null).
    async with schedule_app.state.db.session() as s, s.begin():
        await handler(s, envelope.model_copy(update={"op": "delete", "data": None, "version": 3}))
    got = (await api("GET", f"{SESSIONS}{tpl['id']}/")).json()
    assert got["training_course"] == COURSE_A
    assert got["training_course_details"] == {
        "id": COURSE_A,
        "program": {"name": "", "duration_years": None},
        "center": {"name": ""},
        "academic_year": "",
    }
