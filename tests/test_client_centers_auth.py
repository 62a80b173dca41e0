"""The existing web client against the gateway: its centres, associations and auth calls.

One test per call of client-compat.md's inventory (section 8) that was not "OK",
named by its id, with the request built as the client builds it (body encoding,
field names, query strings) and asserting every field the client reads.
"""

from __future__ import annotations

import base64
import io
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from entraide_stack import Stack, StackConfig

CLIENT_PASSWORD = "entraide2025larache"  # the one the client's add-supervisor forms send
DEV_ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173", "http://localhost:4173")


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (20, 90, 200)).save(buf, format="PNG")
    return buf.getvalue()


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _bearer(token: str) -> dict[str, str]:
    # The association pages also send Content-Type: application/json on GETs.
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _login(gw: httpx.Client, email: str, password: str) -> dict[str, str]:
    return dict(_ok(gw.post("/api/token/", json={"email": email, "password": password})))


def _add_supervisor(gw: httpx.Client, admin: dict[str, str], role: str) -> dict[str, Any]:
    """AddSupervisorDialog / AddCenterSupervisorDialog: multipart, filled fields only."""
    tag = uuid.uuid4().hex[:6]
    first, last = "Karim", f"Idrissi{tag}"
    form = {
        "first_name": first,
        "last_name": last,
        "Arabic_first_name": "كريم",
        "arabic_last_name": "الإدريسي",
        "phone_number": "0612345678",
        "city": "Larache",
        "role": role,
        "email": f"{last.lower()}.{first.lower()}@entraide-larache.com",
        "password": CLIENT_PASSWORD,
    }
    files = {"profile_picture": ("photo.png", _png(), "image/png")}
    resp = gw.post(
        "/api/accounts/users/",
        data=form,
        files=files,
        headers={"Authorization": admin["Authorization"]},
    )
    return dict(_ok(resp, 201))


@pytest.fixture(scope="module")
def admin(full_stack: Stack, full_gw: httpx.Client) -> dict[str, str]:
    tokens = _login(full_gw, full_stack.admin_email, full_stack.admin_password())
    return _bearer(tokens["access"])


@pytest.fixture(scope="module")
def world(full_gw: httpx.Client, admin: dict[str, str]) -> dict[str, Any]:
    """What the client's admin and centre pages create: supervisors, an association
    (multipart with a logo), a centre, a room and equipment (multipart with pictures),
    a group (JSON)."""
    gw, tag = full_gw, uuid.uuid4().hex[:6]
    auth_only = {"Authorization": admin["Authorization"]}
    assoc_sup = _add_supervisor(gw, admin, "association_supervisor")
    center_sup = _add_supervisor(gw, admin, "center_supervisor")
    association = _ok(
        gw.post(
            "/api/associations/",
            data={
                "name": f"Al Amal {tag}",
                "description": "Soutien aux jeunes",
                "supervisor": str(assoc_sup["id"]),
                "city": "Larache",
                "website": "https://alamal.ma",
            },
            files={"logo": ("logo.png", _png(), "image/png")},
            headers=auth_only,
        ),
        201,
    )
    center = _ok(
        gw.post(
            "/api/centers-app/centers/",
            json={
                "name": f"Centre Larache {tag}",
                "city": "Larache",
                "phone_number": "0539000000",
                "association": association["id"],
                "supervisor": center_sup["id"],
                "is_active": True,
            },
            headers=admin,
        ),
        201,
    )
    sup_tokens = _login(gw, center_sup["email"], CLIENT_PASSWORD)
    sup = _bearer(sup_tokens["access"])
    sup_auth = {"Authorization": sup["Authorization"]}
    room = _ok(
        gw.post(
            "/api/centers-app/rooms/",
            data={
                "name": "Salle 1",
                "type": "classroom",
                "capacity": "25",
                "is_available": "true",
                "center": str(center["id"]),
                "description": "Rez-de-chaussée",
            },
            files={"picture": ("room.png", _png(), "image/png")},
            headers=sup_auth,
        ),
        201,
    )
    equipment = _ok(
        gw.post(
            "/api/centers-app/equipment/",
            data={
                "name": "Projecteur",
                "center": str(center["id"]),
                "description": "Epson",
                "condition": "good",
                "quantity": "2",
                "room": str(room["id"]),
            },
            files={"picture": ("eq.png", _png(), "image/png")},
            headers=sup_auth,
        ),
        201,
    )
    group = _ok(
        gw.post(
            "/api/centers-app/groups/",
            json={"name": f"Groupe A {tag}", "description": "Matin", "center": center["id"]},
            headers=sup,
        ),
        201,
    )
    return {
        "assoc_sup": assoc_sup,
        "center_sup": center_sup,
        "sup": sup,
        "sup_refresh": sup_tokens["refresh"],
        "association": association,
        "center": center,
        "room": room,
        "equipment": equipment,
        "group": group,
    }


