"""A realistic national data set, built through each service's own storage and events.

    .venv/bin/python bench/seed.py [--scale S|L|XS] [--data-dir DIR] [--keep-running]
    .venv/bin/python bench/seed.py --smoke     # scale XS, about a minute (CI)

Starts the whole stack (every installed service, the gateway with a ceiling
route for bench/run.py, rate limits lifted) in ``DIR`` (a new temporary folder
by default), or uses the one already running there, and fills it:

| scale | associations | centres | rooms | equipment | groups | programmes | trainers | courses | students | templates | instances | attendance |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
| S | 5 | 20 | 200 | 400 | 100 | 10 | 60 | 100 | 3,000 | 500 | 5,000 | 200,000 |
| L | 5 | 20 | 200 | 400 | 100 | 10 | 60 | 100 | 30,000 | 500 | 5,000 | 1,000,000 |
| XS | 1 | 1 | 5 | 5 | 5 | 2 | 3 | 5 | 50 | 25 | 75 | 1,000 |

plus 100 exam questions (XS: 6) and one exam per three students (XS: 10). Everything small goes
through the real API (through the gateway, concurrently); students come in
through the bulk import API (one .xlsx sheet per group), session instances
through generate_for_week (ten weeks spread over the academic year, the last
one left without attendance for bench/run.py's bulk_create), the first
week's attendance through bulk_create, and the rest of the attendance records
straight into the attendance service's database, each chunk in one
transaction with its outbox rows written by the service's own
``events.records_changed`` (the kit's Outbox), so the same events flow as
bulk_create's. Between phases it waits until every outbox is sent and every
consumer has caught up, so each service's read copies hold what the next
phase needs; at the end it runs VACUUM ANALYZE (as autovacuum would) and
writes ``DIR/seed.json`` (what bench/run.py needs: ids, weeks, tokens' users).
Last, it counts the rows of every table it filled (and attendance's copies)
against the scale, and fails (exit 1) on any difference.

Used by bench/run.py as a library too: ``bench_stack(dir)`` and ``seed(stack, scale)``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import io
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import asyncpg
import httpx
from openpyxl import Workbook

from entraide_kit.events.relay import asyncpg_dsn
from entraide_stack import Stack, StackConfig
from entraide_stack.config import find_gateway_dir
from students_service.importer import COLUMNS, XLSX

T = TypeVar("T")
R = TypeVar("R")

# ---------------------------------------------------------------------------- the stack

#: rate limits out of the way: the load comes from one IP and one user
BENCH_ENV = {
    "ENTRAIDE_RATE_LIMIT_ANON": "1000000000",
    "ENTRAIDE_RATE_LIMIT_USER": "1000000000",
    "ENTRAIDE_GATEWAY_RATE_AVERAGE": "1000000",
    "ENTRAIDE_GATEWAY_RATE_BURST": "1000000",
}
#: the ceiling: the gateway (same middlewares as the API routes) in front of
#: auth's /healthz (same uvicorn, FastAPI and edge middleware as every endpoint)
CEILING_PATH = "/bench-ceiling/healthz"
CEILING_SERVICE = "auth"


def bench_gateway_dir(data_dir: Path) -> Path:
    """A copy of gateway/ whose routes file adds the ceiling route."""
    source = find_gateway_dir()
    target = data_dir / "gateway"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "traefik.yml", target / "traefik.yml")
    routes = (source / "routes.yml").read_text(encoding="utf-8")
    additions = {
        "  middlewares:\n": (
            '    bench-ceiling-strip:\n      stripPrefix:\n        prefixes: ["/bench-ceiling"]\n'
        ),
        "  routers:\n": (
            "    bench-ceiling:\n"
            '      entryPoints: ["web"]\n'
            f'      rule: "Path(`{CEILING_PATH}`)"\n'
            "      service: bench-ceiling\n"
            "      priority: 20000\n"
            '      middlewares: ["bench-ceiling-strip", "json-errors", "burst-limit",'
            ' "body-limit", "api-headers"]\n'
        ),
        "  services:\n": (
            "    bench-ceiling:\n"
            "      loadBalancer:\n"
            "        passHostHeader: true\n"
            "        servers:\n"
            f'          - url: {{{{ env "ENTRAIDE_{CEILING_SERVICE.upper()}_URL" | quote }}}}\n'
        ),
    }
    for anchor, text in additions.items():
        assert routes.count(anchor) == 1, f"gateway/routes.yml: {anchor!r} not found once"
        routes = routes.replace(anchor, anchor + text)
    (target / "routes.yml").write_text(routes, encoding="utf-8")
    return target


@contextlib.contextmanager
def bench_stack(data_dir: Path, *, keep_running: bool = False) -> Iterator[Stack]:
    """The stack running in ``data_dir``, else a new one started there (and stopped
    on exit unless ``keep_running``)."""
    data_dir = Path(data_dir).absolute()
    existing = Stack.from_state(data_dir)
    if existing is not None and existing.is_running():
        yield existing
        return
    config = StackConfig.for_tests(
        data_dir, extra_env=BENCH_ENV, gateway_dir=bench_gateway_dir(data_dir)
    )
    stack = Stack(config)
    started = time.perf_counter()
    say(f"starting the stack in {data_dir} ...")
    stack.start()
    say(
        f"stack up in {time.perf_counter() - started:.0f} s: {', '.join(s.name for s in stack.specs)}"
        f" behind {stack.gateway_url}"
    )
    try:
        yield stack
    finally:
        if keep_running:
            say(
                f"the stack keeps running: ENTRAIDE_DATA_DIR={data_dir} .venv/bin/python -m entraide_stack down"
            )
        else:
            stack.stop()


# ---------------------------------------------------------------------------- output


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Progress:
    """Progress bars on stderr: the running ones share one redrawn line on a terminal
    (a finished one leaves its own line); elsewhere a line per 10%."""

    active: ClassVar[list[Progress]] = []
    tty: ClassVar[bool] = sys.stderr.isatty()
    _drawn: ClassVar[float] = 0.0

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.started = time.perf_counter()
        self._decile = -1
        Progress.active.append(self)
        self._draw(force=True)

    def add(self, n: int = 1) -> None:
        self.done += n
        self._draw()

    def _short(self) -> str:
        fraction = min(self.done / self.total, 1.0)
        if len(Progress.active) == 1:
            bar = "#" * int(fraction * 30)
            return f"{self.label:<36} [{bar:<30}] {self.done:>9,}/{self.total:,} {self.elapsed():6.1f} s"
        return f"{self.label} {fraction:4.0%}"

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @classmethod
    def _line(cls) -> None:
        width = shutil.get_terminal_size((120, 20)).columns - 1
        line = "  " + " | ".join(p._short() for p in cls.active)
        sys.stderr.write("\r" + line[:width].ljust(width))
        sys.stderr.flush()

    def _draw(self, force: bool = False) -> None:
        if Progress.tty:
            now = time.perf_counter()
            if force or now - Progress._drawn >= 0.1:
                Progress._drawn = now
                Progress._line()
            return
        decile = int(min(self.done / self.total, 1.0) * 10)
        if decile != self._decile:
            self._decile = decile
            say(f"  {self.label}: {self.done:,}/{self.total:,} ({self.elapsed():.1f} s)")

    def close(self) -> float:
        elapsed = self.elapsed()
        final = f"  {self.label:<36} {self.done:>9,}/{self.total:,} in {elapsed:.1f} s"
        Progress.active.remove(self)
        if Progress.tty:
            width = shutil.get_terminal_size((120, 20)).columns - 1
            sys.stderr.write("\r" + final.ljust(width) + "\n")
            if Progress.active:
                Progress._line()
            sys.stderr.flush()
        elif self._decile < 10:
            say(f"  {self.label}: {self.done:,}/{self.total:,} ({elapsed:.1f} s)")
        return elapsed


# ---------------------------------------------------------------------------- scales


@dataclass(frozen=True)
class Scale:
    name: str
    associations: int = 5
    centers: int = 20
    rooms: int = 200
    equipment: int = 400
    groups: int = 100
    programs: int = 10
    trainers: int = 60
    courses: int = 100
    students: int = 3000
    templates: int = 500
    instances: int = 5000
    records: int = 200_000
    questions: int = 100
    exams: int = 1000
    # training content: courses of `content_fanout` units of as many sections of
    # as many lessons, each section with a practice of as many questions
    content_courses: int = 10
    content_fanout: int = 5

    def per_center(self, total: int) -> int:
        assert total % self.centers == 0, (total, self.centers)
        return total // self.centers


SCALES = {
    "S": Scale("S"),
    "L": Scale("L", students=30_000, records=1_000_000, exams=10_000),
    # The smallest set of the same shape (one centre): the smoke run of CI.
    "XS": Scale(
        "XS",
        associations=1,
        centers=1,
        rooms=5,
        equipment=5,
        groups=5,
        programs=2,
        trainers=3,
        courses=5,
        students=50,
        templates=25,
        instances=75,
        records=1_000,
        questions=6,
        exams=10,
        content_courses=1,
        content_fanout=2,
    ),
}

ACADEMIC_YEAR = "2024-2025"
FIRST_MONDAY = dt.date(2024, 9, 2)
YEAR_START, YEAR_END = dt.date(2024, 9, 1), dt.date(2025, 7, 31)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
#: (start, end) of the day's slot of a centre's k-th group; with trainer k % 3
#: teaching groups k and k + 3, nobody (trainer, room, group) is in two places
SLOTS = (
    (dt.time(8, 30), dt.time(10, 30)),
    (dt.time(10, 30), dt.time(12, 30)),
    (dt.time(14, 0), dt.time(16, 0)),
    (dt.time(16, 0), dt.time(18, 0)),
    (dt.time(8, 30), dt.time(10, 30)),
)
FIRST = [
    "Amal", "Youssef", "Fatima", "Mohamed", "Khadija", "Omar", "Salma", "Hamza", "Imane",
    "Ayoub", "Nadia", "Karim", "Sara", "Mehdi", "Houda", "Anas", "Meryem", "Rachid", "Zineb",
    "Hicham", "Loubna", "Adil", "Soukaina", "Ilyas", "Hajar", "Reda", "Asmae", "Yassine",
    "Ghita", "Othmane", "Kawtar", "Badr", "Siham", "Walid", "Najat", "Tarik", "Rim", "Ismail",
    "Wiam", "Nabil",
]  # fmt: skip
LAST = [
    "Alaoui", "Benali", "Idrissi", "Bennani", "Tazi", "Chraibi", "Berrada", "Fassi", "Amrani",
    "Lahlou", "Kettani", "Skalli", "Naciri", "Ouazzani", "Sefrioui", "Tahiri", "Zniber",
    "Filali", "Hajji", "Mansouri", "Bouazza", "Cherkaoui", "Lamrani", "Ziani", "Rami",
    "Benjelloun", "Guessous", "Sqalli", "Belkadi", "Kabbaj", "Marrakchi", "Slaoui", "Jettou",
    "Haddaoui", "Belhaj", "Ennaji", "Zaki", "Moussaoui", "Bakkali", "Essafi",
]  # fmt: skip
CITIES = [
    "Rabat", "Casablanca", "Fes", "Marrakech", "Tanger", "Agadir", "Oujda", "Meknes",
    "Tetouan", "Larache", "Kenitra", "Safi", "El Jadida", "Nador", "Beni Mellal", "Laayoune",
    "Khouribga", "Settat", "Taza", "Essaouira",
]  # fmt: skip
PROGRAMS = [
    "Couture et modelisme", "Coiffure et esthetique", "Informatique bureautique",
    "Cuisine et patisserie", "Electricite du batiment", "Aide a domicile",
    "Developpement web", "Comptabilite", "Broderie traditionnelle", "Langues et communication",
]  # fmt: skip
ROOM_TYPES = ("classroom", "classroom", "lab", "classroom", "classroom",
              "meeting_room", "lab", "classroom", "auditorium", "other")  # fmt: skip
EQUIPMENT = [
    ("Machine a coudre", "good"), ("Ordinateur portable", "excellent"),
    ("Videoprojecteur", "good"), ("Four professionnel", "fair"), ("Tableau blanc", "new"),
    ("Seche-cheveux", "need_reparation"), ("Imprimante", "good"), ("Plaque de cuisson", "damaged"),
]  # fmt: skip


def instance_weeks(scale: Scale) -> list[dt.date]:
    """The Mondays generate_for_week is run for: one every four weeks of the year."""
    weeks = scale.instances // scale.templates
    return [FIRST_MONDAY + dt.timedelta(weeks=1 + 4 * i) for i in range(weeks)]


def template_weeks() -> list[dt.date]:
    """Mondays without instances, where attendance is taken against the weekly
    templates, in the order they are filled."""
    used = {1 + 4 * i for i in range(10)}
    order = [w for offset in (1, 2, 3) for w in range(offset, 42, 4) if w not in used]
    return [FIRST_MONDAY + dt.timedelta(weeks=w) for w in order]


# ---------------------------------------------------------------------------- the API


class SeedError(RuntimeError):
    pass


class Api:
    """The gateway, as the admin, with a bounded number of requests in flight."""

    def __init__(self, base_url: str, concurrency: int = 12) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=300,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self.concurrency = concurrency

    async def login(self, email: str, password: str) -> None:
        tokens = await self.call("POST", "/api/token/", json={"email": email, "password": password})
        self.client.headers["Authorization"] = f"Bearer {tokens['access']}"

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in range(5):
            resp = await self.client.request(method, path, **kwargs)
            if resp.status_code in (502, 503, 504) and attempt < 4:
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            if resp.status_code >= 300:
                raise SeedError(f"{method} {path}: {resp.status_code} {resp.text[:800]}")
            return resp.json() if resp.content else None
        raise AssertionError("unreachable")

    async def post(self, path: str, body: Any) -> Any:
        return await self.call("POST", path, json=body)

    async def many(
        self,
        label: str,
        items: Sequence[T],
        fn: Callable[[T], Awaitable[R]],
        *,
        concurrency: int | None = None,
        weight: Callable[[T], int] = lambda _: 1,
    ) -> list[R]:
        """``fn`` over ``items``, ``concurrency`` at a time, answers in order."""
        bar = Progress(label, sum(weight(i) for i in items))
        limit = asyncio.Semaphore(concurrency or self.concurrency)

        async def one(item: T) -> R:
            async with limit:
                out = await fn(item)
            bar.add(weight(item))
            return out

        try:
            return list(await asyncio.gather(*(one(i) for i in items)))
        finally:
            bar.close()

    async def all_pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            data = await self.call("GET", path, params={**params, "page": page, "page_size": 100})
            out.extend(data["results"])
            if not data.get("next"):
                return out
            page += 1

    async def close(self) -> None:
        await self.client.aclose()


# ---------------------------------------------------------------------------- events settle


def _nats_pending(monitor_url: str) -> int:
    data = httpx.get(f"{monitor_url}/jsz", params={"consumers": "true"}, timeout=10).json()
    pending = 0
    for account in data.get("account_details", []):
        for stream in account.get("stream_detail", []):
            for consumer in stream.get("consumer_detail", []) or []:
                pending += int(consumer.get("num_pending", 0))
                pending += int(consumer.get("num_ack_pending", 0))
    return pending


async def _outbox_pending(stack: Stack) -> int:
    total = 0
    for spec in stack.specs:
        conn = await asyncpg.connect(asyncpg_dsn(stack.database_url(spec.name)))
        try:
            total += int(
                await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            )
        finally:
            await conn.close()
    return total


async def settle(stack: Stack, label: str = "events settle", limit: float = 1800) -> float:
    """Wait until every outbox is sent and every consumer has applied every event
    (twice in a row: a consumer's handler may write new outbox rows)."""
    monitor = f"http://127.0.0.1:{stack.config.nats_monitor_port}"
    started = time.perf_counter()
    bar: Progress | None = None
    quiet = 0
    peak = 0
    while True:
        outbox = await _outbox_pending(stack)
        nats = await asyncio.to_thread(_nats_pending, monitor)
        left = outbox + nats
        if left == 0:
            quiet += 1
            if quiet >= 2:
                break
        else:
            quiet = 0
            if bar is None and time.perf_counter() - started > 1:
                bar = Progress(label, left)
                peak = left
            if bar is not None:
                if left > peak:
                    bar.total = peak = left
                bar.done = peak - left
                bar.add(0)
        if time.perf_counter() - started > limit:
            raise SeedError(
                f"events did not settle in {limit:.0f} s ({outbox} outbox, {nats} NATS)"
            )
        await asyncio.sleep(0.3)
    if bar is not None:
        bar.done = bar.total
        bar.close()
    return time.perf_counter() - started


# ---------------------------------------------------------------------------- the data set


def person(i: int) -> tuple[str, str]:
    """The i-th of 1,600 different names (then again): imports running at once rarely
    share one (auth makes firstname.lastname emails)."""
    return FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]


