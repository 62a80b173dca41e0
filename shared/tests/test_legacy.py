"""The original backend's user object, and the profile copy's values."""

from __future__ import annotations

import datetime as dt

from entraide_kit.contracts import User
from entraide_kit.copies.profiles import profiles
from entraide_kit.copies.users import UserCopy
from entraide_kit.legacy import null_text, picture_url, user_object

USER = UserCopy(
    id=7,
    email="fatima.zahra@entraide.ma",
    username="fatima.zahra",
    first_name="Fatima",
    last_name="Zahra",
    arabic_first_name="فاطمة",
    arabic_last_name="الزهراء",
    role="center_supervisor",
    is_active=False,
)


def test_profile_values_from_an_event_or_the_owners_answer() -> None:
    event = User(
        id=7,
        email="fatima.zahra@entraide.ma",
        role="student",
        is_active=True,
        token_version=0,
        phone_number=None,
        birth_date="2001-03-04",
        city="Larache",
        cin_id="LA123",
    )
    assert profiles.from_payload(event) == {
        "phone_number": "",
        "cin_id": "LA123",
        "birth_city": "",
        "address": "",
        "city": "Larache",
        "profile_picture": None,
        "birth_date": dt.date(2001, 3, 4),
    }
    odd = event.model_copy(update={"birth_date": "not a date"})
    assert profiles.from_payload(odd)["birth_date"] is None
    # auth's answer spells it CIN_id.
    answered = profiles.from_answer(
        7, {"email": "f@entraide.ma", "role": "student", "CIN_id": "AB12"}
    )
    assert profiles.from_payload(answered)["cin_id"] == "AB12"


def test_user_object_has_the_original_names() -> None:
    profile = {
        "profile_picture": "auth/pictures/a.png",
        "phone_number": "0600000000",
        "cin_id": "LA123",
        "birth_date": dt.date(2001, 3, 4),
        "birth_city": "Tetouan",
        "address": "1 rue",
        "city": "Larache",
    }
    media = lambda v: picture_url(v, "http://localhost:8000")  # noqa: E731
    obj = user_object(USER, profile, media_url=media)
    assert obj is not None
    assert obj["Arabic_first_name"] == "فاطمة" and obj["CIN_id"] == "LA123"
    assert obj["is_active"] is False and obj["role_display"] == "Center Supervisor"
    assert obj["birth_date"] == "2001-03-04"
    assert obj["profile_picture"] == "http://localhost:8000/api/accounts/media/auth/pictures/a.png"
    bare = user_object(USER, None, media_url=media)
    assert bare is not None and bare["profile_picture"] is None and bare["city"] == ""
    assert user_object(None, profile, media_url=media) is None
    assert (
        picture_url("https://cdn.example.org/p.png", "http://x") == "https://cdn.example.org/p.png"
    )


def test_null_text() -> None:
    assert null_text("null") is None
    assert null_text("") == "" and null_text("Rabat") == "Rabat" and null_text(None) is None
