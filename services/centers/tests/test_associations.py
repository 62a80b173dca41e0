from __future__ import annotations

from .conftest import ADMIN, ASSOC_SUP, STUDENT, SUP_A, TRAINER, Api, png_bytes

URL = "/api/associations/"


async def test_crud_and_contract_shape(api: Api) -> None:
    body = {
        "name": "Al Amal Association",
        "description": "Supporting local youth programs.",
        "supervisor": ASSOC_SUP,
        "phone_number": "+212600000000",
        "email": "contact@alamal.ma",
        "city": "Rabat",
        "website": "https://alamal.ma",
        "twitter_link": None,
        "contract_start_date": "2024-01-01",
        "contract_end_date": "2025-12-31",
        "registration_number": "ASSOC-RBT-001",
    }
    resp = await api("POST", URL, json=body)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    expected_keys = {
        "id",
        "name",
        "description",
        "logo",
        "phone_number",
        "email",
        "address",
        "city",
        "maps_link",
        "website",
        "facebook_link",
        "instagram_link",
        "twitter_link",
        "supervisor",
        "contract_start_date",
        "contract_end_date",
        "registration_number",
        "is_active",
        "is_verified",
        "created_at",
        "updated_at",
    }
    # The contract's fields, plus logo_url for the web client.
    assert set(created) == expected_keys | {"logo_url"}
    assert created["supervisor"] == ASSOC_SUP
    assert created["is_active"] is True and created["is_verified"] is True
    # URLs come back exactly as sent (no trailing slash added).
    assert created["twitter_link"] is None and created["website"] == "https://alamal.ma"
    aid = created["id"]
    for reader in (TRAINER, STUDENT):
        assert (await api("GET", f"{URL}{aid}/", reader)).status_code == 200
        assert (await api("GET", URL, reader)).json()["count"] == 1
    patched = await api("PATCH", f"{URL}{aid}/", json={"city": "Sale"})
    assert patched.status_code == 200 and patched.json()["city"] == "Sale"
    put = await api(
        "PUT", f"{URL}{aid}/", json={"name": "Al Amal", "description": "d", "supervisor": ASSOC_SUP}
    )
    assert put.status_code == 200 and put.json()["name"] == "Al Amal"
    assert (await api("DELETE", f"{URL}{aid}/")).status_code == 204
    assert (await api("GET", f"{URL}{aid}/")).status_code == 404


async def test_required_fields_and_roles(api: Api) -> None:
    resp = await api("POST", URL, json={})
    assert resp.status_code == 400
    assert resp.json() == {
        "name": ["This field is required."],
        "description": ["This field is required."],
        "supervisor": ["This field is required."],
    }
    body = {"name": "X", "description": "d", "supervisor": ASSOC_SUP}
    for writer in (SUP_A, TRAINER, STUDENT):
        assert (await api("POST", URL, writer, json=body)).status_code == 403
    assert (await api("POST", URL, None, json=body)).status_code == 401
    assert (await api("GET", URL, None)).status_code == 401


async def test_supervisor_must_be_an_association_supervisor(api: Api) -> None:
    resp = await api("POST", URL, json={"name": "X", "description": "d", "supervisor": SUP_A})
    assert resp.status_code == 400
    assert resp.json() == {
        "supervisor": ["The supervisor must be a user with the role association_supervisor."]
    }
    resp = await api("POST", URL, json={"name": "X", "description": "d", "supervisor": 999})
    assert resp.status_code == 400 and "supervisor" in resp.json()


async def test_unique_name_and_registration_number_and_dates(api: Api) -> None:
    base = {"description": "d", "supervisor": ASSOC_SUP}
    assert (
        await api("POST", URL, json={**base, "name": "A", "registration_number": "R-1"})
    ).status_code == 201
    assert (
        await api("POST", URL, json={**base, "name": "B", "registration_number": ""})
    ).status_code == 201
    assert (
        await api("POST", URL, json={**base, "name": "C"})
    ).status_code == 201  # no number twice is fine
    dup_name = await api("POST", URL, json={**base, "name": "A"})
    assert dup_name.status_code == 400 and "name" in dup_name.json()
    dup_reg = await api("POST", URL, json={**base, "name": "D", "registration_number": "R-1"})
    assert dup_reg.status_code == 400 and "registration_number" in dup_reg.json()
    # The same on a change (it was a 500: found by bench/fuzz.py).
    listed = (await api("GET", URL, params={"search": "B"})).json()["results"]
    b_id = next(a["id"] for a in listed if a["name"] == "B")
    renamed = await api("PATCH", f"{URL}{b_id}/", json={"name": "A"})
    assert renamed.status_code == 400 and "name" in renamed.json()
    dates = await api(
        "POST",
        URL,
        json={
            **base,
            "name": "E",
            "contract_start_date": "2025-01-01",
            "contract_end_date": "2024-01-01",
        },
    )
    assert dates.status_code == 400 and "contract_end_date" in dates.json()
    bad = await api(
        "POST", URL, json={**base, "name": "F", "email": "nope", "website": "not a url"}
    )
    assert bad.status_code == 400 and set(bad.json()) == {"email", "website"}


async def test_filters_search_ordering(api: Api) -> None:
    base = {"description": "helps", "supervisor": ASSOC_SUP}
    await api("POST", URL, json={**base, "name": "Zitoun", "city": "Fes", "is_active": False})
    await api("POST", URL, json={**base, "name": "Amal", "city": "Rabat"})
    names = lambda r: [a["name"] for a in r.json()["results"]]  # noqa: E731
    assert names(await api("GET", URL, params={"city": "Fes"})) == ["Zitoun"]
    assert names(await api("GET", URL, params={"is_active": "true"})) == ["Amal"]
    assert names(await api("GET", URL, params={"search": "zit"})) == ["Zitoun"]
    assert names(await api("GET", URL, params={"ordering": "-name"})) == ["Zitoun", "Amal"]
    assert names(await api("GET", URL)) == ["Amal", "Zitoun"]
    assert names(await api("GET", URL, params={"supervisor": ASSOC_SUP})) == ["Amal", "Zitoun"]


async def test_logo_upload_is_served_back(api: Api, client) -> None:  # type: ignore[no-untyped-def]
    data = {
        "name": "Logo Assoc",
        "description": "d",
        "supervisor": str(ASSOC_SUP),
        "is_active": "true",
    }
    files = {"logo": ("logo.png", png_bytes(), "image/png")}
    resp = await api("POST", URL, data=data, files=files)
    assert resp.status_code == 201, resp.text
    logo = resp.json()["logo"]
    assert logo.startswith("http://testserver/api/centers-app/media/")
    served = await client.get(logo)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == png_bytes()


async def test_a_text_file_named_png_is_415(api: Api) -> None:
    data = {"name": "Fake", "description": "d", "supervisor": str(ASSOC_SUP)}
    files = {"logo": ("logo.png", b"just some text, not an image", "image/png")}
    resp = await api("POST", URL, data=data, files=files)
    assert resp.status_code == 415
    assert "detail" in resp.json()
    assert (await api("GET", URL, ADMIN)).json()["count"] == 0