def test_F1_add_supervisor_as_multipart(full_gw: httpx.Client, admin: dict[str, str]) -> None:
    made = _add_supervisor(full_gw, admin, "center_supervisor")
    # What the dialogs read on success.
    for key in ("id", "username", "first_name", "last_name", "email"):
        assert made[key], key
    assert made["arabic_first_name"] == "كريم" and made["arabic_last_name"] == "الإدريسي"
    assert made["role"] == "center_supervisor" and made["city"] == "Larache"
    picture = full_gw.get(made["profile_picture"])
    assert picture.status_code == 200 and picture.content == _png()
    # The fixed password logs in, without a forced change (not a one-time password).
    tokens = _login(full_gw, made["email"], CLIENT_PASSWORD)
    assert "pwd_change" not in _claims(tokens["access"])
    # On error, the dialogs join every key and value of the body.
    again = full_gw.post(
        "/api/accounts/users/",
        data={"email": made["email"], "password": CLIENT_PASSWORD, "role": "center_supervisor"},
        headers={"Authorization": admin["Authorization"]},
    )
    assert again.status_code == 400 and isinstance(again.json()["email"], list)


def test_F3_centre_logo_url(
    full_gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    cid = world["center"]["id"]
    files = {"logo": ("logo.png", _png(), "image/png")}
    auth_only = {"Authorization": admin["Authorization"]}
    _ok(full_gw.patch(f"/api/centers-app/centers/{cid}/", files=files, headers=auth_only))
    listed = _ok(full_gw.get("/api/centers-app/centers/", headers=admin))["results"]
    row = next(c for c in listed if c["id"] == cid)
    assert row["logo_url"] and row["logo_url"] == row["logo"]
    assert full_gw.get(row["logo_url"]).content == _png()
    detail = _ok(full_gw.get(f"/api/centers-app/centers/{cid}/", headers=world["sup"]))
    assert detail["logo_url"] == row["logo_url"] and detail["logo"] == row["logo"]


def test_F4_centre_supervisor_username(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    cid = world["center"]["id"]
    detail = _ok(full_gw.get(f"/api/centers-app/centers/{cid}/", headers=world["sup"]))
    assert detail["supervisor_username"] == world["center_sup"]["username"]
    assert detail["supervisor"] == world["center_sup"]["id"]
    assert detail["supervisor_first_name"] == "Karim"


def test_F5_centre_rooms_with_pictures_dates_and_equipment(
    full_gw: httpx.Client, world: dict[str, Any]
) -> None:
    cid = world["center"]["id"]
    detail = _ok(full_gw.get(f"/api/centers-app/centers/{cid}/", headers=world["sup"]))
    (room,) = detail["rooms"]
    assert room["id"] == world["room"]["id"] and room["name"] == "Salle 1"
    assert room["description"] == "Rez-de-chaussée" and room["type"] == "classroom"
    assert room["capacity"] == 25 and room["is_available"] is True
    assert room["created_at"] and room["updated_at"]
    assert full_gw.get(room["picture_url"]).content == _png()
    assert room["picture"] == room["picture_url"]  # the documented field stays
    (item,) = room["equipments"]
    assert item["id"] == world["equipment"]["id"]
    assert (item["name"], item["description"], item["quantity"], item["condition"]) == (
        "Projecteur",
        "Epson",
        2,
        "good",
    )


def test_F6_centre_groups_with_dates(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    cid = world["center"]["id"]
    detail = _ok(full_gw.get(f"/api/centers-app/centers/{cid}/", headers=world["sup"]))
    (group,) = detail["groups"]
    assert group["id"] == world["group"]["id"] and group["description"] == "Matin"
    assert group["created_at"] == world["group"]["created_at"]
    assert group["updated_at"] == world["group"]["updated_at"]


def test_F7_room_detail_equipments_and_picture_url(
    full_gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    rid = world["room"]["id"]
    for headers in (admin, world["sup"]):  # AdminRoomDetailsPage, CenterRoomDetailsPage
        room = _ok(full_gw.get(f"/api/centers-app/rooms/{rid}/", headers=headers))
        assert full_gw.get(room["picture_url"]).content == _png()
        (item,) = room["equipments"]
        assert {k: item[k] for k in ("id", "name", "description", "quantity", "condition")} == {
            "id": world["equipment"]["id"],
            "name": "Projecteur",
            "description": "Epson",
            "quantity": 2,
            "condition": "good",
        }
        assert room["equipment"] == room["equipments"] and room["picture"] == room["picture_url"]
    # CenterEditRoomPage: PATCH multipart, then the current picture shows.
    files = {"picture": ("new.png", _png(), "image/png")}
    patched = _ok(
        full_gw.patch(
            f"/api/centers-app/rooms/{rid}/",
            data={"name": "Salle 1", "capacity": "30"},
            files=files,
            headers={"Authorization": world["sup"]["Authorization"]},
        )
    )
    assert patched["picture_url"] and patched["capacity"] == 30


def test_F8_equipment_list_picture_url_and_room_name(
    full_gw: httpx.Client, world: dict[str, Any]
) -> None:
    cid = world["center"]["id"]
    page = _ok(full_gw.get(f"/api/centers-app/equipment/?center__id={cid}", headers=world["sup"]))
    (item,) = page["results"]
    assert item["room_name"] == "Salle 1" and item["room"] == world["room"]["id"]
    assert full_gw.get(item["picture_url"]).content == _png()
    for key in ("id", "name", "description", "condition", "quantity"):
        assert key in item


def test_F9_association_supervisor_object(
    full_gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    aid, sup = world["association"]["id"], world["assoc_sup"]
    expected = {
        "id": sup["id"],
        "first_name": "Karim",
        "last_name": sup["last_name"],
        "email": sup["email"],
        "arabic_first_name": "كريم",
        "arabic_last_name": "الإدريسي",
    }
    # The association pages call relative /api/... with Content-Type on GETs.
    listed = _ok(full_gw.get("/api/associations/", headers=admin))["results"]
    row = next(a for a in listed if a["id"] == aid)
    assert row["supervisor"] == expected
    detail = _ok(full_gw.get(f"/api/associations/{aid}/", headers=admin))
    assert detail["supervisor"] == expected
    assert world["association"]["supervisor"] == sup["id"]  # create: the contract's id


def test_F10_association_centres(
    full_gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    detail = _ok(full_gw.get(f"/api/associations/{world['association']['id']}/", headers=admin))
    assert detail["centers"] == [
        {
            "id": world["center"]["id"],
            "name": world["center"]["name"],
            "city": "Larache",
            "phone_number": "0539000000",
            "is_active": True,
            "is_verified": False,
        }
    ]


def test_F11_association_logo_url(
    full_gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    aid = world["association"]["id"]
    listed = _ok(full_gw.get("/api/associations/", headers=admin))["results"]
    row = next(a for a in listed if a["id"] == aid)
    detail = _ok(full_gw.get(f"/api/associations/{aid}/", headers=admin))
    assert row["logo_url"] == detail["logo_url"] == detail["logo"]
    assert full_gw.get(detail["logo_url"]).content == _png()


def test_F12_association_put_as_the_edit_page_sends_it(
    full_gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    aid = world["association"]["id"]
    data = _ok(full_gw.get(f"/api/associations/{aid}/", headers=admin))
    # AdminEditAssociationPage: every field, empty ones as null, supervisor = supervisor?.id.
    payload = {
        "name": data["name"],
        "description": "",
        "email": data["email"] or None,
        "phone_number": data["phone_number"] or None,
        "address": data["address"] or None,
        "city": data["city"] or None,
        "registration_number": data["registration_number"] or None,
        "website": data["website"] or None,
        "facebook_link": data["facebook_link"] or None,
        "instagram_link": data["instagram_link"] or None,
        "twitter_link": data["twitter_link"] or None,
        "maps_link": data["maps_link"] or None,
        "contract_start_date": data["contract_start_date"] or None,
        "contract_end_date": data["contract_end_date"] or None,
        "supervisor": (data["supervisor"] or {}).get("id"),
    }
    saved = _ok(full_gw.put(f"/api/associations/{aid}/", json=payload, headers=admin))
    assert saved["supervisor"]["id"] == world["assoc_sup"]["id"]
    assert saved["description"] == "" and saved["website"] == "https://alamal.ma"
    assert saved["logo"] == data["logo"]  # not dropped
    # "No supervisor" picked in the select: null.
    none = _ok(
        full_gw.put(
            f"/api/associations/{aid}/", json={**payload, "supervisor": None}, headers=admin
        )
    )
    assert none["supervisor"] is None
    back = {**payload, "supervisor": world["assoc_sup"]["id"], "description": "Soutien"}
    _ok(full_gw.put(f"/api/associations/{aid}/", json=back, headers=admin))


def test_website_is_returned_as_sent(
    full_gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    assert world["association"]["website"] == "https://alamal.ma"
    cid = world["center"]["id"]
    urls = {"website": "https://centre.ma", "maps_link": "https://maps.google.com/?q=Larache"}
    saved = _ok(full_gw.patch(f"/api/centers-app/centers/{cid}/", json=urls, headers=admin))
    assert {k: saved[k] for k in urls} == urls


def test_M1_my_centre_by_supervisor(
    full_gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    me = _ok(full_gw.get("/api/accounts/users/me/", headers=world["sup"]))
    mine = _ok(
        full_gw.get(f"/api/centers-app/centers/?supervisor={me['id']}", headers=world["sup"])
    )
    assert [c["id"] for c in mine["results"]] == [world["center"]["id"]]
    # An admin asking the same gets that supervisor's centres only, not every centre.
    as_admin = _ok(full_gw.get(f"/api/centers-app/centers/?supervisor={me['id']}", headers=admin))
    assert [c["id"] for c in as_admin["results"]] == [world["center"]["id"]]
    doc = full_gw.get("/swagger.json").json()
    params = {p["name"] for p in doc["paths"]["/api/centers-app/centers/"]["get"]["parameters"]}
    assert "supervisor" in params


def test_M2_groups_by_center(
    full_gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    cid = world["center"]["id"]
    page = _ok(full_gw.get(f"/api/centers-app/groups/?center={cid}", headers=admin))
    assert [g["id"] for g in page["results"]] == [world["group"]["id"]]
    assert page["results"][0]["name"] == world["group"]["name"]
    doc = full_gw.get("/swagger.json").json()
    params = {p["name"] for p in doc["paths"]["/api/centers-app/groups/"]["get"]["parameters"]}
    assert "center" in params


def test_C5_dev_origins_pass_cors(full_gw: httpx.Client, world: dict[str, Any]) -> None:
    for origin in (*DEV_ORIGINS, "http://localhost:5174"):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            pre = full_gw.options(
                "/api/centers-app/centers/",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": "authorization,content-type",
                },
            )
            assert pre.status_code in (200, 204), (origin, method, pre.status_code)
            assert pre.headers["access-control-allow-origin"] == origin
            assert method in pre.headers["access-control-allow-methods"]
            allowed = pre.headers["access-control-allow-headers"].lower()
            assert "authorization" in allowed and "content-type" in allowed
        real = full_gw.get("/api/centers-app/centers/", headers={**world["sup"], "Origin": origin})
        assert real.status_code == 200
        assert real.headers["access-control-allow-origin"] == origin
    other = full_gw.options(
        "/api/centers-app/centers/",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in other.headers


def test_S2_next_links_follow_the_host_the_browser_called(
    full_stack: Stack, full_gw: httpx.Client, admin: dict[str, str], world: dict[str, Any]
) -> None:
    # AdminSupervisorsPage, served from localhost:5174, calls http://localhost:8000/api/...
    # and fetches every `next` as returned.
    port = full_stack.config.gateway_port
    host = f"localhost:{port}"
    origin = "http://localhost:5174"
    headers = {"Authorization": admin["Authorization"], "Origin": origin}
    url: str | None = f"http://{host}/api/accounts/users/?page_size=1"
    pages = 0
    with httpx.Client(timeout=30) as c:
        while url and pages < 3:
            assert url.startswith(f"http://{host}/api/accounts/users/"), url
            # The browser resolves localhost; here it is reached on 127.0.0.1.
            target = url.replace(f"http://{host}", full_stack.gateway_url)
            resp = c.get(target, headers={**headers, "Host": host})
            assert resp.status_code == 200, resp.text
            assert resp.headers["access-control-allow-origin"] == origin
            url = resp.json()["next"]
            pages += 1
    assert pages == 3  # at least the two supervisors of the world, and the admin


def test_F32_logout_with_the_refresh_token_only(
    full_gw: httpx.Client, admin: dict[str, str]
) -> None:
    made = _add_supervisor(full_gw, admin, "center_supervisor")
    tokens = _login(full_gw, made["email"], CLIENT_PASSWORD)
    # AuthContext: JSON {refresh}, no Authorization header.
    resp = full_gw.post("/api/accounts/users/logout/", json={"refresh": tokens["refresh"]})
    assert _ok(resp) == {"detail": "Successfully logged out."}
    refreshed = full_gw.post("/api/token/refresh/", json={"refresh": tokens["refresh"]})
    assert refreshed.status_code == 401
    # Every earlier token of the user ends, in every service (centers learns it from
    # auth's user event: within a moment, so wait for it with a deadline).
    deadline = time.monotonic() + 30
    while True:
        gone = full_gw.get("/api/centers-app/centers/", headers=_bearer(tokens["access"]))
        if gone.status_code == 401:
            break
        assert gone.status_code == 200, gone.text
        assert time.monotonic() < deadline, "centers still takes the logged-out token"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def lax_stack() -> Iterator[Stack]:
    """auth and centers with the first-login setting for the existing client."""
    root = Path(tempfile.mkdtemp(prefix="entraide-e2e-c9-"))
    config = StackConfig.for_tests(
        root,
        services=["auth", "centers"],
        extra_env={"AUTH_FORCE_PASSWORD_CHANGE": "false"},
        start_docs=False,
    )
    with Stack(config) as running:
        yield running


def _provisioned_trainer(stack: Stack, gw: httpx.Client) -> tuple[dict[str, Any], dict[str, str]]:
    admin = _bearer(_login(gw, stack.admin_email, stack.admin_password())["access"])
    tag = uuid.uuid4().hex[:6]
    made = _ok(
        gw.post(
            "/api/accounts/users/provision/",
            json={"users": [{"first_name": "Amal", "last_name": f"Tazi{tag}", "role": "trainer"}]},
            headers=admin,
        ),
        201,
    )["users"][0]
    assert made["initial_password"]  # generated and returned once, either way
    return made, _login(gw, made["email"], made["initial_password"])


def test_C9_first_login(full_stack: Stack, full_gw: httpx.Client, lax_stack: Stack) -> None:
    # Default: a one-time password must be changed before anything else works.
    _, tokens = _provisioned_trainer(full_stack, full_gw)
    assert _claims(tokens["access"])["pwd_change"] is True
    me = _ok(full_gw.get("/api/accounts/users/me/", headers=_bearer(tokens["access"])))
    assert me["must_change_password"] is True
    refused = full_gw.get("/api/associations/", headers=_bearer(tokens["access"]))
    assert refused.status_code == 403
    # AUTH_FORCE_PASSWORD_CHANGE=false: logged in, the client's pages work.
    with httpx.Client(base_url=lax_stack.gateway_url, timeout=30) as gw:
        made, tokens = _provisioned_trainer(lax_stack, gw)
        assert "pwd_change" not in _claims(tokens["access"])
        me = _ok(gw.get("/api/accounts/users/me/", headers=_bearer(tokens["access"])))
        assert me["id"] == made["id"] and me["role"] == "trainer"
        assert me["must_change_password"] is False
        assert _ok(gw.get("/api/associations/", headers=_bearer(tokens["access"])))["count"] == 0
