"""Contract fuzzing: schemathesis against the merged OpenAPI document, through the gateway.

Starts the whole stack (every service, docs app, Traefik) in a temporary
folder, seeds a few records of every kind (so that ids 1, 2, ... exist), then
runs schemathesis on every operation of ``/swagger.json``, once as a student
and once as an admin, with the checks not_a_server_error,
status_code_conformance, response_schema_conformance and
negative_data_rejection. Prints a summary per role and per check, and the
failing operations with schemathesis's reproduction; exits 1 when anything
failed.

    .venv/bin/python bench/fuzz.py                      # about 10 minutes on 2 cores
    .venv/bin/python bench/fuzz.py --max-examples 10    # quicker
    .venv/bin/python bench/fuzz.py --smoke              # 6 operations, 1 example each (CI)
    .venv/bin/python bench/fuzz.py --gateway http://127.0.0.1:8000 --admin-password P
                                                        # a stack already running

``--smoke`` runs the same on the six operations of SMOKE_OPERATIONS (five
services) with one example each, and also fails when schemathesis tested
another number of operations or generated no test case.

schemathesis comes with the development tools (requirements-dev.txt); without
them it is installed into this Python on first use (pip). Everything
goes to 127.0.0.1. Two operations are left out of the authenticated runs:
``logout`` and ``change_password`` end the tokens the run is using (they are
covered by tests/test_security.py and the auth service's tests).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from gateway_calls import created, ok

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
]
# They end the very tokens the run authenticates with.
EXCLUDED = ["/api/accounts/users/logout/", "/api/accounts/users/change_password/"]
# A handful across the services, reads and a write, for the smoke run.
SMOKE_OPERATIONS = [
    "GET /api/accounts/users/me/",
    "GET /api/centers-app/rooms/",
    "POST /api/centers-app/rooms/",
    "GET /api/students/{student_id}/",
    "GET /api/schedule/api/sessions/",
    "GET /api/exams/questions/",
]
PASSWORD = "Sahara-Atlas-2024"
NEW_PASSWORD = "Atlas-Sahara-2025!"
YEAR = "2024-2025"


def ensure_schemathesis() -> Path:
    if importlib.util.find_spec("schemathesis") is None:
        print("installing schemathesis ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "schemathesis>=4,<5"], check=True
        )
    st = Path(sys.executable).parent / "st"
    if not st.exists():
        found = shutil.which("st")
        if not found:
            sys.exit("schemathesis's `st` command was not found")
        st = Path(found)
    return st


@contextlib.contextmanager
def running_stack(args: argparse.Namespace) -> Iterator[tuple[str, str, str]]:
    """(gateway URL, admin email, admin password) of a stack started here, or given."""
    if args.gateway:
        yield args.gateway.rstrip("/"), args.admin_email, args.admin_password
        return
    from entraide_stack import Stack, StackConfig

    root = Path(tempfile.mkdtemp(prefix="entraide-fuzz-"))
    big = "100000000"
    config = StackConfig.for_tests(
        root,
        extra_env={
            "ENTRAIDE_RATE_LIMIT_ANON": big,
            "ENTRAIDE_RATE_LIMIT_USER": big,
            "ENTRAIDE_GATEWAY_RATE_AVERAGE": big,
            "ENTRAIDE_GATEWAY_RATE_BURST": big,
        },
    )
    print(f"starting the stack in {root} ...", flush=True)
    started = time.monotonic()
    with Stack(config) as stack:
        print(f"stack up in {time.monotonic() - started:.0f}s at {stack.gateway_url}", flush=True)
        yield stack.gateway_url, stack.admin_email, stack.admin_password()
        if args.keep:
            print(f"--keep: the stack runs until Ctrl-C or SIGTERM (logs in {root}/logs)")

            def interrupt(*_: Any) -> None:
                raise KeyboardInterrupt

            signal.signal(signal.SIGTERM, interrupt)
            signal.signal(signal.SIGINT, interrupt)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(1)


# ---------------------------------------------------------------------------- seed
def seed(gw: httpx.Client, email: str, password: str) -> dict[str, str]:
    """A few records of every kind; returns the admin's and a student's access tokens."""
    tokens = ok(gw.post("/api/token/", json={"email": email, "password": password}))
    admin = {"Authorization": f"Bearer {tokens['access']}"}
    tag = uuid.uuid4().hex[:6]
    people: dict[str, int] = {}
    for role in ("center_supervisor", "association_supervisor", "trainer"):
        made = created(
            gw,
            "/api/accounts/users/",
            {
                "email": f"{role}-{tag}@entraide.ma",
                "password": PASSWORD,
                "role": role,
                "first_name": role.split("_")[0].capitalize(),
                "last_name": "Fuzz",
            },
            admin,
        )
        people[role] = made["id"]
    assoc = created(
        gw,
        "/api/associations/",
        {
            "name": f"Association {tag}",
            "description": "d",
            "supervisor": people["association_supervisor"],
        },
        admin,
    )
    center = created(
        gw,
        "/api/centers-app/centers/",
        {
            "name": f"Centre {tag}",
            "city": "Rabat",
            "association": assoc["id"],
            "supervisor": people["center_supervisor"],
        },
        admin,
    )
    c = center["id"]
    room = created(
        gw,
        "/api/centers-app/rooms/",
        {"name": "A1", "type": "classroom", "capacity": 30, "center": c},
        admin,
    )
    created(
        gw,
        "/api/centers-app/equipment/",
        {"name": "Projector", "condition": "good", "quantity": 2, "center": c, "room": room["id"]},
        admin,
    )
    group = created(gw, "/api/centers-app/groups/", {"name": "G1", "center": c}, admin)
    program = created(
        gw,
        "/api/programs/trainingprogrames/",
        {"name": f"Programme {tag}", "description": "d", "duration_years": 2},
        admin,
    )
    course = created(
        gw,
        "/api/programs/trainingcourses/",
        {
            "program": program["id"],
            "center": c,
            "trainer": people["trainer"],
            "academic_year": YEAR,
        },
        admin,
    )
    distribution = created(
        gw,
        "/api/programs/annualcoursedistributions/",
        {
            "programe": program["id"],
            "trainer": people["trainer"],
            "academic_year": YEAR,
        },
        admin,
    )
    created(
        gw,
        "/api/programs/weeklycourseplans/",
        {
            "annual_distribution": distribution["id"],
            "month": 10,
            "week_number": 1,
            "title": "Week one",
            "description": "d",
        },
        admin,
    )
    created(
        gw,
        "/api/teachers/",
        {"first_name": "Karim", "last_name": f"Fuzz{tag}", "center": c, "program": program["id"]},
        admin,
    )
    student = created(
        gw,
        "/api/students/",
        {
            "first_name": "Salma",
            "last_name": f"Fuzz{tag}",
            "exam_id": f"FUZZ-{tag}",
            "center": c,
            "program": program["id"],
            "group": group["id"],
            "training_course": course["id"],
            "academic_year": YEAR,
            "joining_date": "2024-09-02",
        },
        admin,
    )
    session = created(
        gw,
        "/api/schedule/api/sessions/",
        {
            "day": "Monday",
            "start_time": "08:30:00",
            "end_time": "10:30:00",
            "academic_year": YEAR,
            "trainer": people["trainer"],
            "room": room["id"],
            "group": group["id"],
            "training_course": course["id"],
            "is_active": True,
        },
        admin,
    )
    week = ok(
        gw.post(
            "/api/schedule/api/instances/generate_for_week/",
            json={"start_date": "2024-06-10", "academic_year": YEAR},
            headers=admin,
        )
    )
    instance = week["instances"][0]["id"] if week["instances"] else None
    created(
        gw,
        "/api/attendance/api/records/",
        {
            "date": "2024-06-10",
            "student": student["id"],
            **(
                {"session_instance": instance}
                if instance is not None
                else {"session_template": session["id"]}
            ),
            "status": "present",
        },
        admin,
    )
    question = created(
        gw,
        "/api/exams/questions/",
        {
            "training": program["id"],
            "type": "MCQ",
            "question_text": "Capital of Morocco?",
            "options": ["Rabat", "Fes"],
            "correct_answer": "Rabat",
        },
        admin,
    )
    created(
        gw,
        "/api/exams/",
        {
            "title": "Quiz",
            "exam_type": "term1_theory",
            "student": student["user"]["id"],
            "training": program["id"],
            "questions": [question["id"]],
            "status": "published",
        },
        admin,
    )
    first = ok(
        gw.post(
            "/api/token/",
            json={"email": student["user"]["email"], "password": student["initial_password"]},
        )
    )
    changed = ok(
        gw.post(
            "/api/accounts/users/change_password/",
            json={"old_password": student["initial_password"], "new_password": NEW_PASSWORD},
            headers={"Authorization": f"Bearer {first['access']}"},
        )
    )
    return {"admin": tokens["access"], "student": changed["access"]}


# ---------------------------------------------------------------------------- run and report
def run_schemathesis(
    st: Path, gateway: str, token: str, out: Path, args: argparse.Namespace
) -> tuple[int, float]:
    out.mkdir(parents=True, exist_ok=True)
    argv = [
        str(st),
        "run",
        f"{gateway}/swagger.json",
        "--url",
        gateway,
        "--checks",
        ",".join(CHECKS),
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--phases",
        args.phases,
        "--request-timeout",
        "30",
        "--continue-on-failure",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-dir",
        str(out),
        "--output-truncate",
        "true",
        "--warnings",
        "off",
    ]
    for path in EXCLUDED:
        argv += ["--exclude-path", path]
    for name in SMOKE_OPERATIONS if args.smoke else []:
        argv += ["--include-name", name]
    started = time.monotonic()
    with open(out / "schemathesis.txt", "w") as log:
        code = subprocess.call(
            argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"}
        )
    return code, time.monotonic() - started


CODES = {
    "ST101": "not_a_server_error",
    "ST103": "status_code_conformance",
    "ST108": "response_schema_conformance",
    "ST201": "negative_data_rejection",
}
SECTION = re.compile(r"^_{3,} (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\S+) _{3,}$")
FINDING = re.compile(r"^- (ST\d+) ")
GENERATED = re.compile(r"^\s*(\d+) generated")
TESTED = re.compile(r"^\s*Tested: (\d+)")


def summarize(out: Path) -> dict[str, Any]:
    """Operations, test cases and failing operations by check, from schemathesis's output."""
    failures: dict[str, set[str]] = defaultdict(set)
    generated = tested = 0
    operation = None
    text = (out / "schemathesis.txt").read_text(errors="replace")
    for line in text.splitlines():
        if m := SECTION.match(line):
            operation = f"{m.group(1)} {m.group(2)}"
        elif (m := FINDING.match(line)) and operation:
            failures[CODES.get(m.group(1), m.group(1))].add(operation)
        elif m := GENERATED.match(line):
            generated = int(m.group(1))
        elif m := TESTED.match(line):
            tested = int(m.group(1))
    server_errors = len(re.findall(r"^\[5\d\d\]", text, flags=re.M))
    return {
        "operations": tested,
        "test_cases": generated,
        "server_error_examples": server_errors,
        "failures": {k: sorted(v) for k, v in sorted(failures.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--phases", default="examples,coverage,fuzzing")
    parser.add_argument("--roles", default="student,admin")
    parser.add_argument("--out", type=Path, default=None, help="report folder")
    parser.add_argument("--gateway", help="use a stack already running at this URL")
    parser.add_argument("--admin-email", default="admin@entraide.ma")
    parser.add_argument("--admin-password")
    parser.add_argument("--keep", action="store_true", help="keep the stack running at the end")
    parser.add_argument(
        "--smoke", action="store_true", help=f"{len(SMOKE_OPERATIONS)} operations, 1 example each"
    )
    args = parser.parse_args()
    if args.smoke:
        args.max_examples = 1
    st = ensure_schemathesis()
    out = args.out or Path(tempfile.mkdtemp(prefix="entraide-fuzz-report-"))
    results: dict[str, Any] = {}
    with running_stack(args) as (gateway, email, password):
        with httpx.Client(base_url=gateway, timeout=60) as gw:
            tokens = seed(gw, email, password)
            ops = sum(len(v) for v in ok(gw.get("/swagger.json"))["paths"].values())
        print(f"seeded; {ops} operations in /swagger.json; reports in {out}", flush=True)
        # The student first: the admin's run deletes and deactivates things.
        for role in args.roles.split(","):
            code, took = run_schemathesis(st, gateway, tokens[role], out / role, args)
            summary = summarize(out / role)
            summary.update(exit_code=code, seconds=round(took))
            results[role] = summary
            print(f"{role}: {json.dumps(summary, indent=1)}", flush=True)
    (out / "summary.json").write_text(json.dumps(results, indent=1))
    print("\n== schemathesis through the gateway ==")
    print(f"checks: {', '.join(CHECKS)}; max examples {args.max_examples}; seed {args.seed}")
    failed = False
    for role, s in results.items():
        fails = sum(len(v) for v in s["failures"].values())
        failed |= bool(fails) or s["exit_code"] != 0
        # A run that tested nothing, or not what it was told to, proves nothing.
        wanted = len(SMOKE_OPERATIONS) if args.smoke else None
        if not s["test_cases"] or not s["operations"] or wanted not in (None, s["operations"]):
            failed = True
            print(f"{role}: {s['operations']} operations tested (wanted {wanted or 'some'})")
        print(
            f"{role:8} {s['operations']} operations, {s['test_cases']} test cases, "
            f"{s['seconds']}s: {fails} failing (check, operation) pairs, "
            f"{len(s['failures'].get('not_a_server_error', []))} with server errors"
        )
        for check, names in sorted(s["failures"].items()):
            for name in names:
                print(f"    {check}: {name}")
    print(f"details: {out}/<role>/schemathesis.txt")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
