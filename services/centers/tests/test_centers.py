from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text

from .conftest import ADMIN, SUP_A, SUP_B, SUP_IDLE, TRAINER, Api

URL = "/api/centers-app/centers/"
World = Callable[[], Awaitable[dict[str, Any]]]


def names(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [c["name"] for c in resp.json()["results"]]


async def test_create_and_read_shapes(api: Api, world: World) -> None:
    w = await world()
    a = w["A"]["center"]
    assert a["association_name"] == "Al Amal"
    assert a["supervisor_first_name"] == "Said" and a["supervisor_last_name"] == "Alaoui"
    assert a["affiliated_to"] == "entraide" and a["is_verified"] is False and a["is_active"] is True
    detail = await api("GET", f"{URL}{a['id']}/")
    assert detail.status_code == 200
    body = detail.json()
    assert [r["name"] for r in body["rooms"]] == ["Room A1"]
    assert [g["name"] for g in body["groups"]] == ["Group A"]
    # Lists carry no nested rooms and groups.
    listed = (await api("GET", URL)).json()["results"][0]
    assert "rooms" not in listed and "groups" not in listed


async def test_validation(api: Api) -> None:
    resp = await api("POST", URL, json={"name": "X", "affiliated_to": "other"})
    assert resp.status_code == 400 and "other_affiliation" in resp.json()
    ok = await api(
        "POST", URL, json={"name": "X", "affiliated_to": "other", "other_affiliation": "Ministry"}
    )
    assert ok.status_code == 201
    assert (await api("POST", URL, json={"name": "X"})).status_code == 400  # unique name
    resp = await api("POST", URL, json={"name": "Y", "affiliated_to": "nobody"})
    assert resp.json() == {"affiliated_to": ['"nobody" is not a valid choice.']}
    resp = await api("POST", URL, json={"name": "Y", "supervisor": TRAINER})
    assert resp.status_code == 400 and "supervisor" in resp.json()
    resp = await api("POST", URL, json={"name": "Y", "supervisor": SUP_IDLE})
    assert resp.status_code == 400 and "supervisor" in resp.json()
    resp = await api("POST", URL, json={"name": "Y", "association": 404})
    assert resp.json() == {"association": ['Invalid pk "404" - object does not exist.']}
    resp = await api(
        "PATCH", f"{URL}{ok.json()['id']}/", json={"affiliated_to": "entraide", "city": "Tanger"}
    )
    assert resp.status_code == 200 and resp.json()["city"] == "Tanger"


async def test_only_admins_write_and_supervisors_read_their_own(api: Api, world: World) -> None:
    w = await world()
    a, b = w["A"]["center"]["id"], w["B"]["center"]["id"]
    assert names(await api("GET", URL, SUP_A)) == ["Centre A"]
    assert names(await api("GET", URL, SUP_B)) == ["Centre B"]
    assert names(await api("GET", URL, ADMIN)) == ["Centre A", "Centre B"]
    assert (await api("GET", f"{URL}{a}/", SUP_A)).status_code == 200
    assert (await api("GET", f"{URL}{b}/", SUP_A)).status_code == 404
    assert (await api("PATCH", f"{URL}{a}/", SUP_A, json={"city": "X"})).status_code == 403
    assert (await api("POST", URL, SUP_A, json={"name": "Mine"})).status_code == 403
    assert (await api("DELETE", f"{URL}{a}/", SUP_A)).status_code == 403
    assert (await api("GET", URL, TRAINER)).status_code == 403
    assert (await api("GET", URL, None)).status_code == 401


async def test_filters(api: Api, world: World) -> None:
    w = await world()
    await api(
        "PATCH", f"{URL}{w['B']['center']['id']}/", json={"is_verified": True, "is_active": False}
    )
    await api("PATCH", f"/api/centers-app/rooms/{w['B']['room']['id']}/", json={"type": "lab"})
    await api(
        "PATCH",
        f"/api/centers-app/equipment/{w['B']['equipment']['id']}/",
        json={"condition": "damaged"},
    )
    assoc = w["association"]["id"]
    cases = {
        "city": ("Fes", ["Centre B"]),
        "affiliated_to": ("entraide", ["Centre A", "Centre B"]),
        "association": (str(assoc), ["Centre A"]),
        "association_name": ("Al Amal", ["Centre A"]),
        "is_active": ("false", ["Centre B"]),
        "is_verified": ("true", ["Centre B"]),
        "room_type": ("lab", ["Centre B"]),
        "room_equipment_condition": ("damaged", ["Centre B"]),
    }
    for name, (value, expected) in cases.items():
        assert names(await api("GET", URL, params={name: value})) == expected, name
    assert (await api("GET", URL, params={"room_type": "kitchen"})).status_code == 400
    assert (await api("GET", URL, params={"association": "abc"})).status_code == 400


async def test_search_across_related_names(api: Api, world: World) -> None:
    await world()
    for term, expected in (
        ("centre a", ["Centre A"]),
        ("fes", ["Centre B"]),
        ("amal", ["Centre A"]),
        ("room b1", ["Centre B"]),
        ("group a", ["Centre A"]),
    ):
        assert names(await api("GET", URL, params={"search": term})) == expected, term


async def test_ordering(api: Api, world: World) -> None:
    await world()
    assert names(await api("GET", URL, params={"ordering": "-name"})) == ["Centre B", "Centre A"]
    assert names(await api("GET", URL, params={"ordering": "city"})) == ["Centre B", "Centre A"]
    assert names(await api("GET", URL, params={"ordering": "nonsense"})) == ["Centre A", "Centre B"]


async def test_deleting_a_centre_removes_its_things_and_says_so(
    api: Api, world: World, centers_app: Any
) -> None:
    w = await world()
    cid = w["A"]["center"]["id"]
    assert (await api("DELETE", f"{URL}{cid}/")).status_code == 204
    assert (await api("GET", f"/api/centers-app/rooms/{w['A']['room']['id']}/")).status_code == 404
    assert (
        await api("GET", f"/api/centers-app/equipment/{w['A']['equipment']['id']}/")
    ).status_code == 404
    assert (
        await api("GET", f"/api/centers-app/groups/{w['A']['group']['id']}/")
    ).status_code == 404
    async with centers_app.state.db.session() as s:
        rows = await s.execute(
            text("SELECT payload->>'subject', payload->>'op' FROM outbox ORDER BY id")
        )
        published = [tuple(r) for r in rows]
    assert (f"entraide.centers.room.{w['A']['room']['id']}", "delete") in published
    assert (f"entraide.centers.group.{w['A']['group']['id']}", "delete") in published
    assert (f"entraide.centers.center.{cid}", "delete") in published


async def test_renaming_an_association_republishes_its_centres(
    api: Api, world: World, centers_app: Any
) -> None:
    w = await world()
    await api(
        "PATCH", f"/api/associations/{w['association']['id']}/", json={"name": "Al Amal Plus"}
    )
    detail = (await api("GET", f"{URL}{w['A']['center']['id']}/")).json()
    assert detail["association_name"] == "Al Amal Plus"
    async with centers_app.state.db.session() as s:
        row = await s.execute(
            text("SELECT payload FROM outbox WHERE subject = :s ORDER BY id DESC LIMIT 1"),
            {"s": f"entraide.centers.center.{w['A']['center']['id']}"},
        )
        payload = row.scalar_one()
    assert payload["data"]["association_name"] == "Al Amal Plus" and payload["version"] == 2
