"""Lists and nested reads run a constant number of SQL statements (no N+1)."""

from __future__ import annotations

from typing import Any

from entraide_stack.testing.queries import count_queries

from .conftest import Api


async def _center_with(api: Api, rooms: int, groups: int, equipment_per_room: int) -> int:
    c = await api("POST", "/api/centers-app/centers/", json={"name": f"Big {rooms}-{groups}"})
    cid = c.json()["id"]
    for i in range(rooms):
        r = await api(
            "POST",
            "/api/centers-app/rooms/",
            json={"name": f"R{i}", "type": "classroom", "capacity": 10 + i, "center": cid},
        )
        for j in range(equipment_per_room):
            await api(
                "POST",
                "/api/centers-app/equipment/",
                json={
                    "name": f"E{i}-{j}",
                    "condition": "good",
                    "center": cid,
                    "room": r.json()["id"],
                },
            )
    for i in range(groups):
        await api("POST", "/api/centers-app/groups/", json={"name": f"G{i}", "center": cid})
    return int(cid)


async def test_room_list_with_equipment_is_constant(api: Api, centers_app: Any) -> None:
    await _center_with(api, rooms=100, groups=0, equipment_per_room=1)
    engine = centers_app.state.db.engine
    counts = {}
    for size in (5, 100):
        with count_queries(engine) as counter:
            resp = await api("GET", "/api/centers-app/rooms/", params={"page_size": size})
        assert resp.status_code == 200 and len(resp.json()["results"]) == size
        assert all(len(r["equipment"]) == 1 for r in resp.json()["results"])
        counts[size] = counter.count
    assert counts[5] == counts[100], counts
    assert 2 <= counts[100] <= 4


async def test_center_with_50_rooms_and_20_groups_is_constant(api: Api, centers_app: Any) -> None:
    small = await _center_with(api, rooms=1, groups=1, equipment_per_room=1)
    big = await _center_with(api, rooms=50, groups=20, equipment_per_room=3)
    engine = centers_app.state.db.engine
    counts = []
    for cid in (small, big):
        with count_queries(engine) as counter:
            resp = await api("GET", f"/api/centers-app/centers/{cid}/")
        assert resp.status_code == 200
        counts.append(counter.count)
    assert len(resp.json()["rooms"]) == 50 and len(resp.json()["groups"]) == 20
    assert all(len(r["equipments"]) == 3 for r in resp.json()["rooms"])
    assert counts[0] == counts[1] >= 3, counts
    center_list_counts = []
    for size in (1, 2):
        with count_queries(engine) as counter:
            await api("GET", "/api/centers-app/centers/", params={"page_size": size})
        center_list_counts.append(counter.count)
    assert center_list_counts[0] == center_list_counts[1]


async def test_equipment_list_with_room_names_is_constant(api: Api, centers_app: Any) -> None:
    await _center_with(api, rooms=30, groups=0, equipment_per_room=2)
    engine = centers_app.state.db.engine
    counts = {}
    for size in (2, 60):
        with count_queries(engine) as counter:
            resp = await api("GET", "/api/centers-app/equipment/", params={"page_size": size})
        assert len(resp.json()["results"]) == size
        assert all(e["room_name"] for e in resp.json()["results"])
        counts[size] = counter.count
    assert counts[2] == counts[60], counts


async def test_associations_with_supervisors_and_centres_are_constant(
    api: Api, centers_app: Any
) -> None:
    from .conftest import ASSOC_SUP

    ids = []
    for i in range(12):
        made = await api(
            "POST",
            "/api/associations/",
            json={"name": f"Assoc {i}", "description": "d", "supervisor": ASSOC_SUP},
        )
        ids.append(made.json()["id"])
    for i in range(15):
        await api(
            "POST", "/api/centers-app/centers/", json={"name": f"C{i}", "association": ids[-1]}
        )
    await api("POST", "/api/centers-app/centers/", json={"name": "Alone", "association": ids[0]})
    engine = centers_app.state.db.engine
    counts = {}
    for size in (1, 12):
        with count_queries(engine) as counter:
            resp = await api("GET", "/api/associations/", params={"page_size": size})
        assert all(a["supervisor"]["id"] == ASSOC_SUP for a in resp.json()["results"])
        counts[size] = counter.count
    assert counts[1] == counts[12], counts
    details = []
    for aid in (ids[0], ids[-1]):
        with count_queries(engine) as counter:
            resp = await api("GET", f"/api/associations/{aid}/")
        details.append((counter.count, len(resp.json()["centers"])))
    assert details[0][0] == details[1][0] and [d[1] for d in details] == [1, 15], details
