"""Weekly templates: the contract's shape, validation, conflicts (also under a race),
scoping, lists."""

from __future__ import annotations

import asyncio
from datetime import time
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from schedule_service import service

from .conftest import (
    ADMIN,
    CENTER_A,
    CENTER_B,
    COURSE_A,
    COURSE_A2,
    COURSE_B,
    GROUP_A1,
    GROUP_A2,
    GROUP_B1,
    ROOM_A1,
    ROOM_A2,
    ROOM_B1,
    SESSIONS,
    STUDENT,
    SUP_A,
    SUP_B,
    TRAINER,
    TRAINER_2,
    TRAINER_B,
    TRAINER_IDLE,
    YEAR,
    Api,
    create,
    outbox,
    template,
)

CONTRACT_KEYS = {
    "id",
    "day",
    "start_time",
    "end_time",
    "academic_year",
    "is_active",
    "trainer",
    "trainer_details",
    "room",
    "room_details",
    "group",
    "group_details",
    "training_course",
    "training_course_details",
    "created_at",
    "updated_at",
}


async def test_create_answers_the_contract_shape(api: Api, schedule_app: FastAPI) -> None:
    body = await create(api)
    assert set(body) == CONTRACT_KEYS
    assert body["day"] == "Monday" and body["start_time"] == "08:30:00"
    assert body["end_time"] == "10:30:00" and body["academic_year"] == YEAR
    assert body["trainer_details"] == {
        "id": TRAINER,
        "first_name": "Ahmed",
        "last_name": "Benali",
        "email": "ahmed.benali@entraide.ma",
        "full_name": "Ahmed Benali",
    }
    assert body["room_details"] == {
        "id": ROOM_A1,
        "name": "Classroom A1",
        "type": "classroom",
        "capacity": 30,
    }
    assert body["group_details"] == {
        "id": GROUP_A1,
        "name": "Group Alpha",
        "description": "Advanced programming group",
    }
    assert body["training_course_details"] == {
        "id": COURSE_A,
        "program": {"name": "Web Development", "duration_years": 2},
        "center": {"name": "Rabat Training Center"},
        "academic_year": YEAR,
    }
    got = await api("GET", f"{SESSIONS}{body['id']}/", STUDENT)
    assert got.status_code == 200 and got.json() == body
    (event,) = await outbox(schedule_app, "session")
    assert event["op"] == "upsert" and event["version"] == 1
    assert event["data"] == {
        "id": body["id"],
        "day": "Monday",
        "start_time": "08:30:00",
        "end_time": "10:30:00",
        "academic_year": YEAR,
        "trainer": TRAINER,
        "room": ROOM_A1,
        "group": GROUP_A1,
        "training_course": COURSE_A,
        "center": CENTER_A,
        "is_active": True,
    }
    # Room and group are optional.
    bare = await create(api, room=None, group=None, day="Tuesday")
    assert bare["room"] is None and bare["room_details"] is None and bare["group_details"] is None


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"end_time": "08:30:00"}, {"end_time": ["End time must be after start time."]}),
        ({"end_time": "08:00:00"}, {"end_time": ["End time must be after start time."]}),
        ({"day": "Funday"}, {"day": ['"Funday" is not a valid choice.']}),
        ({"start_time": "25:00"}, None),
        ({"trainer": STUDENT}, {"trainer": ["The trainer must be a user with the role trainer."]}),
        ({"trainer": TRAINER_IDLE}, {"trainer": ["The trainer must be an active user."]}),
        ({"trainer": 999}, {"trainer": ['Invalid pk "999" - object does not exist.']}),
        ({"room": 999}, {"room": ['Invalid pk "999" - object does not exist.']}),
        ({"group": 999}, {"group": ['Invalid pk "999" - object does not exist.']}),
        (
            {"training_course": 999},
            {"training_course": ['Invalid pk "999" - object does not exist.']},
        ),
        ({"room": ROOM_B1}, {"room": ["The room must belong to the training course's center."]}),
        (
            {"group": GROUP_B1},
            {"group": ["The group must belong to the training course's center."]},
        ),
        ({"academic_year": "2024-2026"}, None),
        ({"trainer": ...}, {"trainer": ["This field is required."]}),
    ],
)
async def test_validation(api: Api, overrides: dict[str, Any], expected: Any) -> None:
    resp = await api("POST", SESSIONS, json=template(**overrides))
    assert resp.status_code == 400, resp.text
    if expected is not None:
        assert resp.json() == expected
    else:
        assert set(resp.json()) == set(overrides)


