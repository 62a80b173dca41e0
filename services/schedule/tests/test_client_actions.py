"""The web client's weekly-template actions (trainers_by_center, groups_by_center,
trainer_schedule, group_schedule): active templates only, optional centre and year,
plain answers, the original backend's 400 for a missing id; scoped by role."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from .conftest import (
    ADMIN,
    ASSOC,
    CENTER_A,
    CENTER_B,
    COURSE_A,
    COURSE_A2,
    COURSE_B,
    GROUP_A1,
    GROUP_A2,
    GROUP_B1,
    ROOM_A2,
    ROOM_B1,
    SESSIONS,
    STUDENT,
    SUP_A,
    SUP_B,
    TRAINER,
    TRAINER_2,
    TRAINER_B,
    YEAR,
    Api,
    create,
)

TRAINERS = f"{SESSIONS}trainers_by_center/"
GROUPS = f"{SESSIONS}groups_by_center/"
TRAINER_SCHEDULE = f"{SESSIONS}trainer_schedule/"
GROUP_SCHEDULE = f"{SESSIONS}group_schedule/"
AHMED = {
    "id": TRAINER,
    "first_name": "Ahmed",
    "last_name": "Benali",
    "email": "ahmed.benali@entraide.ma",
    "full_name": "Ahmed Benali",
}
KARIMA = {
    "id": TRAINER_2,
    "first_name": "Karima",
    "last_name": "Kettani",
    "email": "karima.kettani@entraide.ma",
    "full_name": "Karima Kettani",
}
ALPHA = {
    "id": GROUP_A1,
    "name": "Group Alpha",
    "description": "Advanced programming group",
    "center": CENTER_A,
}


async def _timetables(api: Api) -> dict[str, Any]:
    """Centre A: Ahmed teaches Alpha twice (Monday, Tuesday) and, in another year,
    Beta; Karima teaches Beta, inactive, and a groupless course. Centre B: Bouchra
    teaches the Fes group."""
    return {
        "mon": await create(api),
        "tue": await create(api, day="Tuesday"),
        "next_year": await create(
            api, day="Thursday", group=GROUP_A2, room=None, academic_year="2025-2026"
        ),
        "inactive": await create(
            api, day="Wednesday", trainer=TRAINER_2, group=GROUP_A2, is_active=False
        ),
        "groupless": await create(
            api,
            day="Friday",
            trainer=TRAINER_2,
            group=None,
            room=ROOM_A2,
            training_course=COURSE_A2,
        ),
        "fes": await create(
            api,
            trainer=TRAINER_B,
            group=GROUP_B1,
            room=ROOM_B1,
            training_course=COURSE_B,
        ),
    }


async def test_trainers_by_center(api: Api) -> None:
    await _timetables(api)
    resp = await api("GET", TRAINERS, SUP_A, params={"center_id": CENTER_A, "academic_year": YEAR})
    assert resp.status_code == 200, resp.text
    # Distinct, by name; Karima counts through her active (groupless) template only.
    assert resp.json() == [AHMED, KARIMA]
    other_year = await api(
        "GET", TRAINERS, params={"center_id": CENTER_A, "academic_year": "2025-2026"}
    )
    assert other_year.json() == [AHMED]
    every_year = await api("GET", TRAINERS, params={"center_id": CENTER_A, "page_size": 1000})
    assert [t["id"] for t in every_year.json()] == [TRAINER, TRAINER_2]
    fes = await api("GET", TRAINERS, params={"center_id": CENTER_B})
    assert [t["id"] for t in fes.json()] == [TRAINER_B]
    assert (await api("GET", TRAINERS, params={"center_id": 999999})).json() == []


async def test_groups_by_center(api: Api) -> None:
    await _timetables(api)
    resp = await api("GET", GROUPS, SUP_A, params={"center_id": CENTER_A, "academic_year": YEAR})
    assert resp.status_code == 200, resp.text
    # Beta's template of this year is inactive; the groupless one names no group.
    assert resp.json() == [ALPHA]
    both = await api("GET", GROUPS, params={"center_id": CENTER_A})
    assert [g["id"] for g in both.json()] == [GROUP_A1, GROUP_A2]
    fes = await api("GET", GROUPS, SUP_B, params={"center_id": CENTER_B})
    assert fes.json() == [
        {
            "id": GROUP_B1,
            "name": "Group Fes",
            "description": "Advanced programming group",
            "center": CENTER_B,
        }
    ]


async def test_trainer_schedule(api: Api) -> None:
    made = await _timetables(api)
    own = await api(
        "GET", TRAINER_SCHEDULE, TRAINER, params={"trainer_id": TRAINER, "academic_year": YEAR}
    )
    assert own.status_code == 200, own.text
    body = own.json()
    assert set(body) == {"trainer", "schedules"} and body["trainer"] == AHMED
    assert [s["id"] for s in body["schedules"]] == [made["mon"]["id"], made["tue"]["id"]]
    assert body["schedules"][0] == made["mon"]
    # Without a year (and page_size ignored): every active template of theirs.
    every = await api(
        "GET", TRAINER_SCHEDULE, TRAINER, params={"trainer_id": TRAINER, "page_size": 1000}
    )
    assert [s["day"] for s in every.json()["schedules"]] == ["Monday", "Tuesday", "Thursday"]
    # Karima's inactive template is left out; the centre narrows.
    karima = await api(
        "GET",
        TRAINER_SCHEDULE,
        SUP_A,
        params={"trainer_id": TRAINER_2, "center_id": CENTER_A, "academic_year": YEAR},
    )
    assert karima.json()["trainer"] == KARIMA
    assert [s["id"] for s in karima.json()["schedules"]] == [made["groupless"]["id"]]
    elsewhere = await api(
        "GET", TRAINER_SCHEDULE, params={"trainer_id": TRAINER, "center_id": CENTER_B}
    )
    assert elsewhere.json()["schedules"] == []
    # A supervisor sees only their centres' templates of a trainer.
    fes_seen_from_a = await api("GET", TRAINER_SCHEDULE, SUP_A, params={"trainer_id": TRAINER_B})
    assert fes_seen_from_a.status_code == 200 and fes_seen_from_a.json()["schedules"] == []
    fes = await api("GET", TRAINER_SCHEDULE, SUP_B, params={"trainer_id": TRAINER_B})
    assert [s["id"] for s in fes.json()["schedules"]] == [made["fes"]["id"]]
    unknown = await api("GET", TRAINER_SCHEDULE, params={"trainer_id": 999999})
    assert unknown.status_code == 404 and "detail" in unknown.json()


async def test_group_schedule(api: Api) -> None:
    made = await _timetables(api)
    resp = await api(
        "GET",
        GROUP_SCHEDULE,
        SUP_A,
        params={"group_id": GROUP_A1, "center_id": CENTER_A, "academic_year": YEAR},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["group"] == ALPHA
    assert resp.json()["schedules"] == [made["mon"], made["tue"]]
    beta = await api("GET", GROUP_SCHEDULE, params={"group_id": GROUP_A2})
    assert [s["id"] for s in beta.json()["schedules"]] == [made["next_year"]["id"]]
    beta_now = await api(
        "GET", GROUP_SCHEDULE, params={"group_id": GROUP_A2, "academic_year": YEAR}
    )
    assert beta_now.json()["schedules"] == []
    unknown = await api("GET", GROUP_SCHEDULE, params={"group_id": 999999})
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (TRAINERS, "center_id"),
        (GROUPS, "center_id"),
        (TRAINER_SCHEDULE, "trainer_id"),
        (GROUP_SCHEDULE, "group_id"),
    ],
)
async def test_a_missing_id_is_the_original_400(api: Api, url: str, name: str) -> None:
    for user in (ADMIN, SUP_A):
        resp = await api("GET", url, user, params={"academic_year": YEAR, "page_size": 1000})
        assert resp.status_code == 400
        assert resp.headers["content-type"].startswith("application/json")
        assert resp.json() == {"error": f"{name} is required"}
    # Roles first: a caller refused the action is refused, whatever they sent.
    assert (await api("GET", url, STUDENT)).status_code == 403
    # A malformed id is a field error, still a JSON 400.
    bad = await api("GET", url, params={name: "abc"})
    assert bad.status_code == 400 and list(bad.json()) == [name]


async def test_who_reads_what(api: Api) -> None:
    await _timetables(api)
    centre = {"center_id": CENTER_A}
    for url in (TRAINERS, GROUPS):
        for user in (STUDENT, ASSOC, TRAINER):
            assert (await api("GET", url, user, params=centre)).status_code == 403
        refused = await api("GET", url, SUP_B, params=centre)
        assert refused.status_code == 403
        assert refused.json() == {
            "detail": "You can only read the schedules of the centres you supervise."
        }
        assert (await api("GET", url, SUP_A, params=centre)).status_code == 200
        assert (await api("GET", url, ADMIN, params=centre)).status_code == 200

    for user in (STUDENT, ASSOC):
        resp = await api("GET", TRAINER_SCHEDULE, user, params={"trainer_id": TRAINER})
        assert resp.status_code == 403
    other = await api("GET", TRAINER_SCHEDULE, TRAINER_2, params={"trainer_id": TRAINER})
    assert other.status_code == 403
    assert other.json() == {"detail": "You can only read your own schedule."}
    # Even for an unknown id: a trainer never learns who exists.
    assert (
        await api("GET", TRAINER_SCHEDULE, TRAINER_2, params={"trainer_id": 999999})
    ).status_code == 403
    outside = await api(
        "GET", TRAINER_SCHEDULE, SUP_B, params={"trainer_id": TRAINER, "center_id": CENTER_A}
    )
    assert outside.status_code == 403

    for user in (STUDENT, ASSOC, TRAINER):
        resp = await api("GET", GROUP_SCHEDULE, user, params={"group_id": GROUP_A1})
        assert resp.status_code == 403
    assert (
        await api("GET", GROUP_SCHEDULE, SUP_B, params={"group_id": GROUP_A1})
    ).status_code == 403
    assert (
        await api(
            "GET", GROUP_SCHEDULE, SUP_A, params={"group_id": GROUP_A1, "center_id": CENTER_B}
        )
    ).status_code == 403
    assert (
        await api("GET", GROUP_SCHEDULE, SUP_A, params={"group_id": GROUP_A1})
    ).status_code == 200


async def test_a_trainer_unknown_to_the_copy_still_reads_their_schedule(
    api: Api, schedule_app: FastAPI
) -> None:
    made = await _timetables(api)
    async with schedule_app.state.db.session() as s, s.begin():
        await s.execute(text("DELETE FROM user_copies WHERE id = :i"), {"i": TRAINER_B})
    resp = await api("GET", TRAINER_SCHEDULE, TRAINER_B, params={"trainer_id": TRAINER_B})
    assert resp.status_code == 200, resp.text
    assert resp.json()["trainer"] == {
        "id": TRAINER_B,
        "first_name": "",
        "last_name": "",
        "email": "",
        "full_name": "",
    }
    (only,) = resp.json()["schedules"]
    assert only["id"] == made["fes"]["id"]
    assert only["trainer_details"] == resp.json()["trainer"]
    # An admin asking for that user: nobody knows them here (no auth to ask in this test).
    assert (await api("GET", TRAINER_SCHEDULE, params={"trainer_id": TRAINER_B})).status_code == 404
    # ... and they are not listed among the centre's trainers (no name to show).
    fes = await api("GET", TRAINERS, params={"center_id": CENTER_B})
    assert fes.json() == []


async def test_a_missing_course_copy_never_nulls_the_course(
    api: Api, schedule_app: FastAPI
) -> None:
    made = await _timetables(api)
    async with schedule_app.state.db.session() as s, s.begin():
        await s.execute(text("DELETE FROM course_copies WHERE id = :i"), {"i": COURSE_A})
    safe = {
        "id": COURSE_A,
        "program": {"name": "", "duration_years": None},
        "center": {"name": ""},
        "academic_year": "",
    }
    got = (await api("GET", f"{SESSIONS}{made['mon']['id']}/")).json()
    assert got["training_course"] == COURSE_A and got["training_course_details"] == safe
    schedule = await api(
        "GET", TRAINER_SCHEDULE, TRAINER, params={"trainer_id": TRAINER, "academic_year": YEAR}
    )
    assert [s["training_course_details"] for s in schedule.json()["schedules"]] == [safe, safe]
    group = await api("GET", GROUP_SCHEDULE, params={"group_id": GROUP_A1})
    assert all(
        s["training_course_details"]["program"]["name"] == "" for s in group.json()["schedules"]
    )
    listed = (await api("GET", SESSIONS, params={"training_course": COURSE_A})).json()
    assert all(r["training_course_details"] == safe for r in listed["results"])
    # The other course's templates keep their names.
    assert (await api("GET", f"{SESSIONS}{made['fes']['id']}/")).json()["training_course_details"][
        "program"
    ]["name"] == "Web Development"
