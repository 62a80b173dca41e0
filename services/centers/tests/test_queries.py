"""Lists and nested reads run a constant number of SQL statements (no N+1)."""

from __future__ import annotations

from typing import Any

from entraide_kit.testing.queries import count_queries

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
    small = await _center_with(api, rooms=1, groups=1, equipment_per_room=0)
    big = await _center_with(api, rooms=50, groups=20, equipment_per_room=0)
    engine = centers_app.state.db.engine
    counts = []
    for cid in (small, big):
        with count_queries(engine) as counter:
            resp = await api("GET", f"/api/centers-app/centers/{cid}/")
        assert resp.status_code == 200
        counts.append(counter.count)
    assert len(resp.json()["rooms"]) == 50 and len(resp.json()["groups"]) == 20
    assert counts[0] == counts[1] >= 3, counts
    center_list_counts = []
    for size in (1, 2):
        with count_queries(engine) as counter:
            await api("GET", "/api/centers-app/centers/", params={"page_size": size})
        center_list_counts.append(counter.count)
    assert center_list_counts[0] == center_list_counts[1]
