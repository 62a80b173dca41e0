"""Proof under attack, through the gateway of the real stack (issue 12).

- Token forgery: every forged, expired, misdirected, tampered or revoked token
  is a 401 in each of the eight services.
- Mass assignment: fields a student, trainer or supervisor may not set change
  nothing.
- Object-level access: a user of one centre, group or student cannot read,
  change or delete another's (403 or 404), across every service.
- Limits: the default anonymous budget (exactly 60, then 429 with the
  X-RateLimit headers, not reset by spoofed headers or junk tokens), 413 on a
  20 MB body, a 20000x20000 PNG refused, page_size capped at 100.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import struct
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from entraide_stack import Stack, StackConfig

PASSWORD = "Sahara-Atlas-2024"
NEW_PASSWORD = "Atlas-Sahara-2025!"
YEAR = "2024-2025"
MONDAY = "2024-06-10"

# One authenticated endpoint per service, open to admins and trainers alike.
PROBES = {
    "auth": "/api/accounts/users/me/",
    "centers": "/api/associations/",
    "programs": "/api/programs/trainingprogrames/",
    "students": "/api/students/",
    "schedule": "/api/schedule/api/sessions/",
    "attendance": "/api/attendance/api/records/",
    "exams": "/api/exams/",
    "content": "/api/courses/courses/",
}


# --------------------------------------------------------------------------- helpers
def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, f"{resp.request.method} {resp.url}: {resp.text[:500]}"
    return resp.json()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _denied(resp: httpx.Response) -> bool:
    return resp.status_code in (403, 404)


def _created(
    gw: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """POST until 201: a record made a moment ago may not be in the copies yet (400)."""
    deadline = time.monotonic() + 30
    while True:
        resp = gw.post(path, json=body, headers=headers)
        if resp.status_code == 201:
            return dict(resp.json())
        assert resp.status_code == 400 and time.monotonic() < deadline, f"{path}: {resp.text}"
        time.sleep(0.2)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG announcing width x height, without the pixel data (cheap to make)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def _small_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 120, 60)).save(buf, format="PNG")
    return buf.getvalue()


# --------------------------------------------------------------------------- the stack
@pytest.fixture(scope="module")
def stack(full_stack: Stack) -> Stack:
    """The whole platform, shared with the other end-to-end tests of the run."""
    return full_stack


@pytest.fixture(scope="module")
def gw(full_gw: httpx.Client) -> httpx.Client:
    return full_gw


@dataclass
class Person:
    id: int
    email: str
    headers: dict[str, str]
    access: str = ""
    refresh: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _login(gw: httpx.Client, email: str, password: str) -> tuple[str, str]:
    tokens = _ok(gw.post("/api/token/", json={"email": email, "password": password}))
    return tokens["access"], tokens["refresh"]


def _user(gw: httpx.Client, admin: dict[str, str], role: str, name: str) -> Person:
    email = f"{name}-{uuid.uuid4().hex[:6]}@entraide.ma"
    body = {
        "email": email,
        "password": PASSWORD,
        "role": role,
        "first_name": name.capitalize(),
        "last_name": "Test",
    }
    made = _ok(gw.post("/api/accounts/users/", json=body, headers=admin), 201)
    access, refresh = _login(gw, email, PASSWORD)
    return Person(made["id"], email, _bearer(access), access, refresh)


def _student(
    gw: httpx.Client, admin: dict[str, str], *, center: int, program: int, group: int, name: str
) -> Person:
    body = {
        "first_name": name.capitalize(),
        "last_name": "Student",
        "exam_id": f"SEC-{uuid.uuid4().hex[:8]}",
        "center": center,
        "program": program,
        "group": group,
        "academic_year": YEAR,
        "joining_date": "2024-09-01",
    }
    made = _ok(gw.post("/api/students/", json=body, headers=admin), 201)
    email = made["user"]["email"]
    first, _ = _login(gw, email, made["initial_password"])
    changed = _ok(
        gw.post(
            "/api/accounts/users/change_password/",
            json={"old_password": made["initial_password"], "new_password": NEW_PASSWORD},
            headers=_bearer(first),
        )
    )
    person = Person(
        made["user"]["id"],
        email,
        _bearer(changed["access"]),
        changed["access"],
        changed["refresh"],
    )
    person.extra["student"] = made["id"]
    return person


@dataclass
class World:
    """Two centres side by side, with everything in each (A and B), made by the admin."""

    admin: Person
    sup: dict[str, Person]
    trainer: dict[str, Person]
    student: dict[str, Person]
    ids: dict[str, dict[str, int]]  # kind -> {"A": id, "B": id}

    def id(self, kind: str, side: str) -> int:
        return self.ids[kind][side]


@pytest.fixture(scope="module")
def world(stack: Stack, gw: httpx.Client) -> World:
    access, refresh = _login(gw, stack.admin_email, stack.admin_password())
    admin = Person(0, stack.admin_email, _bearer(access), access, refresh)
    a = admin.headers
    admin.id = _ok(gw.get("/api/accounts/users/me/", headers=a))["id"]
    sup = {s: _user(gw, a, "center_supervisor", f"sup{s.lower()}") for s in "AB"}
    trainer = {s: _user(gw, a, "trainer", f"trainer{s.lower()}") for s in "AB"}
    ids: dict[str, dict[str, int]] = {}

    def make(kind: str, side: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        made = _ok(gw.post(path, json=body, headers=a), 201)
        ids.setdefault(kind, {})[side] = made["id"]
        return dict(made)

    tag = uuid.uuid4().hex[:6]
    for s in "AB":
        make(
            "center",
            s,
            "/api/centers-app/centers/",
            {"name": f"Centre {s} {tag}", "city": "Rabat", "supervisor": sup[s].id},
        )
        c = ids["center"][s]
        make(
            "room",
            s,
            "/api/centers-app/rooms/",
            {"name": f"Room {s}", "type": "classroom", "capacity": 20, "center": c},
        )
        make(
            "equipment",
            s,
            "/api/centers-app/equipment/",
            {"name": f"Projector {s}", "condition": "good", "quantity": 1, "center": c},
        )
        make("group", s, "/api/centers-app/groups/", {"name": f"Group {s}", "center": c})
        make(
            "program",
            s,
            "/api/programs/trainingprogrames/",
            {"name": f"Programme {s} {tag}", "description": "d", "duration_years": 2},
        )
        make(
            "course",
            s,
            "/api/programs/trainingcourses/",
            {
                "program": ids["program"][s],
                "center": c,
                "trainer": trainer[s].id,
                "academic_year": YEAR,
            },
        )
        make(
            "teacher",
            s,
            "/api/teachers/",
            {
                "first_name": f"Teacher{s}",
                "last_name": "Test",
                "center": c,
                "program": ids["program"][s],
            },
        )
        make(
            "session",
            s,
            "/api/schedule/api/sessions/",
            {
                "day": "Monday",
                "start_time": "08:30:00",
                "end_time": "10:30:00",
                "academic_year": YEAR,
                "trainer": trainer[s].id,
                "room": ids["room"][s],
                "group": ids["group"][s],
                "training_course": ids["course"][s],
                "is_active": True,
            },
        )
    student = {
        s: _student(
            gw,
            a,
            center=ids["center"][s],
            program=ids["program"][s],
            group=ids["group"][s],
            name=f"stud{s.lower()}",
        )
        for s in "AB"
    }
    ids["student"] = {s: student[s].extra["student"] for s in "AB"}
    generated = _ok(
        gw.post(
            "/api/schedule/api/instances/generate_for_week/",
            json={"start_date": MONDAY, "academic_year": YEAR},
            headers=a,
        )
    )
    by_template = {i["schedule_template"]: i["id"] for i in generated["instances"]}
    ids["instance"] = {s: by_template[ids["session"][s]] for s in "AB"}
    for s in "AB":
        # attendance and exams learn of students, instances and courses by events
        # (or ask their owner once): retried until their copies have them.
        record = _created(
            gw,
            "/api/attendance/api/records/",
            {
                "date": MONDAY,
                "student": ids["student"][s],
                "session_instance": ids["instance"][s],
                "status": "present",
            },
            a,
        )
        ids.setdefault("record", {})[s] = record["id"]
        question = make(
            "question",
            s,
            "/api/exams/questions/",
            {
                "training": ids["program"][s],
                "type": "MCQ",
                "question_text": "Capital of Morocco?",
                "options": ["Rabat", "Fes"],
                "correct_answer": "Rabat",
                "points": 2,
            },
        )
        exam = _created(
            gw,
            "/api/exams/",
            {
                "title": f"Exam {s}",
                "exam_type": "term1_theory",
                "student": student[s].id,
                "training": ids["program"][s],
                "questions": [question["id"]],
                "status": "published",
            },
            a,
        )
        ids.setdefault("exam", {})[s] = exam["id"]
    return World(admin, sup, trainer, student, ids)


# --------------------------------------------------------------------------- forgery
def _claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _forgeries(stack: Stack, gw: httpx.Client, victim: Person) -> dict[str, str]:
    """Tokens that must never pass, made from a real one of ``victim`` (an admin)."""
    jwks = _ok(gw.get("/api/token/jwks/"))
    (entry,) = jwks["keys"]
    kid = entry["kid"]
    public_pem = (
        jwt.PyJWK(entry, algorithm="EdDSA")
        .key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )
    real_key = serialization.load_pem_private_key(stack.signing_key_file.read_bytes(), None)
    good = victim.access
    claims = _claims_of(good)
    now = int(time.time())
    header, payload, signature = good.split(".")

    def signed(changes: dict[str, Any], drop: tuple[str, ...] = (), key: Any = real_key) -> str:
        body = {k: v for k, v in {**claims, **changes}.items() if k not in drop}
        return jwt.encode(body, key, algorithm="EdDSA", headers={"kid": kid})

    def hs256(secret: bytes) -> str:
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
        mac = hmac.new(secret, f"{head}.{payload}".encode(), hashlib.sha256).digest()
        return f"{head}.{payload}.{_b64(mac)}"

    none_head = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    other = _claims_of(good) | {"sub": "1", "role": "admin", "jti": uuid.uuid4().hex}
    return {
        "alg none, no signature": f"{none_head}.{payload}.",
        "alg none, the real signature": f"{none_head}.{payload}.{signature}",
        "HS256 signed with the public key PEM": hs256(public_pem.encode()),
        "HS256 signed with the raw public key": hs256(
            base64.urlsafe_b64decode(entry["x"] + "=" * (-len(entry["x"]) % 4))
        ),
        "a wrong Ed25519 key": signed({}, key=Ed25519PrivateKey.generate()),
        "a wrong key under an unknown kid": jwt.encode(
            claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "rotated"}
        ),
        "expired": signed({"exp": now - 5, "iat": now - 3600}),
        "future nbf": signed({"nbf": now + 3600}),
        "wrong aud": signed({"aud": "another-application"}),
        "wrong iss": signed({"iss": "https://evil.example"}),
        "missing exp": signed({}, drop=("exp",)),
        "missing jti": signed({}, drop=("jti",)),
        "tampered payload": f"{header}.{_b64(json.dumps(other).encode())}.{signature}",
        "a refresh token used as access": victim.refresh,
        "a refresh token re-signed as access-like": signed({"token_type": "refresh"}),
        "garbage": "not-a-token",
        "three empty segments": "..",
    }


def _probe_all(gw: httpx.Client, headers: dict[str, str]) -> dict[str, int]:
    return {name: gw.get(path, headers=headers).status_code for name, path in PROBES.items()}


def test_a_valid_token_passes_everywhere(world: World, gw: httpx.Client) -> None:
    assert _probe_all(gw, world.admin.headers) == dict.fromkeys(PROBES, 200)
    assert _probe_all(gw, world.trainer["A"].headers) == dict.fromkeys(PROBES, 200)


def test_forged_tokens_are_401_in_every_service(
    stack: Stack, world: World, gw: httpx.Client
) -> None:
    problems = []
    for name, token in _forgeries(stack, gw, world.admin).items():
        for service, path in PROBES.items():
            resp = gw.get(path, headers=_bearer(token))
            if resp.status_code != 401:
                problems.append(f"{name} in {service}: {resp.status_code}")
            elif resp.json().get("code") not in ("token_not_valid", None):
                problems.append(f"{name} in {service}: {resp.json()}")
    assert problems == []


def _revoked_within(gw: httpx.Client, headers: dict[str, str], limit: float) -> float:
    """Seconds until every service refuses ``headers`` (fails past ``limit``)."""
    started = time.monotonic()
    pending = dict(PROBES)
    while pending:
        for name, path in list(pending.items()):
            if gw.get(path, headers=headers).status_code == 401:
                del pending[name]
        elapsed = time.monotonic() - started
        assert elapsed <= limit, f"still accepted after {elapsed:.2f}s by {sorted(pending)}"
        if pending:
            time.sleep(0.05)
    # And it stays refused.
    assert _probe_all(gw, headers) == dict.fromkeys(PROBES, 401)
    return time.monotonic() - started


def test_access_token_after_logout_is_refused_everywhere_within_2s(
    world: World, gw: httpx.Client
) -> None:
    person = _user(gw, world.admin.headers, "trainer", "leaver")
    assert _probe_all(gw, person.headers) == dict.fromkeys(PROBES, 200)  # caches warm
    _ok(
        gw.post(
            "/api/accounts/users/logout/", json={"refresh": person.refresh}, headers=person.headers
        )
    )
    _revoked_within(gw, person.headers, 2.0)
    again = gw.post("/api/token/refresh/", json={"refresh": person.refresh})
    assert again.status_code == 401


def test_access_token_after_deactivation_is_refused_everywhere_within_2s(
    world: World, gw: httpx.Client
) -> None:
    person = _user(gw, world.admin.headers, "trainer", "deactivated")
    assert _probe_all(gw, person.headers) == dict.fromkeys(PROBES, 200)
    _ok(
        gw.patch(
            f"/api/accounts/users/{person.id}/",
            json={"is_active": False},
            headers=world.admin.headers,
        )
    )
    _revoked_within(gw, person.headers, 2.0)
    assert gw.post("/api/token/refresh/", json={"refresh": person.refresh}).status_code == 401
    login = gw.post("/api/token/", json={"email": person.email, "password": PASSWORD})
    assert login.status_code in (400, 401)


# --------------------------------------------------------------------------- mass assignment
def _me(gw: httpx.Client, person: Person) -> dict[str, Any]:
    return dict(_ok(gw.get("/api/accounts/users/me/", headers=person.headers)))


def test_users_cannot_raise_themselves(world: World, gw: httpx.Client) -> None:
    for person in (world.student["A"], world.trainer["A"], world.sup["A"]):
        before = _me(gw, person)
        sneaky = {
            "role": "admin",
            "is_active": False,
            "is_staff": True,
            "is_superuser": True,
            "must_change_password": True,
            "token_version": 0,
            "id": 1,
            "email": f"taken-{uuid.uuid4().hex[:4]}@entraide.ma",
            "password": "Owned-Password-1",
            "city": "Fes",
        }
        for method in ("PATCH", "PUT"):
            resp = gw.request(
                method, "/api/accounts/users/me/", json=sneaky, headers=person.headers
            )
            assert resp.status_code in (200, 400, 403), resp.text
        after = _me(gw, person)
        for key in ("id", "role", "is_active", "email", "must_change_password"):
            assert after.get(key) == before.get(key), (person.email, key)
        # The password did not change either.
        assert gw.post(
            "/api/token/", json={"email": after["email"], "password": "Owned-Password-1"}
        ).status_code in (400, 401)
    # A supervisor may manage users, but not make (or become) an admin.
    sup = world.sup["A"]
    promote = gw.patch(
        f"/api/accounts/users/{sup.id}/", json={"role": "admin"}, headers=sup.headers
    )
    assert promote.status_code == 403
    made = gw.post(
        "/api/accounts/users/",
        json={
            "email": f"x-{uuid.uuid4().hex[:6]}@entraide.ma",
            "password": PASSWORD,
            "role": "admin",
        },
        headers=sup.headers,
    )
    assert made.status_code == 403
    demote = gw.patch(
        f"/api/accounts/users/{world.admin.id}/",
        json={"role": "student", "is_active": False},
        headers=sup.headers,
    )
    assert demote.status_code == 403
    assert _me(gw, world.admin)["role"] == "admin"
    assert _me(gw, sup)["role"] == "center_supervisor"


def _instance(gw: httpx.Client, world: World, side: str) -> dict[str, Any]:
    return dict(
        _ok(
            gw.get(
                f"/api/schedule/api/instances/{world.id('instance', side)}/",
                headers=world.admin.headers,
            )
        )
    )


def test_a_trainer_changes_only_status_and_notes(world: World, gw: httpx.Client) -> None:
    trainer = world.trainer["A"]
    url = f"/api/schedule/api/instances/{world.id('instance', 'A')}/"
    before = _instance(gw, world, "A")
    for body in (
        {"custom_trainer": world.trainer["B"].id},
        {"custom_room": world.id("room", "B")},
        {"status": "completed", "custom_room": world.id("room", "B")},
        {"notes": "moved", "specific_date": "2024-06-11", "custom_start_time": "18:00:00"},
        {"schedule_template": world.id("session", "B")},
    ):
        resp = gw.patch(url, json=body, headers=trainer.headers)
        assert resp.status_code == 403, (body, resp.text)
    put = gw.put(
        url,
        json={
            "schedule_template": world.id("session", "A"),
            "specific_date": MONDAY,
            "custom_room": world.id("room", "B"),
            "status": "completed",
        },
        headers=trainer.headers,
    )
    assert put.status_code == 403
    assert _instance(gw, world, "A") == before
    ok = _ok(gw.patch(url, json={"notes": "Projector broken"}, headers=trainer.headers))
    assert ok["notes"] == "Projector broken"
    after = _instance(gw, world, "A")
    for key in ("custom_room", "custom_trainer", "specific_date", "schedule_template", "status"):
        assert after.get(key) == before.get(key), key


def test_a_student_cannot_score_their_own_exam(world: World, gw: httpx.Client) -> None:
    student = world.student["A"]
    exam_id = world.id("exam", "A")
    question = world.id("question", "A")
    resp = gw.post(
        f"/api/exams/{exam_id}/submit/",
        json={
            "answers": [{"question": question, "answer": "Fes", "points": 100, "is_correct": True}],
            "score": 100,
            "earned_points": 100,
            "status": "completed",
            "student": world.student["B"].id,
        },
        headers=student.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"submitted": 1, "graded": 1, "waiting_for_grade": 0}
    exam = _ok(gw.get(f"/api/exams/{exam_id}/", headers=world.admin.headers))
    assert [(a["question"], a["points"]) for a in exam["answers"]] == [(question, 0.0)]
    assert exam["status"] == "published" and exam["score"] in (None, 0, 0.0)
    assert exam["student"] == student.id
    # A student cannot grade, nor give themselves points on an answer.
    grade = gw.post(
        f"/api/exams/{exam_id}/grade/",
        json={"question": question, "points": 2},
        headers=student.headers,
    )
    assert grade.status_code == 403
    again = _ok(gw.get(f"/api/exams/{exam_id}/", headers=world.admin.headers))
    assert again["answers"] == exam["answers"]


def _get(gw: httpx.Client, world: World, url: str) -> dict[str, Any]:
    return dict(_ok(gw.get(url, headers=world.admin.headers)))


def test_a_supervisor_cannot_move_records_to_another_centre(world: World, gw: httpx.Client) -> None:
    sup = world.sup["A"]
    other = world.id("center", "B")
    cases = {
        f"/api/centers-app/rooms/{world.id('room', 'A')}/": {"center": other},
        f"/api/centers-app/equipment/{world.id('equipment', 'A')}/": {"center": other},
        f"/api/centers-app/groups/{world.id('group', 'A')}/": {"center": other},
        f"/api/students/{world.id('student', 'A')}/": {
            "center": other,
            "group": world.id("group", "B"),
        },
        f"/api/teachers/{world.id('teacher', 'A')}/": {"center": other},
        f"/api/schedule/api/sessions/{world.id('session', 'A')}/": {
            "training_course": world.id("course", "B"),
            "room": world.id("room", "B"),
            "group": world.id("group", "B"),
        },
    }
    for url, body in cases.items():
        before = _get(gw, world, url)
        resp = gw.patch(url, json=body, headers=sup.headers)
        assert resp.status_code == 403, (url, resp.text)
        # Half a move (the centre, keeping a group of the old one) is refused too.
        if "center" in body:
            half = gw.patch(url, json={"center": other}, headers=sup.headers)
            assert half.status_code in (400, 403), (url, half.text)
        assert _get(gw, world, url) == before, url
    # Their own centre: its supervisor, association and flags are the admin's to set.
    url = f"/api/centers-app/centers/{world.id('center', 'A')}/"
    before = _get(gw, world, url)
    for body in (
        {"supervisor": world.sup["B"].id},
        {"is_verified": True, "is_active": False},
        {"name": "Renamed by its supervisor"},
    ):
        assert gw.patch(url, json=body, headers=sup.headers).status_code == 403
    assert _get(gw, world, url) == before


def test_a_student_cannot_move_or_mark_themselves(world: World, gw: httpx.Client) -> None:
    student = world.student["A"]
    sid = world.id("student", "A")
    before = _get(gw, world, f"/api/students/{sid}/")
    resp = gw.patch(
        f"/api/students/{sid}/",
        json={"group": world.id("group", "B"), "center": world.id("center", "B")},
        headers=student.headers,
    )
    assert resp.status_code == 403
    assert _get(gw, world, f"/api/students/{sid}/") == before
    record_url = f"/api/attendance/api/records/{world.id('record', 'A')}/"
    before = _get(gw, world, record_url)
    assert (
        gw.patch(record_url, json={"status": "absent"}, headers=student.headers).status_code == 403
    )
    assert _get(gw, world, record_url) == before


# --------------------------------------------------------------------------- object level
def test_object_level_access_across_services(world: World, gw: httpx.Client) -> None:
    """Side B's people try A's records: every read, change or delete is 403 or 404."""
    A = world.ids
    reads = [
        f"/api/centers-app/centers/{A['center']['A']}/",
        f"/api/centers-app/rooms/{A['room']['A']}/",
        f"/api/centers-app/equipment/{A['equipment']['A']}/",
        f"/api/centers-app/groups/{A['group']['A']}/",
        f"/api/teachers/{A['teacher']['A']}/",
        f"/api/students/{A['student']['A']}/",
        f"/api/attendance/api/records/{A['record']['A']}/",
        f"/api/exams/{A['exam']['A']}/",
    ]
    writes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("PATCH", f"/api/centers-app/rooms/{A['room']['A']}/", {"name": "Taken"}),
        ("PATCH", f"/api/centers-app/equipment/{A['equipment']['A']}/", {"quantity": 9}),
        ("PATCH", f"/api/centers-app/groups/{A['group']['A']}/", {"name": "Taken"}),
        ("PATCH", f"/api/teachers/{A['teacher']['A']}/", {"contract_with": "association"}),
        ("PATCH", f"/api/students/{A['student']['A']}/", {"academic_year": "2025-2026"}),
        ("PATCH", f"/api/schedule/api/sessions/{A['session']['A']}/", {"end_time": "11:30:00"}),
        ("PATCH", f"/api/schedule/api/instances/{A['instance']['A']}/", {"notes": "x"}),
        ("POST", f"/api/schedule/api/instances/{A['instance']['A']}/cancel/", {"reason": "x"}),
        ("PATCH", f"/api/attendance/api/records/{A['record']['A']}/", {"status": "absent"}),
        (
            "POST",
            "/api/attendance/api/records/",
            {
                "date": MONDAY,
                "student": A["student"]["A"],
                "session_instance": A["instance"]["A"],
                "status": "absent",
                "notes": "second",
            },
        ),
        (
            "PUT",
            f"/api/exams/{A['exam']['A']}/",
            {
                "exam_type": "term1_theory",
                "student": world.student["A"].id,
                "training": A["program"]["A"],
                "status": "draft",
            },
        ),
        ("PATCH", f"/api/exams/questions/{A['question']['A']}/", {"points": 50}),
        (
            "POST",
            f"/api/exams/{A['exam']['A']}/submit/",
            {"answers": [{"question": A["question"]["A"], "answer": "Rabat"}]},
        ),
    ]
    deletes = [
        f"/api/centers-app/rooms/{A['room']['A']}/",
        f"/api/centers-app/equipment/{A['equipment']['A']}/",
        f"/api/centers-app/groups/{A['group']['A']}/",
        f"/api/students/{A['student']['A']}/",
        f"/api/schedule/api/sessions/{A['session']['A']}/",
        f"/api/schedule/api/instances/{A['instance']['A']}/",
        f"/api/attendance/api/records/{A['record']['A']}/",
        f"/api/exams/{A['exam']['A']}/",
        f"/api/exams/questions/{A['question']['A']}/",
    ]
    watched = [
        *reads,
        f"/api/schedule/api/sessions/{A['session']['A']}/",
        f"/api/schedule/api/instances/{A['instance']['A']}/",
        f"/api/exams/questions/{A['question']['A']}/",
    ]
    before = {url: _get(gw, world, url) for url in watched}
    records_before = _ok(
        gw.get(
            "/api/attendance/api/records/",
            params={"student": A["student"]["A"]},
            headers=world.admin.headers,
        )
    )["count"]
    problems = []
    intruders = {
        "supervisor B": world.sup["B"],
        "trainer B": world.trainer["B"],
        "student B": world.student["B"],
    }
    for who, person in intruders.items():
        for url in reads:
            resp = gw.get(url, headers=person.headers)
            if not _denied(resp):
                problems.append(f"{who} GET {url}: {resp.status_code}")
        for method, url, body in writes:
            resp = gw.request(method, url, json=body, headers=person.headers)
            if not _denied(resp):
                problems.append(f"{who} {method} {url}: {resp.status_code}")
        for url in deletes:
            resp = gw.delete(url, headers=person.headers)
            if not _denied(resp):
                problems.append(f"{who} DELETE {url}: {resp.status_code}")
    assert problems == [], "\n".join(problems)
    for url, seen in before.items():
        assert _get(gw, world, url) == seen, url
    records_after = _ok(
        gw.get(
            "/api/attendance/api/records/",
            params={"student": A["student"]["A"]},
            headers=world.admin.headers,
        )
    )["count"]
    assert records_after == records_before


def _ids(page: Any) -> set[int]:
    rows = page if isinstance(page, list) else page["results"]
    return {int(r["id"]) for r in rows}


def test_lists_show_only_what_is_yours(world: World, gw: httpx.Client) -> None:
    A, B = (lambda kind: world.id(kind, "A")), (lambda kind: world.id(kind, "B"))
    sup_b, trainer_b, student_b = world.sup["B"], world.trainer["B"], world.student["B"]

    def listed(url: str, person: Person, **params: Any) -> set[int]:
        return _ids(_ok(gw.get(url, params={"page_size": 100, **params}, headers=person.headers)))

    for kind, url in (
        ("center", "/api/centers-app/centers/"),
        ("room", "/api/centers-app/rooms/"),
        ("equipment", "/api/centers-app/equipment/"),
        ("group", "/api/centers-app/groups/"),
        ("teacher", "/api/teachers/"),
        ("student", "/api/students/"),
    ):
        seen = listed(url, sup_b)
        assert B(kind) in seen and A(kind) not in seen, kind
    # Filtering on the other centre does not help either.
    assert listed("/api/centers-app/rooms/", sup_b, center__id=A("center")) == set()
    assert listed("/api/students/", sup_b, center=A("center")) == set()
    assert listed("/api/students/", student_b) == {B("student")}
    assert listed("/api/students/", trainer_b, center=A("center")) == set()
    records = listed("/api/attendance/api/records/", trainer_b)
    assert B("record") in records and A("record") not in records
    assert A("record") not in listed("/api/attendance/api/records/", sup_b)
    exams = listed("/api/exams/", trainer_b)
    assert A("exam") not in exams and B("exam") in exams
    assert A("exam") not in listed("/api/exams/", sup_b)
    mine = _ok(gw.get("/api/exams/results/my-results/", headers=student_b.headers))
    rows = mine if isinstance(mine, list) else mine.get("results", [])
    assert {r["exam"] for r in rows} <= {B("exam")}
    by_student = gw.get(
        "/api/attendance/api/records/by_student/",
        params={"student_id": A("student")},
        headers=student_b.headers,
    )
    assert (
        _denied(by_student)
        or by_student.json() in ([], {"results": []})
        or (A("record") not in _ids(by_student.json()))
    )


# --------------------------------------------------------------------------- limits
@pytest.fixture(scope="module")
def small_stack() -> Iterator[Stack]:
    """auth alone, with the default limits: this module's other traffic does not count."""
    root = Path(tempfile.mkdtemp(prefix="entraide-e2e-limits-"))
    config = StackConfig.for_tests(root, services=["auth"])
    with Stack(config) as running:
        yield running


