from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .conftest import SUP_A, SUP_B, TRAINER, Api

ROOMS = "/api/centers-app/rooms/"
EQUIPMENT = "/api/centers-app/equipment/"
GROUPS = "/api/centers-app/groups/"
World = Callable[[], Awaitable[dict[str, Any]]]


def names(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [c["name"] for c in resp.json()["results"]]


async def test_room_shape_filters_search_ordering(api: Api, world: World) -> None:
    w = await world()
    a = w["A"]["center"]["id"]
    await api(
        "POST",
        ROOMS,
        json={"name": "Lab", "type": "lab", "capacity": 12, "center": a, "is_available": False},
    )
    await api(
        "POST",
        ROOMS,
        json={
            "name": "Hall",
            "type": "auditorium",
            "capacity": 200,
            "center": a,
            "description": "big one",
        },
    )
    room = (await api("GET", f"{ROOMS}{w['A']['room']['id']}/")).json()
    assert room["center_name"] == "Centre A"
    assert [e["name"] for e in room["equipment"]] == ["Projector A"]
    assert names(await api("GET", ROOMS)) == ["Lab", "Room A1", "Room B1", "Hall"]  # by capacity
    assert names(await api("GET", ROOMS, params={"center__id": a})) == ["Lab", "Room A1", "Hall"]
    assert names(await api("GET", ROOMS, params={"type": "lab"})) == ["Lab"]
    assert names(await api("GET", ROOMS, params={"capacity": 200})) == ["Hall"]
    assert names(await api("GET", ROOMS, params={"is_available": "false"})) == ["Lab"]
    assert names(await api("GET", ROOMS, params={"search": "big"})) == ["Hall"]
    assert names(await api("GET", ROOMS, params={"ordering": "-name"}))[0] == "Room B1"
    listed = (await api("GET", ROOMS, params={"center__id": a, "type": "classroom"})).json()[
        "results"
    ][0]
    assert [e["name"] for e in listed["equipment"]] == ["Projector A"]


async def test_room_validation(api: Api, world: World) -> None:
    w = await world()
    a = w["A"]["center"]["id"]
    resp = await api(
        "POST", ROOMS, json={"name": "Room A1", "type": "classroom", "capacity": 5, "center": a}
    )
    assert resp.status_code == 400 and "name" in resp.json()  # unique within its centre
    same_name_elsewhere = {
        "name": "Room A1",
        "type": "classroom",
        "capacity": 5,
        "center": w["B"]["center"]["id"],
    }
    assert (await api("POST", ROOMS, json=same_name_elsewhere)).status_code == 201
    resp = await api(
        "POST", ROOMS, json={"name": "Zero", "type": "classroom", "capacity": 0, "center": a}
    )
    assert resp.json() == {"capacity": ["Ensure this value is greater than or equal to 1."]}
    resp = await api(
        "POST", ROOMS, json={"name": "Odd", "type": "kitchen", "capacity": 3, "center": a}
    )
    assert resp.json() == {"type": ['"kitchen" is not a valid choice.']}
    resp = await api(
        "POST", ROOMS, json={"name": "Ghost", "type": "lab", "capacity": 3, "center": 999}
    )
    assert resp.json() == {"center": ['Invalid pk "999" - object does not exist.']}


async def test_equipment_rules_and_filters(api: Api, world: World) -> None:
    w = await world()
    a, b = w["A"]["center"]["id"], w["B"]["center"]["id"]
    wrong_room = await api(
        "POST",
        EQUIPMENT,
        json={"name": "Chair", "condition": "new", "center": a, "room": w["B"]["room"]["id"]},
    )
    assert wrong_room.status_code == 400 and wrong_room.json() == {
        "room": ["The room must belong to the equipment's center."]
    }
    await api(
        "POST", EQUIPMENT, json={"name": "Boards", "condition": "fair", "quantity": 10, "center": a}
    )
    assert names(await api("GET", EQUIPMENT, params={"center__id": a})) == ["Boards", "Projector A"]
    assert names(await api("GET", EQUIPMENT, params={"room__id": w["B"]["room"]["id"]})) == [
        "Projector B"
    ]
    assert names(await api("GET", EQUIPMENT, params={"condition": "fair"})) == ["Boards"]
    assert names(await api("GET", EQUIPMENT, params={"quantity": 2})) == [
        "Projector A",
        "Projector B",
    ]
    assert names(await api("GET", EQUIPMENT, params={"search": "proj", "ordering": "-name"})) == [
        "Projector B",
        "Projector A",
    ]
    resp = await api(
        "POST", EQUIPMENT, json={"name": "Neg", "condition": "new", "quantity": -1, "center": b}
    )
    assert resp.status_code == 400 and "quantity" in resp.json()
    # Deleting a room keeps its equipment in the centre, without a room.
    assert (await api("DELETE", f"{ROOMS}{w['A']['room']['id']}/")).status_code == 204
    kept = (await api("GET", f"{EQUIPMENT}{w['A']['equipment']['id']}/")).json()
    assert kept["room"] is None and kept["center"] == a


async def test_groups(api: Api, world: World) -> None:
    w = await world()
    a = w["A"]["center"]["id"]
    await api(
        "POST",
        GROUPS,
        json={"name": "Alpha", "center": a, "description": "Advanced programming group"},
    )
    assert names(await api("GET", GROUPS, params={"center__id": a})) == ["Alpha", "Group A"]
    assert names(await api("GET", GROUPS, params={"search": "programming"})) == ["Alpha"]
    assert names(await api("GET", GROUPS, params={"ordering": "-name"}))[0] == "Group B"
    dup = await api("POST", GROUPS, json={"name": "Alpha", "center": a})
    assert dup.status_code == 400 and "name" in dup.json()
    group = (await api("GET", f"{GROUPS}{w['A']['group']['id']}/")).json()
    assert group["center_name"] == "Centre A"


async def test_supervisor_of_a_is_kept_out_of_b(api: Api, world: World) -> None:
    w = await world()
    a, b = w["A"], w["B"]
    for url, key in ((ROOMS, "room"), (EQUIPMENT, "equipment"), (GROUPS, "group")):
        own, other = a[key]["id"], b[key]["id"]
        # Lists hold A's only.
        listed = (await api("GET", url, SUP_A)).json()["results"]
        assert {x["id"] for x in listed} == {own}, url
        assert (await api("GET", f"{url}{own}/", SUP_A)).status_code == 200
        # B's: read, change, delete are refused; nothing changes.
        assert (await api("GET", f"{url}{other}/", SUP_A)).status_code in (403, 404)
        assert (
            await api("PATCH", f"{url}{other}/", SUP_A, json={"name": "taken"})
        ).status_code in (403, 404)
        assert (await api("PUT", f"{url}{other}/", SUP_A, json={"name": "taken"})).status_code in (
            403,
            404,
        )
        assert (await api("DELETE", f"{url}{other}/", SUP_A)).status_code in (403, 404)
        assert (await api("GET", f"{url}{other}/", SUP_B)).json()["name"] == b[key]["name"]
        # Creating in B, or moving A's into B, is a 403.
        body = {
            "name": "Sneaky",
            "center": b["center"]["id"],
            "type": "lab",
            "capacity": 3,
            "condition": "new",
        }
        assert (await api("POST", url, SUP_A, json=body)).status_code == 403
        assert (
            await api("PATCH", f"{url}{own}/", SUP_A, json={"center": b["center"]["id"]})
        ).status_code == 403
        # Others than admins and supervisors: no access at all.
        assert (await api("GET", url, TRAINER)).status_code == 403
    room = await api(
        "POST",
        ROOMS,
        SUP_A,
        json={"name": "New", "type": "lab", "capacity": 3, "center": a["center"]["id"]},
    )
    assert room.status_code == 201


async def test_values_the_database_cannot_hold_are_client_errors(api: Api, world: World) -> None:
    # Found by the contract fuzzer (bench/fuzz.py): these were 500s.
    w = await world()
    room = w["A"]["room"]["id"]
    for big in ("3801509518", "19873541280741105598464", "-2147483649"):
        resp = await api("GET", f"{ROOMS}{big}/")
        assert resp.status_code == 404, big
        assert resp.json() == {"detail": "Not found."}
    listed = await api("GET", ROOMS, params={"center__id": "9238324211"})
    assert listed.status_code == 400
    nul = await api("PATCH", f"{ROOMS}{room}/", json={"description": "a\u0000b"})
    assert nul.status_code == 400 and "non_field_errors" in nul.json()
    assert (await api("GET", f"{ROOMS}{room}/")).json()["description"] != "a\u0000b"