KINDS = {
    # kind: (overrides making the second template share only that, message)
    "trainer": (
        {"room": ROOM_A2, "group": GROUP_A2},
        "Trainer Ahmed Benali already has a session on Monday at 08:30:00",
    ),
    "room": (
        {"trainer": TRAINER_2, "group": GROUP_A2},
        "Room Classroom A1 is already booked on Monday at 08:30:00",
    ),
    "group": (
        {"trainer": TRAINER_2, "room": ROOM_A2},
        "Group Group Alpha already has a session on Monday at 08:30:00",
    ),
}
OVERLAPS = {
    "same": ("08:30:00", "10:30:00"),
    "contained": ("09:00:00", "10:00:00"),
    "containing": ("08:00:00", "11:00:00"),
    "straddling the start": ("08:00:00", "09:00:00"),
    "straddling the end": ("10:00:00", "11:00:00"),
    "same start": ("08:30:00", "09:00:00"),
}


@pytest.mark.parametrize("kind", list(KINDS))
async def test_overlaps_conflict_touching_does_not(api: Api, kind: str) -> None:
    await create(api)  # Monday 08:30-10:30, trainer, Classroom A1, Group Alpha
    shared_only, message = KINDS[kind]
    for case, (start, end) in OVERLAPS.items():
        resp = await api(
            "POST", SESSIONS, json=template(start_time=start, end_time=end, **shared_only)
        )
        assert resp.status_code == 400, (case, resp.text)
        assert resp.json() == {"non_field_errors": [message]}, case
    # Touching end-to-start on either side is allowed; so are another day and another year.
    for start, end, extra in (
        ("10:30:00", "12:00:00", {}),
        ("07:00:00", "08:30:00", {}),
        ("08:30:00", "10:30:00", {"day": "Tuesday"}),
        ("08:30:00", "10:30:00", {"academic_year": "2025-2026"}),
    ):
        resp = await api(
            "POST",
            SESSIONS,
            json=template(start_time=start, end_time=end, **shared_only, **extra),
        )
        assert resp.status_code == 201, (start, end, extra, resp.text)


async def test_every_shared_resource_is_named(api: Api) -> None:
    await create(api)
    resp = await api("POST", SESSIONS, json=template(start_time="09:00:00"))
    assert resp.json() == {
        "non_field_errors": [
            "Trainer Ahmed Benali already has a session on Monday at 08:30:00",
            "Room Classroom A1 is already booked on Monday at 08:30:00",
            "Group Group Alpha already has a session on Monday at 08:30:00",
        ]
    }


async def test_inactive_templates_do_not_conflict(api: Api) -> None:
    first = await create(api)
    idle = await create(api, is_active=False)
    assert idle["is_active"] is False
    resp = await api("PATCH", f"{SESSIONS}{idle['id']}/", json={"is_active": True})
    assert resp.status_code == 400 and "non_field_errors" in resp.json()
    assert (
        await api("PATCH", f"{SESSIONS}{first['id']}/", json={"is_active": False})
    ).status_code == 200
    resp = await api("PATCH", f"{SESSIONS}{idle['id']}/", json={"is_active": True})
    assert resp.status_code == 200 and resp.json()["is_active"] is True