def student_sheet(rows: Iterable[dict[str, Any]]) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(COLUMNS)
    for r in rows:
        ws.append([r.get(c.rstrip("*"), "") for c in COLUMNS])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@dataclass
class Manifest:
    """What bench/run.py needs of a seeded stack."""

    scale: str
    academic_year: str
    instance_weeks: list[str]
    fresh_week: str
    centers: list[int]
    rooms: list[int]
    groups: list[dict[str, Any]]
    trainers: list[int]
    courses: list[int]
    programs: list[int]
    fresh_sessions: list[dict[str, Any]]
    counts: dict[str, int]
    seconds: dict[str, float]
    # training-content courses (absent from manifests written before the content service)
    content_courses: list[int] = field(default_factory=list)

    def save(self, data_dir: Path) -> Path:
        path = Path(data_dir) / "seed.json"
        path.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, data_dir: Path) -> Manifest | None:
        path = Path(data_dir) / "seed.json"
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text(encoding="utf-8")))


class Seeder:
    """The data set of one scale, phase by phase (each phase's records kept for the next)."""

    def __init__(self, stack: Stack, scale: Scale, api: Api) -> None:
        self.stack = stack
        self.scale = scale
        self.api = api
        self.rng = random.Random(20240902)
        self.per_center = {
            name: scale.per_center(getattr(scale, name))
            for name in ("rooms", "equipment", "groups", "trainers", "courses")
        }
        assert self.per_center["groups"] == self.per_center["courses"] == len(SLOTS)
        assert self.per_center["trainers"] == 3
        assert scale.templates == scale.groups * len(DAYS)
        self.per_group = scale.students // scale.groups

    # -- centres and their people
    async def supervisors(self) -> None:
        s = self.scale
        wanted = [("association_supervisor", f"asso.sup{i}@bench.entraide.ma", i)
                  for i in range(s.associations)]  # fmt: skip
        wanted += [("center_supervisor", f"centre.sup{i}@bench.entraide.ma", 100 + i)
                   for i in range(s.centers)]  # fmt: skip

        async def make(item: tuple[str, str, int]) -> dict[str, Any]:
            role, email, n = item
            first, last = person(n)
            body = {"email": email, "password": "Bench-Atlas-2024!", "role": role,
                    "first_name": first, "last_name": last}  # fmt: skip
            return dict(await self.api.post("/api/accounts/users/", body))

        users = await self.api.many("supervisors (auth)", wanted, make)
        self.asso_sups = [u["id"] for u in users[: s.associations]]
        self.center_sups = [u["id"] for u in users[s.associations :]]

    async def centers(self) -> None:
        s, api = self.scale, self.api

        async def association(i: int) -> dict[str, Any]:
            return dict(await api.post("/api/associations/", {
                "name": f"Association {CITIES[i]} Solidarite",
                "description": f"Association partenaire de la region de {CITIES[i]}.",
                "supervisor": self.asso_sups[i],
                "city": CITIES[i],
                "phone_number": f"+2125370{i:05d}",
                "email": f"contact{i}@asso.bench.ma",
                "registration_number": f"ASSOC-{i:04d}",
            }))  # fmt: skip

        associations = await api.many("associations", range(s.associations), association)

        async def center(i: int) -> dict[str, Any]:
            city = CITIES[i % len(CITIES)]
            return dict(await api.post("/api/centers-app/centers/", {
                "name": f"Centre Entraide {city} {i + 1}",
                "description": "Centre de formation professionnelle.",
                "city": city,
                "association": associations[i % s.associations]["id"],
                "affiliated_to": "association",
                "supervisor": self.center_sups[i],
                "is_verified": True,
                "phone_number": f"+2125371{i:05d}",
            }))  # fmt: skip

        self.center_ids = [c["id"] for c in await api.many("centres", range(s.centers), center)]

        async def room(i: int) -> dict[str, Any]:
            c, k = divmod(i, self.per_center["rooms"])
            return dict(await api.post("/api/centers-app/rooms/", {
                "name": f"Salle {k + 1}",
                "type": ROOM_TYPES[k % len(ROOM_TYPES)],
                "capacity": 20 + (k * 7) % 30,
                "center": self.center_ids[c],
            }))  # fmt: skip

        async def group(i: int) -> dict[str, Any]:
            c, k = divmod(i, self.per_center["groups"])
            return dict(await api.post("/api/centers-app/groups/", {
                "name": f"Groupe {chr(65 + k)}",
                "description": f"Promotion {ACADEMIC_YEAR}, groupe {chr(65 + k)}",
                "center": self.center_ids[c],
            }))  # fmt: skip

        rooms, groups = await asyncio.gather(
            api.many("rooms", range(s.rooms), room), api.many("groups", range(s.groups), group)
        )
        self.room_ids = [r["id"] for r in rooms]
        self.group_ids = [g["id"] for g in groups]

        async def equipment(i: int) -> dict[str, Any]:
            c, k = divmod(i, self.per_center["equipment"])
            room = self.room_ids[c * self.per_center["rooms"] + k % self.per_center["rooms"]]
            name, condition = EQUIPMENT[i % len(EQUIPMENT)]
            return dict(await api.post("/api/centers-app/equipment/", {
                "name": f"{name} {k + 1}",
                "condition": condition,
                "quantity": 1 + k % 12,
                "center": self.center_ids[c],
                "room": room,
            }))  # fmt: skip

        async def program(i: int) -> dict[str, Any]:
            suffix = "" if i < len(PROGRAMS) else f" {i}"
            return dict(await api.post("/api/programs/trainingprogrames/", {
                "name": PROGRAMS[i % len(PROGRAMS)] + suffix,
                "description": "Formation qualifiante.",
                "duration_years": 1 + i % 3,
            }))  # fmt: skip

        _equipment, programs = await asyncio.gather(
            api.many("equipment", range(s.equipment), equipment),
            api.many("programmes", range(s.programs), program),
        )
        self.program_ids = [p["id"] for p in programs]

    # -- trainers and what they teach: group g of a centre follows course g, taught
    #    by the centre's trainer g % 3
    def course_program(self, course: int) -> int:
        return self.program_ids[course % self.scale.programs]

    def course_trainer(self, course: int) -> int:
        c, k = divmod(course, self.per_center["courses"])
        return self.trainer_ids[c * self.per_center["trainers"] + k % 3]

    def center_of(self, course: int) -> int:
        return self.center_ids[course // self.per_center["courses"]]

    async def teachers(self) -> None:
        per = self.per_center["courses"]

        async def teacher(i: int) -> dict[str, Any]:
            c, k = divmod(i, self.per_center["trainers"])
            first, last = person(1000 + i)
            taught = [c * per + j for j in range(k, per, 3)]
            return dict(await self.api.post("/api/teachers/", {
                "first_name": first,
                "last_name": last,
                "center": self.center_ids[c],
                "program": self.course_program(taught[0]),
                "groups": [self.group_ids[j] for j in taught],
                "contract_with": "entraide" if i % 4 else "association",
                "contract_start_date": "2024-09-01",
                "contract_end_date": "2025-07-31",
            }))  # fmt: skip

        teachers = await self.api.many(
            "teachers (trainer accounts)", range(self.scale.trainers), teacher
        )
        self.trainer_ids = [t["user"]["id"] for t in teachers]

    async def courses(self) -> None:
        async def course(i: int) -> dict[str, Any]:
            return dict(await self.api.post("/api/programs/trainingcourses/", {
                "program": self.course_program(i),
                "center": self.center_of(i),
                "trainer": self.course_trainer(i),
                "academic_year": ACADEMIC_YEAR,
            }))  # fmt: skip

        courses = await self.api.many("training courses", range(self.scale.courses), course)
        self.course_ids = [c["id"] for c in courses]

    # -- students: one bulk import per group (its programme, course and centre)
    async def students(self) -> None:
        per_group = self.per_group

        async def import_group(g: int) -> None:
            rows = []
            for s in range(per_group):
                n = g * per_group + s
                first, last = person(n + 800)
                rows.append({
                    "first_name": first,
                    "last_name": last,
                    "academic_year": ACADEMIC_YEAR,
                    "joining_date": "2024-09-02",
                    "cin_id": f"BK{n:07d}",
                    "phone_number": f"06{n:08d}",
                    "birth_date": dt.date(1998 + n % 9, 1 + n % 12, 1 + n % 28).isoformat(),
                    "birth_city": CITIES[n % len(CITIES)],
                    "city": CITIES[(g // self.per_center["groups"]) % len(CITIES)],
                    "exam_id": f"STU{n:07d}",
                })  # fmt: skip
            data = await asyncio.to_thread(student_sheet, rows)
            form = {
                "program": str(self.course_program(g)),
                "center": str(self.center_of(g)),
                "group": str(self.group_ids[g]),
                "training_course": str(self.course_ids[g]),
            }
            for attempt in range(10):
                try:
                    report = await self.api.call(
                        "POST",
                        "/api/students/bulk_import/",
                        data=form,
                        files={"file": ("students.xlsx", data, XLSX)},
                    )
                    break
                except SeedError as exc:
                    # Two imports at once may both pick the same free firstname.lastname
                    # email in auth; the loser saves nothing and is simply sent again.
                    if "already exists" not in str(exc) or attempt == 9:
                        raise
                    await asyncio.sleep(random.uniform(0.1, 0.5) * (attempt + 1))
            if report["successful"] != per_group:
                raise SeedError(f"import of group {g}: {report['errors'][:3]}")

        await self.api.many(
            "students (bulk import, per group)",
            range(self.scale.groups),
            import_group,
            concurrency=3,
            weight=lambda _: per_group,
        )

    # -- the timetable: each group five sessions a week, nobody double-booked
    async def templates_and_instances(self) -> None:
        per = self.per_center["groups"]

        async def template(i: int) -> dict[str, Any]:
            g, day = divmod(i, len(DAYS))
            k = g % per
            start, end = SLOTS[k]
            return dict(await self.api.post("/api/schedule/api/sessions/", {
                "day": DAYS[(day + g) % len(DAYS)],
                "start_time": start.isoformat(),
                "end_time": end.isoformat(),
                "academic_year": ACADEMIC_YEAR,
                "trainer": self.course_trainer(g),
                "room": self.room_ids[(g // per) * self.per_center["rooms"] + k],
                "group": self.group_ids[g],
                "training_course": self.course_ids[g],
            }))  # fmt: skip

        await self.api.many("weekly templates", range(self.scale.templates), template)
        self.weeks = instance_weeks(self.scale)

        async def generate(monday: dt.date) -> int:
            body = {"start_date": monday.isoformat(), "academic_year": ACADEMIC_YEAR}
            out = await self.api.post("/api/schedule/api/instances/generate_for_week/", body)
            return len(out["instances"])

        made = await self.api.many(
            "instances (generate_for_week)",
            self.weeks,
            generate,
            concurrency=1,
            weight=lambda _: self.scale.templates,
        )
        if sum(made) != self.scale.instances:
            raise SeedError(f"generate_for_week made {sum(made)} instances")

    async def questions(self) -> None:
        async def question(i: int) -> dict[str, Any]:
            if i % 3 == 0:
                body: dict[str, Any] = {"type": "TF", "correct_answer": True}
            else:
                body = {"type": "MCQ", "options": ["A", "B", "C", "D"], "correct_answer": "B"}
            body |= {"training": self.program_ids[i % self.scale.programs],
                     "question_text": f"Question {i + 1} ?", "points": 2}  # fmt: skip
            return dict(await self.api.post("/api/exams/questions/", body))

        self.questions_of: dict[int, list[int]] = {}
        for q in await self.api.many("exam questions", range(self.scale.questions), question):
            self.questions_of.setdefault(q["training"], []).append(q["id"])

    async def content(self) -> None:
        """Courses (one per programme in turn), their units, sections, lessons (text and
        video in turn) and practices with two-option questions, through the API."""
        n = self.scale.content_fanout

        async def course(i: int) -> dict[str, Any]:
            body = {"name": f"Course {i + 1:03}", "description": "Training content",
                    "order": i, "program": self.program_ids[i % self.scale.programs]}  # fmt: skip
            return dict(await self.api.post("/api/courses/courses/", body))

        async def unit(item: tuple[int, int]) -> dict[str, Any]:
            body = {"course": item[0], "name": f"Unit {item[1] + 1}", "order": item[1]}
            return dict(await self.api.post("/api/courses/units/", body))

        async def section(item: tuple[int, int]) -> dict[str, Any]:
            body = {"unit": item[0], "name": f"Section {item[1] + 1}", "order": item[1]}
            return dict(await self.api.post("/api/courses/sections/", body))

        async def lesson(item: tuple[int, int]) -> dict[str, Any]:
            body: dict[str, Any] = {"section": item[0], "title": f"Lesson {item[1] + 1}",
                                    "order": item[1], "duration_minutes": 15}  # fmt: skip
            if item[1] % 2:
                body |= {"lesson_type": "video", "video_url": "https://www.youtube.com/watch?v=x"}
            else:
                body |= {"lesson_type": "text", "text_content": "Read this section carefully."}
            return dict(await self.api.post("/api/courses/lessons/", body))

        async def practice(section_id: int) -> dict[str, Any]:
            body = {"section": section_id, "instructions": "Answer each question."}
            return dict(await self.api.post("/api/courses/practice/", body))

        async def question(item: tuple[int, int]) -> dict[str, Any]:
            body = {"practice": item[0], "question_text": f"Question {item[1] + 1}?",
                    "order": item[1], "explanation": "See the lesson."}  # fmt: skip
            return dict(await self.api.post("/api/courses/questions/", body))

        async def option(item: tuple[int, int]) -> dict[str, Any]:
            body = {"question": item[0], "option_text": f"Answer {item[1] + 1}",
                    "is_correct": item[1] == 0, "order": item[1]}  # fmt: skip
            return dict(await self.api.post("/api/courses/question-options/", body))

        def each(parents: Sequence[dict[str, Any]], k: int) -> list[tuple[int, int]]:
            return [(p["id"], j) for p in parents for j in range(k)]

        courses = await self.api.many("content courses", range(self.scale.content_courses), course)
        units = await self.api.many("units", each(courses, n), unit)
        sections = await self.api.many("sections", each(units, n), section)
        await self.api.many("lessons", each(sections, n), lesson)
        practices = await self.api.many("practices", [s["id"] for s in sections], practice)
        questions = await self.api.many("practice questions", each(practices, n), question)
        await self.api.many("options", each(questions, 2), option)
        self.content_course_ids = [c["id"] for c in courses]

    # -- what attendance knows, from its own copies (what its API checks against)
    async def read_copies(self) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(self.stack.database_url("attendance")))
        try:
            self.student_rows = await conn.fetch(
                'SELECT id, "user", "group", program FROM student_copies ORDER BY id'
            )
            self.instance_rows = await conn.fetch(
                'SELECT id, specific_date, effective_trainer, "group", center '
                "FROM instance_copies ORDER BY specific_date, id"
            )
            self.template_rows = await conn.fetch(
                'SELECT id, day, trainer, "group", center FROM session_copies ORDER BY id'
            )
        finally:
            await conn.close()
        s = self.scale
        if len(self.student_rows) != s.students or len(self.instance_rows) != s.instances:
            raise SeedError(
                f"attendance's copies: {len(self.student_rows)} students, "
                f"{len(self.instance_rows)} instances"
            )
        self.students_of: dict[int, list[int]] = {}
        for row in self.student_rows:
            self.students_of.setdefault(row["group"], []).append(row["id"])

    async def exams(self) -> None:
        step = max(1, self.scale.students // self.scale.exams)
        chosen = self.student_rows[::step][: self.scale.exams]
        kinds = ("term1_theory", "term1_practical", "term2_theory", "term2_practical")

        async def exam(i: int) -> dict[str, Any]:
            row = chosen[i]
            return dict(await self.api.post("/api/exams/", {
                "title": f"Controle {i % 4 + 1}",
                "exam_type": kinds[i % 4],
                "student": row["user"],
                "training": row["program"],
                "questions": self.questions_of.get(row["program"], []),
                "status": "published" if i % 2 else "draft",
            }))  # fmt: skip

        await self.api.many("exams", range(len(chosen)), exam)

    # -- attendance: the first instance week through bulk_create, the rest straight in;
    #    the last instance week is left without (bench/run.py takes it with bulk_create)
    def status(self) -> str:
        x = self.rng.random()
        return "present" if x < 0.85 else "absent" if x < 0.93 else "late"

    async def attendance_by_api(self) -> int:
        weeks = self.weeks
        first = [r for r in self.instance_rows if weeks[0] <= r["specific_date"] < weeks[1]]
        first = first[: self.scale.records // self.per_group]

        async def take(row: Any) -> int:
            out = await self.api.post("/api/attendance/api/records/bulk_create/", {
                "session_instance_id": row["id"],
                "date": row["specific_date"].isoformat(),
                "attendance_records": [
                    {"student_id": s, "status": self.status()}
                    for s in self.students_of[row["group"]]
                ],
            })  # fmt: skip
            return int(out["created"])

        taken = await self.api.many(
            "attendance (bulk_create API)", first, take, weight=lambda _: self.per_group
        )
        return sum(taken)

    async def attendance_direct(self, wanted: int) -> int:
        weeks = self.weeks
        sessions: list[tuple[str, Any, dt.date]] = [
            ("instance", r, r["specific_date"])
            for r in self.instance_rows
            if weeks[1] <= r["specific_date"] < weeks[-1]
        ]
        day_index = {d: n for n, d in enumerate(DAYS)}
        for monday in template_weeks():
            for t in self.template_rows:
                sessions.append(("template", t, monday + dt.timedelta(days=day_index[t["day"]])))
        return await insert_attendance(self.stack, sessions, self.students_of, wanted, self.status)

    def manifest(self, counts: dict[str, int], seconds: dict[str, float]) -> Manifest:
        fresh_week = self.weeks[-1]
        fresh = [r for r in self.instance_rows if r["specific_date"] >= fresh_week]
        return Manifest(
            scale=self.scale.name,
            academic_year=ACADEMIC_YEAR,
            instance_weeks=[w.isoformat() for w in self.weeks],
            fresh_week=fresh_week.isoformat(),
            centers=self.center_ids,
            rooms=self.room_ids,
            groups=[
                {"id": g, "students": len(self.students_of.get(g, []))} for g in self.group_ids
            ],
            trainers=self.trainer_ids,
            courses=self.course_ids,
            programs=self.program_ids,
            fresh_sessions=[
                {
                    "instance": r["id"],
                    "date": r["specific_date"].isoformat(),
                    "students": self.students_of[r["group"]][:30],
                }
                for r in fresh
            ],
            counts=counts,
            seconds=seconds,
            content_courses=self.content_course_ids,
        )


async def seed(stack: Stack, scale: Scale, *, concurrency: int = 12) -> Manifest:
    """Fill a running, empty stack with the data set of ``scale``."""
    seconds: dict[str, float] = {}
    started = mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        seconds[name] = round(now - mark, 1)
        mark = now

    api = Api(stack.gateway_url, concurrency)
    try:
        await api.login(stack.admin_email, stack.admin_password())
        existing = await api.call("GET", "/api/centers-app/centers/", params={"page_size": 1})
        if existing["count"]:
            raise SeedError("this stack already holds centres: seed an empty one")
        s = Seeder(stack, scale, api)
        await s.supervisors()
        await s.centers()
        await settle(stack, "copies of centres and groups")
        phase("centres")
        await s.teachers()
        await settle(stack, "copies of trainers")
        await s.courses()
        await settle(stack, "copies of courses")
        phase("teachers and courses")
        # Independent of each other: students, the timetable and the question bank.
        await asyncio.gather(s.students(), s.templates_and_instances(), s.questions(), s.content())
        phase("students, timetable, questions, content")
        await settle(stack, "copies of students and sessions")
        phase("copies of students and sessions")
        await s.read_copies()
        _, through_api = await asyncio.gather(s.exams(), s.attendance_by_api())
        phase("exams, attendance through bulk_create")
        direct = await s.attendance_direct(scale.records - through_api)
        await settle(stack, "attendance events published")
        phase("attendance written directly, its events")
        await analyze(stack)
        phase("vacuum analyze")
        seconds["total"] = round(time.perf_counter() - started, 1)
        counts = await count_everything(stack)
        differ = check_counts(counts, scale)
        if differ:
            raise SeedError(f"scale {scale.name}: " + "; ".join(differ))
        manifest = s.manifest(counts, seconds)
        say(
            f"seeded scale {scale.name} in {seconds['total']:.0f} s ({through_api:,} attendance "
            f"records through bulk_create, {direct:,} written directly)"
        )
        return manifest
    finally:
        await api.close()


async def insert_attendance(
    stack: Stack,
    sessions: Sequence[tuple[str, Any, dt.date]],
    students_of: dict[int, list[int]],
    wanted: int,
    status: Callable[[], str],
    chunk: int = 25_000,
) -> int:
    """``wanted`` records for ``sessions`` (in order), written as bulk_create writes
    them: one INSERT per chunk and, in the same transaction, the service's own
    ``events.records_changed`` (its outbox rows, through the kit's Outbox)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncSession

    from attendance_service import events
    from entraide_kit.db import Database

    columns: dict[str, list[Any]] = {k: [] for k in ("date", "student", "tpl", "inst", "status",
                                                     "group", "trainer", "center")}  # fmt: skip
    for kind, row, day in sessions:
        if len(columns["date"]) >= wanted:
            break
        for student in students_of.get(row["group"], []):
            if len(columns["date"]) >= wanted:
                break
            columns["date"].append(day)
            columns["student"].append(student)
            columns["tpl"].append(row["id"] if kind == "template" else None)
            columns["inst"].append(row["id"] if kind == "instance" else None)
            columns["status"].append(status())
            columns["group"].append(row["group"])
            columns["trainer"].append(
                row["trainer"] if kind == "template" else row["effective_trainer"]
            )
            columns["center"].append(row["center"])
    total = len(columns["date"])
    if total < wanted:
        raise SeedError(
            f"only {total:,} attendance slots for {wanted:,} records: more weeks needed"
        )
    insert = text(
        """
        INSERT INTO attendance_records (date, student_id, session_template_id,
            session_instance_id, status, notes, group_id, trainer_id, center_id)
        SELECT d, s, t, i, st, '', g, tr, c
        FROM unnest(CAST(:date AS date[]), CAST(:student AS integer[]),
                    CAST(:tpl AS integer[]), CAST(:inst AS integer[]),
                    CAST(:status AS varchar[]), CAST(:group AS integer[]),
                    CAST(:trainer AS integer[]), CAST(:center AS integer[]))
             AS u(d, s, t, i, st, g, tr, c)
        RETURNING id, date, student_id, session_template_id, session_instance_id, status,
                  notes, group_id, trainer_id, center_id, is_justified, version
        """
    )
    db = Database(stack.database_url("attendance"), pool_size=1, max_overflow=0)
    bar = Progress("attendance (direct, with outbox)", total)
    try:
        for start in range(0, total, chunk):
            params = {k: v[start : start + chunk] for k, v in columns.items()}
            async with AsyncSession(db.engine) as session, session.begin():
                rows = (await session.execute(insert, params)).all()
                await events.records_changed(session, rows)
            bar.add(len(rows))
            # The relay's query for pending rows is planned on the outbox's statistics:
            # refresh them at once (autovacuum would, a minute later), and let it work
            # through this chunk while the next one is built (its cost grows with the
            # backlog).
            async with db.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("ANALYZE outbox"))
                while True:
                    left = (
                        await conn.execute(
                            text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                        )
                    ).scalar_one()
                    if left < chunk // 2:
                        break
                    await asyncio.sleep(0.2)
    finally:
        bar.close()
        await db.dispose()
    return total


async def analyze(stack: Stack) -> None:
    bar = Progress("vacuum analyze", len(stack.specs))
    for spec in stack.specs:
        conn = await asyncpg.connect(asyncpg_dsn(stack.database_url(spec.name)))
        try:
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()
        bar.add()
    bar.close()


COUNTS = {
    "centers": ("associations", "centers", "rooms", "equipment", "center_groups"),
    "programs": ("training_programs", "teachers", "training_courses"),
    "students": ("students",),
    "schedule": ("schedule_sessions", "session_instances"),
    # (the network roll-ups need the associations, centres and groups copied too)
    "attendance": (
        "attendance_records",
        "student_copies",
        "instance_copies",
        "session_copies",
        "association_copies",
        "center_copies",
        "group_copies",
    ),
    "exams": ("questions", "exams"),
    "content": ("courses", "units", "sections", "lessons", "practices", "practice_questions"),
    "auth": ("users",),
}


async def count_everything(stack: Stack) -> dict[str, int]:
    counts: dict[str, int] = {}
    for service, tables in COUNTS.items():
        conn = await asyncpg.connect(asyncpg_dsn(stack.database_url(service)))
        try:
            for table in tables:
                with contextlib.suppress(asyncpg.UndefinedTableError):
                    counts[f"{service}.{table}"] = int(
                        await conn.fetchval(f'SELECT count(*) FROM "{table}"')
                    )
        finally:
            await conn.close()
    return counts


def expected_counts(scale: Scale) -> dict[str, int]:
    """The rows ``count_everything`` finds after seeding ``scale``."""
    s = scale
    return {
        "centers.associations": s.associations,
        "centers.centers": s.centers,
        "centers.rooms": s.rooms,
        "centers.equipment": s.equipment,
        "centers.center_groups": s.groups,
        "programs.training_programs": s.programs,
        "programs.teachers": s.trainers,
        "programs.training_courses": s.courses,
        "students.students": s.students,
        "schedule.schedule_sessions": s.templates,
        "schedule.session_instances": s.instances,
        "attendance.attendance_records": s.records,
        "attendance.student_copies": s.students,
        "attendance.instance_copies": s.instances,
        "attendance.session_copies": s.templates,
        "attendance.association_copies": s.associations,
        "attendance.center_copies": s.centers,
        "attendance.group_copies": s.groups,
        "exams.questions": s.questions,
        "exams.exams": s.exams,
        "content.courses": s.content_courses,
        "content.units": s.content_courses * s.content_fanout,
        "content.sections": s.content_courses * s.content_fanout**2,
        "content.lessons": s.content_courses * s.content_fanout**3,
        "content.practices": s.content_courses * s.content_fanout**2,
        "content.practice_questions": s.content_courses * s.content_fanout**3,
        # the admin, the supervisors, the trainers' and the students' accounts
        "auth.users": 1 + s.associations + s.centers + s.trainers + s.students,
    }


def check_counts(counts: dict[str, int], scale: Scale) -> list[str]:
    """What differs between ``counts`` and the scale."""
    return [
        f"{table}: {counts.get(table)} rows, {wanted} expected"
        for table, wanted in expected_counts(scale).items()
        if counts.get(table) != wanted
    ]


async def seeded(stack: Stack, scale: Scale, data_dir: Path) -> Manifest:
    manifest = Manifest.load(data_dir)
    if manifest is not None:
        return manifest
    manifest = await seed(stack, scale)
    manifest.save(data_dir)
    return manifest


def main(argv: Any = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--smoke", action="store_true", help="the same as --scale XS")
    parser.add_argument("--data-dir", type=Path, help="default: a new temporary folder")
    parser.add_argument(
        "--keep-running", action="store_true", help="leave the stack running when done"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.scale = "XS"
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="entraide-bench-"))
    if Manifest.load(data_dir) is not None:
        parser.error(f"{data_dir} is already seeded (seed.json): choose another --data-dir")
    try:
        with bench_stack(data_dir, keep_running=args.keep_running) as stack:
            manifest = asyncio.run(seed(stack, SCALES[args.scale]))
            path = manifest.save(data_dir)
    except SeedError as exc:
        sys.exit(f"FAILED: {exc}")
    print(json.dumps({"counts": manifest.counts, "seconds": manifest.seconds}, indent=1))
    print(f"seeded {data_dir} (manifest {path})")
    print(f"measure: .venv/bin/python bench/run.py --data-dir {data_dir}")


if __name__ == "__main__":
    main()
