"""Chaos: SIGKILL each service, NATS and PostgreSQL in turn under a steady write load.

Starts the whole stack in a temporary folder, seeds a centre, a programme, a
course, a weekly template and one of its sessions, then keeps writing across
the services (users in auth; centres and rooms in centers; programmes and
courses in programs; students in students; session instances in schedule;
attendance records; exam questions) from a few threads, through the gateway.
In turn, it SIGKILLs each service, NATS and PostgreSQL, keeps it down a few
seconds while probing the gateway, starts it again, and checks:

- the gateway answers a down service with 502/503 at once (never a hang);
- how long until writes succeed again;
- every read copy (users, centres, rooms, groups, programmes, courses,
  students, in every service that keeps them) equals its source within 30 s
  of the restart;
- at the end, every acknowledged (2xx) write reads back through the gateway.

Prints the figures and exits 1 when a check fails (or when no write was
acknowledged at all: nothing would have been proven).

    .venv/bin/python bench/chaos.py                 # about 4 minutes on 2 cores
    .venv/bin/python bench/chaos.py --down 8 --rate 20 --only auth,nats
    .venv/bin/python bench/chaos.py --smoke         # auth and NATS, 2 s each (CI)

``--smoke`` kills auth (it consumes no events) and NATS for 2 s each at 10
writes/s, and gives the copies 45 s, beyond JetStream's 30 s ack wait: an
event in flight when NATS died is delivered again only after it.

Traffic goes to 127.0.0.1 only; the run is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from gateway_calls import created, ok

from entraide_stack import Stack, StackConfig
from entraide_stack.registry import service

PASSWORD = "Sahara-Atlas-2024"
YEAR = "2024-2025"
SERVICES = ["auth", "centers", "programs", "students", "schedule", "attendance", "exams"]
TARGETS = [*SERVICES, "nats", "postgres"]
# One cheap authenticated read per service, to probe it through the gateway.
PROBE = {
    "auth": "/api/accounts/users/me/",
    "centers": "/api/associations/?page_size=1",
    "programs": "/api/programs/trainingprogrames/?page_size=1",
    "students": "/api/students/?page_size=1",
    "schedule": "/api/schedule/api/sessions/?page_size=1",
    "attendance": "/api/attendance/api/records/?page_size=1",
    "exams": "/api/exams/?page_size=1",
}
PROBE_TIMEOUT = 5.0

# Copies: (owner service, SQL of the source rows, copy table, SQL of the copy rows).
USERS = ("auth", "SELECT id, email, first_name, last_name, role, is_active FROM users")
COPIES = [
    (
        *USERS,
        "user_copies",
        "SELECT id, email, first_name, last_name, role, is_active FROM user_copies",
    ),
    (
        "centers",
        "SELECT id, name, city, supervisor_id, is_active FROM centers",
        "center_copies",
        "SELECT id, name, city, supervisor, is_active FROM center_copies",
    ),
    (
        "centers",
        "SELECT id, name, capacity, center_id FROM rooms",
        "room_copies",
        "SELECT id, name, capacity, center FROM room_copies",
    ),
    (
        "centers",
        "SELECT id, name, center_id FROM center_groups",
        "group_copies",
        "SELECT id, name, center FROM group_copies",
    ),
    (
        "programs",
        "SELECT id, name, duration_years FROM training_programs",
        "program_copies",
        "SELECT id, name, duration_years FROM program_copies",
    ),
    (
        "programs",
        "SELECT id, program_id, center_id, trainer_id, academic_year FROM training_courses",
        "course_copies",
        "SELECT id, program, center, trainer, academic_year FROM course_copies",
    ),
    (
        "students",
        "SELECT id, user_id, exam_id, center_id, program_id FROM students",
        "student_copies",
        'SELECT id, "user", exam_id, center, program FROM student_copies',
    ),
]


# ---------------------------------------------------------------------------- the load
@dataclass
class Write:
    kind: str
    service: str
    id: int
    url: str
    field: str
    value: Any


@dataclass
class Load:
    gateway: str
    headers: dict[str, str]
    seed: dict[str, Any]
    rate: float
    threads: int = 3
    acked: list[Write] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)
    attempted: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0
    phase: str = "steady"
    by_phase: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _students: list[int] = field(default_factory=list)
    _centers: list[int] = field(default_factory=list)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def start(self) -> list[threading.Thread]:
        workers = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.threads)
        ]
        for w in workers:
            w.start()
        self._workers = workers
        return workers

    def stop(self) -> None:
        self._stop.set()
        for w in self._workers:
            w.join(timeout=30)

    def _next(self) -> int:
        with self._lock:
            return next(self._counter)

    def _body(self, kind: str, n: int) -> tuple[str, str, dict[str, Any], str] | None:
        s = self.seed
        tag = f"{s['tag']}-{n}"
        if kind == "user":
            return (
                "auth",
                "/api/accounts/users/",
                {
                    "email": f"chaos-{tag}@entraide.ma",
                    "password": PASSWORD,
                    "role": "trainer",
                    "first_name": f"Load{n}",
                    "last_name": "Chaos",
                },
                "email",
            )
        if kind == "centre":
            return (
                "centers",
                "/api/centers-app/centers/",
                {"name": f"Chaos centre {tag}", "city": "Fes"},
                "name",
            )
        if kind == "room":
            return (
                "centers",
                "/api/centers-app/rooms/",
                {
                    "name": f"Room {tag}",
                    "type": "lab",
                    "capacity": n % 90 + 1,
                    "center": s["center"],
                },
                "name",
            )
        if kind == "program":
            return (
                "programs",
                "/api/programs/trainingprogrames/",
                {"name": f"Chaos programme {tag}", "description": "d", "duration_years": 1},
                "name",
            )
        if kind == "course":
            with self._lock:
                center = random.choice(self._centers) if self._centers else s["center"]
            return (
                "programs",
                "/api/programs/trainingcourses/",
                {
                    "program": s["program"],
                    "center": center,
                    "trainer": s["trainer"],
                    "academic_year": YEAR,
                },
                "center",
            )
        if kind == "student":
            return (
                "students",
                "/api/students/",
                {
                    "first_name": f"Load{n}",
                    "last_name": "Chaos",
                    "exam_id": f"CH-{tag}"[:20],
                    "center": s["center"],
                    "program": s["program"],
                    "group": s["group"],
                    "academic_year": YEAR,
                    "joining_date": "2024-09-02",
                },
                "exam_id",
            )
        if kind == "instance":
            day = dt.date(2025, 1, 6) + dt.timedelta(weeks=n)
            return (
                "schedule",
                "/api/schedule/api/instances/",
                {"schedule_template": s["session"], "specific_date": day.isoformat()},
                "specific_date",
            )
        if kind == "attendance":
            with self._lock:
                if not self._students:
                    return None
                student = self._students.pop()
            return (
                "attendance",
                "/api/attendance/api/records/",
                {
                    "date": s["instance_date"],
                    "student": student,
                    "session_instance": s["instance"],
                    "status": random.choice(["present", "absent", "late"]),
                },
                "student",
            )
        if kind == "question":
            return (
                "exams",
                "/api/exams/questions/",
                {
                    "training": s["program"],
                    "type": "TF",
                    "question_text": f"Statement {tag} is true.",
                    "correct_answer": True,
                },
                "question_text",
            )
        raise ValueError(kind)

    KINDS = (
        "user",
        "centre",
        "room",
        "program",
        "course",
        "student",
        "instance",
        "attendance",
        "question",
    )
    READ_URL = {
        "user": "/api/accounts/users/{id}/",
        "centre": "/api/centers-app/centers/{id}/",
        "room": "/api/centers-app/rooms/{id}/",
        "program": "/api/programs/trainingprogrames/{id}/",
        "course": "/api/programs/trainingcourses/{id}/",
        "student": "/api/students/{id}/",
        "instance": "/api/schedule/api/instances/{id}/",
        "attendance": "/api/attendance/api/records/{id}/",
        "question": "/api/exams/questions/{id}/",
    }

    def _run(self, index: int) -> None:
        interval = self.threads / self.rate
        kinds = itertools.cycle(self.KINDS[index % len(self.KINDS) :] + self.KINDS)
        with httpx.Client(base_url=self.gateway, timeout=PROBE_TIMEOUT * 2) as gw:
            next_at = time.monotonic()
            while not self._stop.is_set():
                kind = next(kinds)
                n = self._next()
                spec = self._body(kind, n)
                if spec is None:
                    continue
                svc, path, body, check = spec
                phase = self.phase
                started = time.monotonic()
                try:
                    resp = gw.post(path, json=body, headers=self.headers)
                    status = str(resp.status_code)
                except httpx.HTTPError as exc:
                    resp, status = None, type(exc).__name__
                took = time.monotonic() - started
                with self._lock:
                    self.attempted[svc] += 1
                    self.slowest = max(self.slowest, took)
                    self.by_phase[phase][status] += 1
                    if resp is not None and resp.status_code in (200, 201):
                        made = resp.json()
                        value = made.get(check)
                        self.acked.append(
                            Write(kind, svc, made["id"], self.READ_URL[kind], check, value)
                        )
                        if kind == "student":
                            self._students.append(made["id"])
                        if kind == "centre":
                            self._centers.append(made["id"])
                    else:
                        self.failed[svc] += 1
                next_at += interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_at = time.monotonic()


# ---------------------------------------------------------------------------- copies
def _dsn(stack: Stack, name: str) -> str:
    return stack.database_url(name).replace("postgresql+asyncpg://", "postgresql://")


async def _rows(dsn: str, sql: str) -> dict[int, tuple[Any, ...]] | None:
    try:
        conn = await asyncpg.connect(dsn, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return None
    try:
        return {r[0]: tuple(r) for r in await conn.fetch(sql)}
    except asyncpg.UndefinedTableError:
        return {}
    except (OSError, asyncpg.PostgresError):
        return None
    finally:
        await conn.close()


async def _has_table(dsn: str, table: str) -> bool:
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table))
    finally:
        await conn.close()


async def copy_pairs(stack: Stack) -> list[tuple[str, str, str, str, str]]:  # list[Pair]
    """(owner, source SQL, copy table, holder service, copy SQL) for every copy kept."""
    pairs = []
    for owner, source_sql, table, copy_sql in COPIES:
        for holder in SERVICES:
            if holder != owner and await _has_table(_dsn(stack, holder), table):
                pairs.append((owner, source_sql, table, holder, copy_sql))
    return pairs


Pair = tuple[str, str, str, str, str]


async def sources_of(
    stack: Stack, pairs: list[Pair]
) -> dict[str, dict[int, tuple[Any, ...]]] | None:
    out: dict[str, dict[int, tuple[Any, ...]]] = {}
    for owner, source_sql, *_ in pairs:
        if source_sql not in out:
            rows = await _rows(_dsn(stack, owner), source_sql)
            if rows is None:
                return None
            out[source_sql] = rows
    return out


async def copies_differ(
    stack: Stack, pairs: list[Pair], sources: dict[str, dict[int, tuple[Any, ...]]]
) -> list[str]:
    """Copies that lack or misstate a row of ``sources`` (a snapshot: the load goes on,
    so later rows may not have arrived yet), or keep a row whose source is gone."""
    problems = []
    for owner, source_sql, table, holder, copy_sql in pairs:
        source = sources[source_sql]
        copy = await _rows(_dsn(stack, holder), copy_sql)
        if copy is None:
            problems.append(f"{holder}.{table}: database unreachable")
            continue
        differ = [k for k, row in source.items() if copy.get(k) != row]
        if differ:
            k = differ[0]
            problems.append(
                f"{holder}.{table}: {len(differ)} rows differ (id {k}: {source[k]} != {copy.get(k)})"
            )
        if any(k not in source for k in copy):
            latest = await _rows(_dsn(stack, owner), source_sql) or {}
            extra = [k for k in copy if k not in source and k not in latest]
            if extra:
                problems.append(f"{holder}.{table}: {len(extra)} rows without a source")
    return problems


def wait_copies(stack: Stack, pairs: list[Pair], timeout: float) -> tuple[float | None, list[str]]:
    """Seconds until every copy holds the sources as they were when this was called."""
    started = time.monotonic()
    problems: list[str] = ["sources unreachable"]
    sources = None
    while time.monotonic() - started < timeout:
        if sources is None:
            sources = asyncio.run(sources_of(stack, pairs))
        if sources is not None:
            problems = asyncio.run(copies_differ(stack, pairs, sources))
            if not problems:
                return time.monotonic() - started, []
        time.sleep(0.5)
    return None, problems


# ---------------------------------------------------------------------------- the run
def seed(gw: httpx.Client, stack: Stack) -> tuple[dict[str, str], dict[str, Any]]:
    tokens = ok(
        gw.post(
            "/api/token/", json={"email": stack.admin_email, "password": stack.admin_password()}
        )
    )
    admin = {"Authorization": f"Bearer {tokens['access']}"}
    tag = uuid.uuid4().hex[:6]
    trainer = created(
        gw,
        "/api/accounts/users/",
        {"email": f"trainer-{tag}@entraide.ma", "password": PASSWORD, "role": "trainer"},
        admin,
    )
    center = created(gw, "/api/centers-app/centers/", {"name": f"Centre {tag}"}, admin)
    room = created(
        gw,
        "/api/centers-app/rooms/",
        {"name": "Main", "type": "classroom", "capacity": 30, "center": center["id"]},
        admin,
    )
    group = created(gw, "/api/centers-app/groups/", {"name": "G", "center": center["id"]}, admin)
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
            "center": center["id"],
            "trainer": trainer["id"],
            "academic_year": YEAR,
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
            "trainer": trainer["id"],
            "room": room["id"],
            "group": group["id"],
            "training_course": course["id"],
        },
        admin,
    )
    instance = created(
        gw,
        "/api/schedule/api/instances/",
        {"schedule_template": session["id"], "specific_date": "2024-06-10"},
        admin,
    )
    return admin, {
        "tag": tag,
        "trainer": trainer["id"],
        "center": center["id"],
        "group": group["id"],
        "program": program["id"],
        "session": session["id"],
        "instance": instance["id"],
        "instance_date": "2024-06-10",
    }


def kill(stack: Stack, target: str) -> None:
    if target == "nats":
        stack.nats.kill()
    elif target == "postgres":
        stack.postgres.kill()
        # Its backends end on their own once the postmaster is gone.
        deadline = time.monotonic() + 15
        while stack.postgres.is_running() and time.monotonic() < deadline:
            time.sleep(0.1)
    else:
        stack.service_process(service(target)).kill()


def restart(stack: Stack, target: str) -> None:
    if target == "nats":
        stack.nats.start()
    elif target == "postgres":
        stack.postgres.start(timeout=60)
    else:
        proc = stack.service_process(service(target))
        proc.start()
        proc.wait_http_ok(f"{stack.service_url(target)}/readyz", 120)


def probe(gw: httpx.Client, headers: dict[str, str], names: list[str]) -> list[tuple[str, float]]:
    out = []
    for name in names:
        started = time.monotonic()
        try:
            status = str(gw.get(PROBE[name], headers=headers, timeout=PROBE_TIMEOUT).status_code)
        except httpx.TimeoutException:
            status = "timeout"
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        out.append((status, time.monotonic() - started))
    return out


def first_success(
    gw: httpx.Client, headers: dict[str, str], names: list[str], limit: float
) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if all(s == "200" for s, _ in probe(gw, headers, names)):
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=15.0, help="writes per second (total)")
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--down", type=float, default=6.0, help="seconds each target stays down")
    parser.add_argument("--between", type=float, default=4.0, help="steady seconds between kills")
    parser.add_argument("--only", default=",".join(TARGETS), help="targets, comma separated")
    parser.add_argument("--copy-timeout", type=float, default=30.0)
    parser.add_argument(
        "--smoke", action="store_true", help="auth and NATS, 2 s down each, 10 writes/s"
    )
    args = parser.parse_args()
    if args.smoke:
        args.only, args.down, args.between, args.rate = "auth,nats", 2.0, 1.0, 10.0
        args.copy_timeout = 45.0
    targets = [t.strip() for t in args.only.split(",") if t.strip()]
    if unknown := sorted(set(targets) - set(TARGETS)):
        parser.error(f"unknown targets {unknown}: choose among {', '.join(TARGETS)}")
    root = Path(tempfile.mkdtemp(prefix="entraide-chaos-"))
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
    failures: list[str] = []
    rows: list[dict[str, Any]] = []
    with Stack(config) as stack, httpx.Client(base_url=stack.gateway_url, timeout=30) as gw:
        admin, seeded = seed(gw, stack)
        pairs = asyncio.run(copy_pairs(stack))
        print(
            f"{len(pairs)} copy tables to watch: "
            + ", ".join(sorted({f"{h}.{t}" for _, _, t, h, _ in pairs})),
            flush=True,
        )
        load = Load(stack.gateway_url, admin, seeded, args.rate, args.threads)
        load.start()
        run_started = time.monotonic()
        try:
            time.sleep(args.between)
            for target in targets:
                affected = SERVICES if target in ("nats", "postgres") else [target]
                load.phase = f"{target} down"
                killed_at = time.monotonic()
                kill(stack, target)
                seen: list[tuple[str, float]] = []
                while time.monotonic() - killed_at < args.down:
                    seen += probe(gw, admin, affected)
                    time.sleep(0.25)
                load.phase = f"{target} restarting"
                restart_began = time.monotonic()
                restart(stack, target)
                restarted_at = time.monotonic()
                load.phase = "steady"
                back = first_success(gw, admin, affected, 60)
                converged, problems = wait_copies(stack, pairs, args.copy_timeout)
                statuses = Counter(s for s, _ in seen)
                slowest = max((t for _, t in seen), default=0.0)
                row = {
                    "target": target,
                    "down_s": round(restart_began - killed_at, 1),
                    "restart_s": round(restarted_at - restart_began, 1),
                    "probes": dict(statuses),
                    "slowest_probe_s": round(slowest, 2),
                    "answering_again_s": None if back is None else round(back, 1),
                    "copies_equal_s": None if converged is None else round(converged, 1),
                }
                rows.append(row)
                print(row, flush=True)
                # A service down: the gateway's 502/503. PostgreSQL down: each service's
                # own 503. NATS down: nothing to see (events wait in the outboxes).
                allowed = {"502", "503"} if target in SERVICES else {"503"}
                if target != "nats" and set(statuses) - allowed:
                    failures.append(f"{target} down: the gateway answered {dict(statuses)}")
                if target == "nats" and set(statuses) != {"200"}:
                    failures.append(f"nats down: reads answered {dict(statuses)}")
                if slowest > PROBE_TIMEOUT - 0.5:
                    failures.append(f"{target} down: a probe took {slowest:.1f}s")
                if back is None:
                    failures.append(f"{target}: not answering 60 s after its restart")
                if converged is None:
                    failures.append(f"{target}: copies still differ: {problems}")
                time.sleep(args.between)
        finally:
            load.stop()
        # Every acknowledged write reads back, unchanged.
        converged, problems = wait_copies(stack, pairs, args.copy_timeout)
        if converged is None:
            failures.append(f"final: copies differ: {problems}")
        lost = []
        for w in load.acked:
            resp = gw.get(w.url.format(id=w.id), headers=admin)
            if resp.status_code != 200 or resp.json().get(w.field) != w.value:
                lost.append(f"{w.kind} {w.id}: {resp.status_code}")
        if lost:
            failures.append(f"{len(lost)} acknowledged writes lost: {lost[:5]}")
        if not load.acked:
            failures.append("no write was acknowledged")
        elapsed = time.monotonic() - run_started

    print("\n== chaos: SIGKILL under a steady write load, through the gateway ==")
    total = sum(load.attempted.values())
    print(
        f"{elapsed:.0f}s, {total} writes attempted ({args.rate:g}/s target, {args.threads} threads), "
        f"{len(load.acked)} acknowledged, {sum(load.failed.values())} refused or failed "
        f"while something was down, {len(lost)} acknowledged writes lost, slowest write "
        f"{load.slowest:.1f}s"
    )
    print(
        f"{'target':11} {'down':>5} {'restart':>7} {'gateway while down':32} {'slowest':>7} "
        f"{'answering':>9} {'copies=':>7}"
    )
    for r in rows:
        probes = ", ".join(f"{k}x{v}" for k, v in sorted(r["probes"].items()))
        print(
            f"{r['target']:11} {r['down_s']:>4}s {r['restart_s']:>6}s {probes:32} "
            f"{r['slowest_probe_s']:>6}s {str(r['answering_again_s']) + 's':>9} "
            f"{str(r['copies_equal_s']) + 's':>7}"
        )
    print(
        "writes by phase: "
        + "; ".join(
            f"{phase}: " + ", ".join(f"{k}x{v}" for k, v in sorted(c.items()))
            for phase, c in load.by_phase.items()
        )
    )
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("\nall checks passed")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