def test_exactly_60_anonymous_requests_then_429(small_stack: Stack) -> None:
    with httpx.Client(base_url=small_stack.gateway_url, timeout=30) as client:
        first = client.get("/api/token/jwks/")
        assert first.status_code == 200
        assert first.headers["x-ratelimit-limit"] == "60"
        assert first.headers["x-ratelimit-remaining"] == "59"
        # Well-formed tokens under the real key id, signed by another key: refused,
        # so counted by address. (An unknown key id would make auth fetch its own
        # key set, one more anonymous request from 127.0.0.1.)
        kid = first.json()["keys"][0]["kid"]
        claims = {"sub": "1", "role": "admin", "exp": int(time.time()) + 60}
        for i in range(1, 60):
            forged = jwt.encode(
                {**claims, "jti": str(i)},
                Ed25519PrivateKey.generate(),
                algorithm="EdDSA",
                headers={"kid": kid},
            )
            spoof = {
                "X-Forwarded-For": f"203.0.113.{i}",
                "X-Real-IP": f"198.51.100.{i}",
                "Forwarded": f"for=192.0.2.{i}",
                "True-Client-IP": f"192.0.2.{i}",
                "Authorization": f"Bearer junk-{uuid.uuid4().hex}" if i % 2 else f"Bearer {forged}",
            }
            resp = client.get("/api/token/jwks/", headers=spoof)
            assert resp.status_code == 200, (i, resp.text)
            assert resp.headers["x-ratelimit-limit"] == "60"
            assert resp.headers["x-ratelimit-remaining"] == str(59 - i), i
        for headers in (
            {},
            {"X-Forwarded-For": "10.0.0.1"},
            {"X-Forwarded-For": "127.0.0.2, 10.0.0.7"},
            {"Authorization": "Bearer another-junk-token"},
            {"Authorization": f"Bearer {forged}"},
        ):
            refused = client.get("/api/token/jwks/", headers=headers)
            assert refused.status_code == 429, headers
            assert refused.headers["x-ratelimit-limit"] == "60"
            assert refused.headers["x-ratelimit-remaining"] == "0"
            reset = int(refused.headers["x-ratelimit-reset"])
            assert 0 < reset - int(time.time()) <= 3600
            assert int(refused.headers["retry-after"]) >= 1
            assert refused.json()["detail"].startswith("Request was throttled.")
        # Logging in counts against the same budget.
        login = client.post("/api/token/", json={"email": "a@b.ma", "password": "x"})
        assert login.status_code == 429


