"""What the web client reads and sends beyond the contract (issue 17: F3-F12, M1, M2)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from entraide_kit.copies.users import upsert_user

from .conftest import ASSOC_SUP, SUP_A, SUP_B, TRAINER, Api, png_bytes

World = Callable[[], Awaitable[dict[str, Any]]]
SUPERVISOR_OBJECT = {
    "id": ASSOC_SUP,
    "first_name": "Nadia",
    "last_name": "Naciri",
    "email": f"u{ASSOC_SUP}@entraide.ma",
    "arabic_first_name": "",
    "arabic_last_name": "",
}


async def test_association_reads_nest_supervisor_and_centres(api: Api, world: World) -> None:
    w = await world()
    aid = w["association"]["id"]
    assert w["association"]["supervisor"] == ASSOC_SUP  # create: the contract's id
    listed = (await api("GET", "/api/associations/", TRAINER)).json()["results"]
    assert listed[0]["supervisor"] == SUPERVISOR_OBJECT
    assert "logo_url" in listed[0]
    detail = (await api("GET", f"/api/associations/{aid}/", TRAINER)).json()
    assert detail["supervisor"] == SUPERVISOR_OBJECT
    assert detail["centers"] == [
        {
            "id": w["A"]["center"]["id"],
            "name": "Centre A",
            "city": "Rabat",
            "phone_number": "",
            "is_active": True,
            "is_verified": False,
        }
    ]


async def test_association_put_as_the_client_sends_it(
    api: Api, world: World, centers_app: Any
) -> None:
    w = await world()
    aid = w["association"]["id"]
    # AdminEditAssociationPage: every field, empty ones as null, supervisor = supervisor.id.
    body = {
        "name": "Al Amal",
        "description": "",
        "email": None,
        "phone_number": None,
        "address": None,
        "city": "Tanger",
        "registration_number": None,
        "website": "https://alamal.ma",
        "facebook_link": None,
        "instagram_link": None,
        "twitter_link": None,
        "maps_link": None,
        "contract_start_date": None,
        "contract_end_date": None,
        "supervisor": ASSOC_SUP,
    }
    put = await api("PUT", f"/api/associations/{aid}/", json=body)
    assert put.status_code == 200, put.text
    out = put.json()
    assert out["supervisor"] == SUPERVISOR_OBJECT
    assert out["description"] == "" and out["city"] == "Tanger"
    assert out["website"] == "https://alamal.ma"
    # The same supervisor sent back is unchanged, not checked again: a supervisor
    # deactivated since does not block saving the rest.
    async with centers_app.state.db.session() as session, session.begin():
        data = {**SUPERVISOR_OBJECT, "username": "u5", "role": "association_supervisor"}
        data.pop("id")
        await upsert_user(session, ASSOC_SUP, {**data, "is_active": False})
    again = await api("PUT", f"/api/associations/{aid}/", json={**body, "city": "Fes"})
    assert again.status_code == 200 and again.json()["supervisor"]["id"] == ASSOC_SUP
    # Another user is checked; null ("no supervisor" in the client) removes it.
    wrong = await api("PUT", f"/api/associations/{aid}/", json={**body, "supervisor": SUP_A})
    assert wrong.status_code == 400 and "supervisor" in wrong.json()
    none = await api("PUT", f"/api/associations/{aid}/", json={**body, "supervisor": None})
    assert none.status_code == 200 and none.json()["supervisor"] is None
    detail = (await api("GET", f"/api/associations/{aid}/")).json()
    assert detail["supervisor"] is None
    missing = await api("PUT", f"/api/associations/{aid}/", json={"description": "d"})
    assert missing.status_code == 400 and set(missing.json()) == {"name"}


async def test_urls_are_returned_as_sent(api: Api, world: World) -> None:
    w = await world()
    cid = w["A"]["center"]["id"]
    urls = {
        "website": "https://centre-a.ma",
        "maps_link": "https://maps.google.com/?q=Centre+A",
        "facebook_link": "https://facebook.com/centrea",
    }
    patched = await api("PATCH", f"/api/centers-app/centers/{cid}/", json=urls)
    assert patched.status_code == 200, patched.text
    assert {k: patched.json()[k] for k in urls} == urls
    bad = await api("PATCH", f"/api/centers-app/centers/{cid}/", json={"website": "nope"})
    assert bad.status_code == 400 and set(bad.json()) == {"website"}


async def test_logo_sent_back_as_its_url_is_kept(api: Api) -> None:
    data = {"name": "Logo Assoc", "description": "d", "supervisor": str(ASSOC_SUP)}
    files = {"logo": ("logo.png", png_bytes(), "image/png")}
    made = (await api("POST", "/api/associations/", data=data, files=files)).json()
    assert made["logo_url"] == made["logo"] and made["logo"].startswith("http://testserver/")
    put = await api(
        "PUT",
        f"/api/associations/{made['id']}/",
        json={"name": "Logo Assoc", "description": "d", "logo": made["logo"]},
    )
    assert put.status_code == 200 and put.json()["logo"] == made["logo"]


async def test_center_reads(api: Api, world: World) -> None:
    w = await world()
    cid = w["A"]["center"]["id"]
    listed = (await api("GET", "/api/centers-app/centers/")).json()["results"]
    assert all("logo_url" in c for c in listed)
    detail = (await api("GET", f"/api/centers-app/centers/{cid}/")).json()
    assert detail["supervisor_username"] == f"u{SUP_A}"
    assert detail["logo_url"] is None
    (room,) = detail["rooms"]
    assert {"picture", "picture_url", "created_at", "updated_at"} <= set(room)
    (item,) = room["equipments"]
    assert {k: item[k] for k in ("id", "name", "description", "quantity", "condition")} == {
        "id": w["A"]["equipment"]["id"],
        "name": "Projector A",
        "description": "",
        "quantity": 2,
        "condition": "good",
    }
    (group,) = detail["groups"]
    assert {"id", "name", "description", "created_at", "updated_at"} <= set(group)


async def test_room_and_equipment_reads(api: Api, world: World) -> None:
    w = await world()
    rid = w["A"]["room"]["id"]
    files = {"picture": ("p.png", png_bytes(), "image/png")}
    await api("PATCH", f"/api/centers-app/rooms/{rid}/", data={"name": "Room A1"}, files=files)
    room = (await api("GET", f"/api/centers-app/rooms/{rid}/", SUP_A)).json()
    assert room["picture_url"] == room["picture"] and room["picture_url"].startswith("http")
    assert room["equipments"] == room["equipment"] and len(room["equipments"]) == 1
    cid = w["A"]["center"]["id"]
    listed = await api("GET", "/api/centers-app/equipment/", SUP_A, params={"center__id": cid})
    (item,) = listed.json()["results"]
    assert item["room_name"] == "Room A1" and item["room"] == rid and "picture_url" in item
    one = (await api("GET", f"/api/centers-app/equipment/{item['id']}/", SUP_A)).json()
    assert one["room_name"] == "Room A1"


async def test_supervisor_and_center_filters(api: Api, world: World) -> None:
    w = await world()
    by_sup = await api("GET", "/api/centers-app/centers/", params={"supervisor": SUP_B})
    assert [c["name"] for c in by_sup.json()["results"]] == ["Centre B"]
    mine = await api("GET", "/api/centers-app/centers/", SUP_A, params={"supervisor": SUP_A})
    assert [c["id"] for c in mine.json()["results"]] == [w["A"]["center"]["id"]]
    # A supervisor asking for another's centres still sees only theirs: none of B's.
    other = await api("GET", "/api/centers-app/centers/", SUP_A, params={"supervisor": SUP_B})
    assert other.json()["results"] == []
    cid = w["B"]["center"]["id"]
    groups = await api("GET", "/api/centers-app/groups/", params={"center": cid})
    assert [g["name"] for g in groups.json()["results"]] == ["Group B"]


async def test_filters_are_in_the_openapi_document(client: Any) -> None:
    doc = (await client.get("/openapi.json")).json()

    def params(path: str) -> set[str]:
        return {p["name"] for p in doc["paths"][path]["get"]["parameters"]}

    assert "supervisor" in params("/api/centers-app/centers/")
    assert {"center", "center__id"} <= params("/api/centers-app/groups/")