async def test_update_checks_against_the_others_not_itself(api: Api, schedule_app: FastAPI) -> None:
    first = await create(api)
    second = await create(api, start_time="11:00:00", end_time="12:00:00")
    url = f"{SESSIONS}{first['id']}/"
    moved = await api("PATCH", url, json={"start_time": "09:00:00", "end_time": "11:00:00"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["start_time"] == "09:00:00"
    clash = await api("PATCH", url, json={"end_time": "11:30:00"})
    assert clash.status_code == 400
    assert clash.json()["non_field_errors"][0].endswith("on Monday at 11:00:00")
    put = await api("PUT", url, json=template(day="Wednesday"))
    assert put.status_code == 200 and put.json()["day"] == "Wednesday"
    assert (await api("PATCH", url, json={"day": None})).json() == {
        "day": ["This field may not be null."]
    }
    versions = [
        e["version"] for e in await outbox(schedule_app, "session") if e["id"] == first["id"]
    ]
    assert versions == [1, 2, 3]
    assert second["id"] != first["id"]


async def test_the_database_refuses_an_overlap_the_code_did_not_check(
    api: Api, schedule_app: FastAPI
) -> None:
    await create(api)
    insert = text(
        "INSERT INTO schedule_sessions (day, start_time, end_time, academic_year, trainer_id,"
        " room_id, group_id, training_course_id) VALUES ('Monday', :s, :e, :y, :t, :r, :g, :c)"
    )
    cases = {
        "ex_schedule_sessions_trainer": {"t": TRAINER, "r": None, "g": None},
        "ex_schedule_sessions_room": {"t": TRAINER_2, "r": ROOM_A1, "g": None},
        "ex_schedule_sessions_group": {"t": TRAINER_2, "r": None, "g": GROUP_A1},
    }
    for constraint, who in cases.items():
        async with schedule_app.state.db.session() as s:
            with pytest.raises(IntegrityError) as caught:
                await s.execute(
                    insert, {"s": time(10), "e": time(11), "y": YEAR, "c": COURSE_A, **who}
                )
            assert constraint in str(caught.value)
    async with schedule_app.state.db.session() as s, s.begin():
        # Touching is no overlap.
        touching = {"t": TRAINER, "r": ROOM_A1, "g": GROUP_A1}
        await s.execute(
            insert, {"s": time(10, 30), "e": time(11), "y": YEAR, "c": COURSE_A, **touching}
        )


async def test_twenty_concurrent_conflicting_creates_save_exactly_one(
    api: Api, schedule_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusals: list[str | None] = []
    real = service.violated_constraint

    def spy(exc: BaseException) -> str | None:
        refusals.append(real(exc))
        return refusals[-1]

    monkeypatch.setattr(service, "violated_constraint", spy)
    bodies = [
        template(start_time=f"{8 + i % 3:02d}:{(i * 7) % 60:02d}:00", end_time="11:30:00")
        for i in range(20)
    ]
    answers = await asyncio.gather(*(api("POST", SESSIONS, json=b) for b in bodies))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [400] * 19, [a.text for a in answers if a.status_code != 400]
    for refused in (a for a in answers if a.status_code == 400):
        messages = refused.json()["non_field_errors"]
        assert messages[0].startswith("Trainer Ahmed Benali already has a session on Monday at")
    async with schedule_app.state.db.session() as s:
        count = (await s.execute(text("SELECT count(*) FROM schedule_sessions"))).scalar_one()
    assert count == 1
    assert len(await outbox(schedule_app, "session")) == 1
    # Some passed the check before the winner committed: the constraint stopped them.
    assert refusals and set(refusals) <= {
        "ex_schedule_sessions_trainer",
        "ex_schedule_sessions_room",
        "ex_schedule_sessions_group",
    }


async def test_roles_and_scoping(api: Api) -> None:
    mine = await create(api, SUP_A)
    assert (
        await api(
            "POST",
            SESSIONS,
            SUP_A,
            json=template(training_course=COURSE_B, room=ROOM_B1, group=GROUP_B1, day="Friday"),
        )
    ).status_code == 403
    assert (await api("POST", SESSIONS, TRAINER, json=template(day="Friday"))).status_code == 403
    assert (await api("POST", SESSIONS, STUDENT, json=template(day="Friday"))).status_code == 403
    assert (await api("POST", SESSIONS, None, json=template(day="Friday"))).status_code == 401
    url = f"{SESSIONS}{mine['id']}/"
    assert (await api("PATCH", url, SUP_B, json={"day": "Friday"})).status_code == 403
    assert (await api("DELETE", url, SUP_B)).status_code == 403
    assert (await api("DELETE", url, TRAINER)).status_code == 403
    assert (await api("PATCH", f"{SESSIONS}999/", TRAINER, json={"day": "x"})).status_code == 403
    assert (await api("POST", SESSIONS, STUDENT, json={})).status_code == 403
    # Moving a template into a centre the supervisor does not supervise.
    moved = await api(
        "PATCH",
        url,
        SUP_A,
        json={"training_course": COURSE_B, "room": ROOM_B1, "group": GROUP_B1},
    )
    assert moved.status_code == 403
    for reader in (STUDENT, TRAINER, SUP_B):
        assert (await api("GET", url, reader)).status_code == 200
        assert (await api("GET", SESSIONS, reader)).json()["count"] == 1
    ok = await api("PATCH", url, SUP_A, json={"training_course": COURSE_A2})
    assert ok.status_code == 200
    assert ok.json()["training_course_details"]["program"]["name"] == "Electricity"
    assert (await api("DELETE", url, SUP_A)).status_code == 204
    assert (await api("GET", url)).status_code == 404


async def test_lists_order_filters_and_by_endpoints(api: Api) -> None:
    a = await create(api, day="Wednesday", start_time="14:00:00", end_time="15:00:00")
    b = await create(api, day="Monday", start_time="10:30:00", end_time="12:00:00")
    c = await create(api, day="Monday", start_time="08:00:00", end_time="09:00:00")
    d = await create(
        api,
        day="Sunday",
        trainer=TRAINER_B,
        training_course=COURSE_B,
        room=ROOM_B1,
        group=GROUP_B1,
    )
    e = await create(api, day="Tuesday", trainer=TRAINER_2, room=None, group=GROUP_A2)
    ids = [r["id"] for r in (await api("GET", SESSIONS)).json()["results"]]
    assert ids == [c["id"], b["id"], e["id"], a["id"], d["id"]]
    desc = (await api("GET", SESSIONS, params={"ordering": "-day"})).json()["results"]
    assert desc[0]["id"] == d["id"]

    async def listed(**params: Any) -> list[int]:
        resp = await api("GET", SESSIONS, params=params)
        assert resp.status_code == 200, resp.text
        return [r["id"] for r in resp.json()["results"]]

    assert await listed(day="Monday") == [c["id"], b["id"]]
    assert await listed(trainer=TRAINER_2) == [e["id"]]
    assert await listed(center=CENTER_B) == [d["id"]]
    assert await listed(group=GROUP_A2) == [e["id"]]
    assert await listed(search="Bouchra") == [d["id"]]
    assert (await api("GET", SESSIONS, params={"day": "Someday"})).status_code == 400

    async def by(action: str, **params: Any) -> list[int]:
        resp = await api("GET", f"{SESSIONS}{action}/", STUDENT, params=params)
        assert resp.status_code == 200, resp.text
        return [r["id"] for r in resp.json()]

    assert await by("by_trainer", trainer_id=TRAINER) == [c["id"], b["id"], a["id"]]
    assert await by("by_center", center_id=CENTER_A) == [c["id"], b["id"], e["id"], a["id"]]
    assert await by("by_group", group_id=GROUP_B1) == [d["id"]]
    missing = await api("GET", f"{SESSIONS}by_trainer/")
    assert missing.status_code == 400 and missing.json() == {
        "trainer_id": ["This field is required."]
    }
    assert (await api("GET", f"{SESSIONS}by_center/", params={"center_id": "x"})).status_code == 400


async def test_check_conflicts_saves_nothing(api: Api) -> None:
    existing = await create(api)
    url = f"{SESSIONS}check_conflicts/"
    candidate = {
        "trainer_id": TRAINER,
        "room_id": ROOM_A1,
        "group_id": None,
        "day": "Monday",
        "start_time": "09:00:00",
        "end_time": "09:30:00",
        "academic_year": YEAR,
    }
    resp = await api("POST", url, json=candidate)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["has_conflicts"] is True
    assert [(c["type"], c["session"]["id"]) for c in body["conflicts"]] == [
        ("trainer", existing["id"]),
        ("room", existing["id"]),
    ]
    assert body["conflicts"][0]["message"] == (
        "Trainer Ahmed Benali already has a session on Monday at 08:30:00"
    )
    alone = await api("POST", url, json={**candidate, "exclude_id": existing["id"]})
    assert alone.json() == {"has_conflicts": False, "conflicts": []}
    later = await api("POST", url, json={**candidate, "start_time": "10:30", "end_time": "11:00"})
    assert later.json()["has_conflicts"] is False
    assert (await api("POST", url, TRAINER, json=candidate)).status_code == 403
    bad = await api("POST", url, json={**candidate, "end_time": "08:00:00"})
    assert bad.status_code == 400
    assert (await api("GET", SESSIONS)).json()["count"] == 1


async def test_delete_publishes_the_template_and_its_instances(
    api: Api, schedule_app: FastAPI
) -> None:
    body = await create(api)
    gen = await api(
        "POST",
        "/api/schedule/api/instances/generate_for_week/",
        json={"start_date": "2024-06-10", "academic_year": YEAR},
    )
    (instance,) = gen.json()["instances"]
    assert (await api("DELETE", f"{SESSIONS}{body['id']}/")).status_code == 204
    sessions = await outbox(schedule_app, "session")
    assert sessions[-1]["op"] == "delete" and sessions[-1]["version"] == 2
    instances = await outbox(schedule_app, "instance")
    assert [(e["id"], e["op"], e["version"]) for e in instances] == [
        (instance["id"], "upsert", 1),
        (instance["id"], "delete", 2),
    ]
    gone = await api("GET", f"/api/schedule/api/instances/{instance['id']}/")
    assert gone.status_code == 404
    assert CENTER_A != CENTER_B and ADMIN