def test_a_20mb_body_is_413_in_every_service(world: World, gw: httpx.Client) -> None:
    body = b"{" + b" " * (20 * 1024 * 1024) + b"}"
    headers = {**world.admin.headers, "Content-Type": "application/json"}
    for path in (
        "/api/token/",
        "/api/accounts/users/",
        "/api/centers-app/rooms/",
        "/api/programs/trainingprogrames/",
        "/api/students/",
        "/api/schedule/api/sessions/",
        "/api/attendance/api/records/bulk_create/",
        "/api/exams/questions/",
        "/api/courses/courses/",
    ):
        resp = gw.post(path, content=body, headers=headers)
        assert resp.status_code == 413, (path, resp.status_code)
        assert resp.json() == {"detail": "Request body is too large."}
    # Chunked (no Content-Length) is held to the same limit.

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * (1024 * 1024)

    resp = gw.post("/api/centers-app/rooms/", content=chunks(), headers=headers)
    assert resp.status_code == 413


def test_a_20000x20000_png_is_refused_as_a_logo(world: World, gw: httpx.Client) -> None:
    bomb = png_header_only(20000, 20000)
    assert len(bomb) < 100
    admin = world.admin.headers
    sup = _user(gw, admin, "association_supervisor", "assoc")
    before = _ok(gw.get("/api/associations/", headers=admin))["count"]
    name = f"Pixel bomb {uuid.uuid4().hex[:6]}"
    resp = gw.post(
        "/api/associations/",
        data={"name": name, "description": "d", "supervisor": str(sup.id)},
        files={"logo": ("logo.png", bomb, "image/png")},
        headers=admin,
    )
    assert resp.status_code in (400, 413), resp.text
    assert "logo" in resp.json()
    assert _ok(gw.get("/api/associations/", headers=admin))["count"] == before
    # Replacing an existing logo with it is refused the same way, and changes nothing.
    made = _ok(
        gw.post(
            "/api/associations/",
            data={"name": name, "description": "d", "supervisor": str(sup.id)},
            files={"logo": ("logo.png", _small_png(), "image/png")},
            headers=admin,
        ),
        201,
    )
    patch = gw.patch(
        f"/api/associations/{made['id']}/",
        files={"logo": ("logo.png", bomb, "image/png")},
        headers=admin,
    )
    assert patch.status_code in (400, 413)
    assert _ok(gw.get(f"/api/associations/{made['id']}/", headers=admin))["logo"] == made["logo"]
    for path, form, field_name in (
        (
            "/api/centers-app/rooms/",
            {
                "name": "Bomb",
                "type": "lab",
                "capacity": "3",
                "center": str(world.id("center", "A")),
            },
            "picture",
        ),
        (
            "/api/programs/trainingprogrames/",
            {"name": f"Bomb {uuid.uuid4().hex[:6]}", "description": "d", "duration_years": "1"},
            "logo",
        ),
        (
            "/api/courses/courses/",
            {"name": f"Bomb {uuid.uuid4().hex[:6]}", "description": "d"},
            "cover_image",
        ),
    ):
        resp = gw.post(
            path, data=form, files={field_name: ("x.png", bomb, "image/png")}, headers=admin
        )
        assert resp.status_code in (400, 413), (path, resp.text)


def test_page_size_is_capped_at_100(world: World, gw: httpx.Client) -> None:
    admin = world.admin.headers
    people = [{"first_name": f"Cap{i}", "last_name": "Page", "role": "student"} for i in range(105)]
    _ok(gw.post("/api/accounts/users/provision/", json={"users": people}, headers=admin), 201)
    page = _ok(gw.get("/api/accounts/users/", params={"page_size": 100000}, headers=admin))
    assert page["count"] > 100
    assert len(page["results"]) == 100
    # The next page (its link keeps the asked size, as DRF does) goes on where it stopped.
    follow = _ok(gw.get(page["next"], headers=admin))
    assert 0 < len(follow["results"]) <= 100
    assert not _ids(follow) & _ids(page)
    for path in PROBES.values():
        if path.endswith("/me/"):
            continue
        resp = gw.get(path, params={"page_size": 100000}, headers=admin)
        assert resp.status_code == 200 and len(resp.json()["results"]) <= 100, path
    for junk in ("-1", "0", "abc", "1e9", "99999999999999999999999"):
        resp = gw.get("/api/accounts/users/", params={"page_size": junk}, headers=admin)
        assert resp.status_code == 200, junk
        assert 0 < len(resp.json()["results"]) <= 100, junk
