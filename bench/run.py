"""Load through the gateway, against the machine's ceiling measured in the same run.

    .venv/bin/python bench/run.py [--data-dir DIR] [--scale S|L] [--seconds 10]
                                  [--concurrency 8,32] [--only NAME,...] [--repeat 50]
    .venv/bin/python bench/run.py --smoke [--data-dir DIR]     # about a minute (CI)

On the stack running in ``DIR`` (or one it starts there: see bench/seed.py; a
new temporary folder by default), seeded at ``--scale`` unless ``DIR/seed.json``
says it already is, it loads every endpoint of issue 11 through the gateway
(127.0.0.1 only) with wrk (Debian's package; Lua scripts carry the bearer
token and the bodies, and rotate over ids so one row is not all that is
read), each for ``--seconds`` at each concurrency, after waiting for every
outbox and consumer to be idle. It prints requests/s, p50, p99 and errors, each
figure as a fraction of the ceiling: the same gateway route's middlewares in
front of auth's /healthz (the same uvicorn, FastAPI and edge middleware as
every endpoint, nothing behind it), measured before and after each round.
Beside each run, the CPU used by each process (services, PostgreSQL,
Traefik, NATS, wrk itself) and the resident memory of each service.

Then single-request latency (median and p90 of ``--repeat``, one request at a
time through the gateway) of the statistics, reports, network roll-ups (issue
20) and timetables, and of generate_for_week creating a new week. Results also go to
``DIR/results-<scale>-<time>.json``. Exits 1 when a request failed under load
or a figure is missing.

``--smoke`` is the run of CI: scale XS when it seeds, users/me and the rooms
list for 2 s at concurrency 4, 3 single requests per query; the load comes
from wrk when it is installed, else from a loop of httpx connections in this
process (``--loader httpx``: no install needed, but its figures are its own,
not comparable to wrk's).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from seed import (
    CEILING_PATH,
    CEILING_SERVICE,
    SCALES,
    Manifest,
    bench_stack,
    say,
    seed,
    settle,
)

from entraide_kit.pagination import DEFAULT_PAGE_SIZE
from entraide_stack import Stack
from entraide_stack.embedded import Process
from entraide_stack.registry import SERVICES

# ---------------------------------------------------------------------------- endpoints


@dataclass
class Endpoint:
    name: str
    method: str
    paths: list[str]
    bodies: list[Any] = field(default_factory=list)
    auth: bool = True
    #: the target of issue 11 this endpoint is held to, at concurrency 32
    target: str = ""
    base: str = ""  # another base URL than the gateway's (the ceiling without it)


def endpoints(m: Manifest, stack: Stack) -> list[Endpoint]:
    year = {"start_date": "2024-09-01", "end_date": "2025-07-31"}
    groups = [g["id"] for g in m.groups]
    weeks = [dt.date.fromisoformat(w) for w in m.instance_weeks[:-1]]

    def q(params: dict[str, Any]) -> str:
        return "&".join(f"{k}={v}" for k, v in params.items())

    def pages(table: str, most: int) -> range:
        """The pages (of the default size, 20) of a list at this scale, at most ``most``."""
        full = -(-m.counts.get(table, 0) // DEFAULT_PAGE_SIZE)
        return range(1, max(1, min(most, full)) + 1)

    att = "/api/attendance/api/records"
    timetables = [
        "/api/schedule/api/instances/trainer_timetable/?"
        + q({"trainer_id": t, "start_date": w, "end_date": w + dt.timedelta(days=6)})
        for w in weeks
        for t in m.trainers
    ]
    admin = {"email": stack.admin_email, "password": stack.admin_password()}
    bulk = [
        {
            "session_instance_id": s["instance"],
            "date": s["date"],
            "attendance_records": [
                {"student_id": st, "status": "present" if n % 7 else "late"}
                for n, st in enumerate(s["students"][:30])
            ],
        }
        for s in m.fresh_sessions
    ]
    chosen = [
        Endpoint("token obtain", "POST", ["/api/token/"], [admin], auth=False),
        Endpoint("users/me", "GET", ["/api/accounts/users/me/"], target="50%"),
        Endpoint(
            "rooms list (page_size=20)",
            "GET",
            [
                f"/api/centers-app/rooms/?page={p}&page_size={DEFAULT_PAGE_SIZE}"
                for p in pages("centers.rooms", 10)
            ],
            target="25%",
        ),
        Endpoint(
            "centre with rooms and groups",
            "GET",
            [f"/api/centers-app/centers/{c}/" for c in m.centers],
            target="25%",
        ),
        Endpoint(
            "students list",
            "GET",
            [f"/api/students/?page={p}" for p in pages("students.students", 20)],
            target="25%",
        ),
        Endpoint(
            "attendance stats, a group, the year",
            "GET",
            [f"{att}/stats/?" + q({**year, "group_id": g}) for g in groups],
            target="30%",
        ),
        Endpoint(
            "trainer_timetable, a week", "GET", timetables[: len(m.trainers) * 3], target="30%"
        ),
        Endpoint("bulk_create, 30 records", "POST", [f"{att}/bulk_create/"], bulk, target="p99"),
        Endpoint(
            "attendance report, a group, a month",
            "GET",
            [
                f"{att}/report/?"
                + q({"start_date": "2024-10-01", "end_date": "2024-10-31", "group_id": g})
                for g in groups
            ],
            target="25%",
        ),
        Endpoint(
            "generate_for_week (500 templates, all there)",
            "POST",
            ["/api/schedule/api/instances/generate_for_week/"],
            [{"start_date": w.isoformat(), "academic_year": m.academic_year} for w in weeks],
        ),
        Endpoint(
            "schedule sessions list",
            "GET",
            [
                f"/api/schedule/api/sessions/?page={p}"
                for p in pages("schedule.schedule_sessions", 10)
            ],
            target="25%",
        ),
        Endpoint(
            "exams list",
            "GET",
            [f"/api/exams/?page={p}" for p in pages("exams.exams", 10)],
            target="25%",
        ),
    ]
    if m.content_courses:  # (a data set seeded before the content service has none)
        paths = [f"/api/courses/courses/{c}/" for c in m.content_courses]
        chosen.append(Endpoint("course with its whole content", "GET", paths))
    return chosen


#: which service answers a gateway path (bench/hotspots.py samples that one)
SERVICE_OF: list[tuple[str, str]] = [(p, spec.name) for spec in SERVICES for p in spec.paths]


def ceiling() -> Endpoint:
    return Endpoint(f"ceiling: gateway -> {CEILING_SERVICE} /healthz", "GET", [CEILING_PATH])


def bare(stack: Stack) -> Endpoint:
    return Endpoint(
        f"{CEILING_SERVICE} /healthz without the gateway",
        "GET",
        ["/healthz"],
        auth=False,
        base=stack.service_url(CEILING_SERVICE),
    )


# ---------------------------------------------------------------------------- wrk

LUA = """
local requests = {}
local n = 0
local counter = 1
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  -- built here, where wrk.host is known (wrk.format adds the Host header)
%(requests)s
  -- threads start at different places in the rotation
  n = ((tid or 1) - 1) * math.floor(#requests / 2)
end
function request()
  n = n + 1
  return requests[(n - 1) %% #requests + 1]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, "read": %%d,'
    .. ' "write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%d, "p90_us": %%d,'
    .. ' "p99_us": %%d, "max_us": %%d, "mean_us": %%f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def lua_string(text: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


def lua_script(ep: Endpoint, token: str | None) -> str:
    headers = {"Accept": "application/json"}
    if ep.auth and token:
        headers["Authorization"] = f"Bearer {token}"
    if ep.method != "GET":
        headers["Content-Type"] = "application/json"
    lua_headers = (
        "{" + ", ".join(f"[ {lua_string(k)} ] = {lua_string(v)}" for k, v in headers.items()) + "}"
    )
    lines = []
    count = max(len(ep.paths), len(ep.bodies) or 1)
    for i in range(count):
        path = ep.paths[i % len(ep.paths)]
        body = "nil"
        if ep.bodies:
            body = lua_string(json.dumps(ep.bodies[i % len(ep.bodies)], separators=(",", ":")))
        lines.append(
            f"  requests[{i + 1}] = wrk.format({lua_string(ep.method)}, {lua_string(path)}, "
            f"{lua_headers}, {body})"
        )
    return LUA % {"requests": "\n".join(lines)}


@dataclass
class Result:
    endpoint: str
    concurrency: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_detail: dict[str, int]
    cpu: dict[str, float]  # % of one core per process group
    rss_mb: dict[str, float]
    ceiling_fraction: float | None = None
    note: str = ""


# ---------------------------------------------------------------------------- processes


class Processes:
    """The stack's processes by name (pid files), for CPU and memory."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.services: dict[str, psutil.Process] = {}
        self.others: dict[str, psutil.Process] = {}
        names = [s.name for s in stack.specs] + ["traefik", "nats"]
        for name in names:
            pid_file = stack.config.run_dir / f"{name}.pid"
            pid = Process(name, [], log_file=stack.log_file(name), pid_file=pid_file).pid
            if pid is not None:
                with contextlib.suppress(psutil.Error):
                    target = self.others if name in ("traefik", "nats") else self.services
                    target[name] = psutil.Process(pid)
        pg = stack.postgres.postmaster_pid()
        self.postmaster = psutil.Process(pg) if pg else None

    def groups(self) -> dict[str, list[psutil.Process]]:
        out: dict[str, list[psutil.Process]] = {
            n: [p, *_children(p)] for n, p in self.services.items()
        }
        out |= {n: [p] for n, p in self.others.items()}
        if self.postmaster is not None:
            with contextlib.suppress(psutil.Error):
                out["postgres"] = [self.postmaster, *self.postmaster.children(recursive=True)]
        return out

    def cpu_seconds(self) -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {}
        for name, procs in self.groups().items():
            per: dict[int, float] = {}
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    per[p.pid] = t.user + t.system
            out[name] = per
        return out

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of each service: of its largest process (with
        ``ENTRAIDE_WORKERS`` above 1, each worker is a process of its own)."""
        out = {}
        for name, p in self.services.items():
            with contextlib.suppress(psutil.Error):
                out[name] = max(q.memory_info().rss for q in [p, *_children(p)]) / 2**20
        return out


def _children(p: psutil.Process) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        return list(p.children(recursive=True))
    return []


class Sampler:
    """Peak resident memory of each service while a run goes on."""

    def __init__(self, procs: Processes, interval: float = 0.5) -> None:
        self.procs = procs
        self.interval = interval
        self.peak: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, mb in self.procs.rss_mb().items():
                self.peak[name] = max(self.peak.get(name, 0.0), mb)
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_delta(
    before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], seconds: float
) -> dict[str, float]:
    out = {}
    for name, now in after.items():
        old = before.get(name, {})
        used = sum(t - old.get(pid, 0.0) for pid, t in now.items())
        out[name] = round(100 * used / seconds, 1)
    return out


# ---------------------------------------------------------------------------- one run


def _wrk(
    ep: Endpoint, token: str | None, base: str, concurrency: int, seconds: float, workdir: Path
) -> dict[str, Any]:
    """wrk's summary (the Lua ``done`` hook's RESULT line) of one run."""
    script = workdir / f"{abs(hash(ep.name)) % 10**8}.lua"
    script.write_text(lua_script(ep, token), encoding="utf-8")
    threads = min(2, concurrency)
    cmd = [
        shutil.which("wrk") or "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        base,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return result


def _httpx(
    ep: Endpoint, token: str | None, base: str, concurrency: int, seconds: float
) -> dict[str, Any]:
    """The same summary as ``_wrk``'s, from a closed loop of ``concurrency`` keep-alive
    connections in this process (httpx): for a machine without wrk (the smoke run).
    It costs far more CPU per request than wrk, so its figures are not wrk's."""
    headers = {"Accept": "application/json"}
    if ep.auth and token:
        headers["Authorization"] = f"Bearer {token}"
    count = max(len(ep.paths), len(ep.bodies) or 1)
    calls = [
        (ep.paths[i % len(ep.paths)], ep.bodies[i % len(ep.bodies)] if ep.bodies else None)
        for i in range(count)
    ]
    latencies: list[float] = []
    errors = dict.fromkeys(("connect", "read", "write", "status", "timeout"), 0)

    async def load() -> float:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=base, headers=headers, timeout=30, limits=limits
        ) as client:
            started = time.perf_counter()
            deadline = started + seconds

            async def worker(k: int) -> None:
                n = k * max(1, count // concurrency)  # workers start apart in the rotation
                while time.perf_counter() < deadline:
                    path, body = calls[n % count]
                    n += 1
                    t0 = time.perf_counter()
                    try:
                        resp = await client.request(ep.method, path, json=body)
                    except httpx.TimeoutException:
                        errors["timeout"] += 1
                        continue
                    except httpx.ConnectError:
                        errors["connect"] += 1
                        continue
                    except httpx.HTTPError:
                        errors["read"] += 1
                        continue
                    latencies.append(time.perf_counter() - t0)
                    if resp.status_code >= 400:  # as wrk counts "status" errors
                        errors["status"] += 1

            await asyncio.gather(*(worker(k) for k in range(concurrency)))
            return time.perf_counter() - started

    duration = asyncio.run(load())
    ordered = sorted(latencies) or [0.0]

    def us(q: float) -> int:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1e6)

    return {
        "requests": len(latencies),
        "duration_us": round(duration * 1e6),
        **errors,
        "p50_us": us(0.5),
        "p90_us": us(0.9),
        "p99_us": us(0.99),
        "max_us": round(ordered[-1] * 1e6),
    }


def run_load(
    stack: Stack,
    procs: Processes,
    ep: Endpoint,
    token: str | None,
    concurrency: int,
    seconds: float,
    workdir: Path,
    loader: str = "wrk",
) -> Result:
    """One endpoint loaded for ``seconds`` at ``concurrency`` by ``loader`` (wrk or
    httpx), with the CPU each process used meanwhile and the services' peak memory."""
    base = ep.base or stack.gateway_url
    assert base.startswith("http://127.0.0.1:"), base  # loopback only
    # wrk is a child process; the httpx loop runs in this one
    who = resource.RUSAGE_CHILDREN if loader == "wrk" else resource.RUSAGE_SELF
    before = procs.cpu_seconds()
    own_before = resource.getrusage(who)
    started = time.perf_counter()
    with Sampler(procs) as sampler:
        if loader == "wrk":
            r = _wrk(ep, token, base, concurrency, seconds, workdir)
        else:
            r = _httpx(ep, token, base, concurrency, seconds)
    elapsed = time.perf_counter() - started
    own_after = resource.getrusage(who)
    cpu = cpu_delta(before, procs.cpu_seconds(), elapsed)
    own = own_after.ru_utime + own_after.ru_stime - own_before.ru_utime - own_before.ru_stime
    cpu[loader] = round(100 * own / elapsed, 1)
    duration = r["duration_us"] / 1e6
    detail = {k: r[k] for k in ("connect", "read", "write", "status", "timeout") if r[k]}
    return Result(
        endpoint=ep.name,
        concurrency=concurrency,
        seconds=round(duration, 2),
        requests=r["requests"],
        rps=round(r["requests"] / duration, 1),
        p50_ms=round(r["p50_us"] / 1000, 2),
        p90_ms=round(r["p90_us"] / 1000, 2),
        p99_ms=round(r["p99_us"] / 1000, 2),
        max_ms=round(r["max_us"] / 1000, 2),
        errors=sum(detail.values()),
        error_detail=detail,
        cpu=cpu,
        rss_mb={k: round(v, 1) for k, v in sampler.peak.items()},
    )


def probe_error(stack: Stack, ep: Endpoint, token: str | None) -> str:
    """One request of an endpoint that failed under load, to say why."""
    headers = {"Authorization": f"Bearer {token}"} if ep.auth and token else {}
    with httpx.Client(base_url=ep.base or stack.gateway_url, timeout=60) as c:
        resp = c.request(
            ep.method, ep.paths[0], json=ep.bodies[0] if ep.bodies else None, headers=headers
        )
    return f"{resp.status_code} {resp.text[:200]}"


# ---------------------------------------------------------------------------- latency


def single_latency(stack: Stack, m: Manifest, token: str, repeat: int) -> list[dict[str, Any]]:
    group = m.groups[len(m.groups) // 3]["id"]
    trainer = m.trainers[len(m.trainers) // 3]
    week = dt.date.fromisoformat(m.instance_weeks[1])
    sunday = week + dt.timedelta(days=6)
    att = "/api/attendance/api/records"
    year = {"start_date": "2024-09-01", "end_date": "2025-07-31"}
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("stats, a group over the year", f"{att}/stats/", {**year, "group_id": group}),
        ("stats, a trainer over the year", f"{att}/stats/", {**year, "trainer_id": trainer}),
        (
            "student_stats, a group over the year",
            f"{att}/student_stats/",
            {**year, "group_id": group},
        ),
        (
            "report, a group over a month",
            f"{att}/report/",
            {"start_date": "2024-10-01", "end_date": "2024-10-31", "group_id": group},
        ),
        *(
            (
                f"network_stats, the network per {level}, the year",
                f"{att}/network_stats/",
                {"level": level, "academic_year": m.academic_year},
            )
            for level in ("association", "center", "group")
        ),
        (
            "trainer_timetable, a week",
            "/api/schedule/api/instances/trainer_timetable/",
            {"trainer_id": trainer, "start_date": week, "end_date": sunday},
        ),
        (
            "group_timetable, a week",
            "/api/schedule/api/instances/group_timetable/",
            {"group_id": group, "start_date": week, "end_date": sunday},
        ),
        (
            "trainer_timetable, the year",
            "/api/schedule/api/instances/trainer_timetable/",
            {"trainer_id": trainer, **year},
        ),
    ]
    out = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=stack.gateway_url, headers=headers, timeout=60) as c:
        for name, path, params in cases:
            times = []
            size = 0
            for i in range(repeat + 3):
                t0 = time.perf_counter()
                resp = c.get(path, params=params)
                elapsed = (time.perf_counter() - t0) * 1000
                if resp.status_code != 200:
                    raise RuntimeError(f"{name}: {resp.status_code} {resp.text[:300]}")
                if resp.content == b"[]":  # a roll-up of nothing measures nothing
                    raise RuntimeError(f"{name}: no rows (attendance's copies of the network?)")
                size = len(resp.content)
                if i >= 3:  # the first ones warm the caches
                    times.append(elapsed)
            times.sort()
            out.append(
                {
                    "query": name,
                    "median_ms": round(statistics.median(times), 1),
                    "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
                    "bytes": size,
                }
            )
        # A week generated for real: 500 instances and their events in one request.
        made: list[float] = []
        monday = dt.date(2024, 9, 2)  # the first Monday of the year, then each week
        while len(made) < 3 and monday < dt.date(2025, 8, 1):
            t0 = time.perf_counter()
            resp = c.post(
                "/api/schedule/api/instances/generate_for_week/",
                json={"start_date": monday.isoformat(), "academic_year": m.academic_year},
            )
            elapsed = (time.perf_counter() - t0) * 1000
            if resp.status_code != 200:
                raise RuntimeError(f"generate_for_week: {resp.status_code} {resp.text[:300]}")
            if resp.json()["instances"]:
                made.append(elapsed)
            monday += dt.timedelta(weeks=1)
        if made:
            out.append(
                {
                    "query": f"generate_for_week, a new week ({len(made)} weeks)",
                    "median_ms": round(statistics.median(made), 1),
                    "p90_ms": round(max(made), 1),
                    "bytes": 0,
                }
            )
    return out


# ---------------------------------------------------------------------------- report


def fmt_table(results: list[Result], ceilings: dict[int, float]) -> str:
    lines = [
        "| endpoint | c | req/s | p50 ms | p99 ms | errors | of ceiling | busiest processes (% of a core) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        frac = f"{r.ceiling_fraction:.0%}" if r.ceiling_fraction is not None else ""
        busy = ", ".join(
            f"{k} {v:.0f}" for k, v in sorted(r.cpu.items(), key=lambda kv: -kv[1])[:4] if v >= 5
        )
        lines.append(
            f"| {r.endpoint} | {r.concurrency} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
            f"| {r.errors} | {frac} | {busy} |"
        )
    return "\n".join(lines)


def verdicts(
    results: list[Result], latency: list[dict[str, Any]], rss: dict[str, float], scale: str
) -> list[str]:
    out = []
    at32 = {r.endpoint: r for r in results if r.concurrency == 32}
    for r in at32.values():
        ep_target = TARGETS.get(r.endpoint)
        if ep_target is None or r.ceiling_fraction is None:
            continue
        kind, value = ep_target
        if kind == "ceiling":
            ok = r.ceiling_fraction >= value
            out.append(
                f"{'met   ' if ok else 'MISSED'} {r.endpoint}: {r.ceiling_fraction:.0%} of the "
                f"ceiling at c=32 (target {value:.0%})"
            )
        else:
            ok = r.p99_ms < value
            out.append(
                f"{'met   ' if ok else 'MISSED'} {r.endpoint}: p99 {r.p99_ms:.0f} ms at c=32 "
                f"(target < {value:.0f} ms)"
            )
    if results:
        errors = sum(r.errors for r in results)
        out.append(
            f"{'met   ' if not errors else 'MISSED'} no endpoint errors under load ({errors} errors)"
        )
        worst = max(rss.items(), key=lambda kv: kv[1])
        out.append(
            f"{'met   ' if worst[1] <= 250 else 'MISSED'} no service above 250 MB resident "
            f"(largest: {worst[0]} {worst[1]:.0f} MB)"
        )
    if scale == "L":
        for row in latency:
            if row["query"].startswith(("stats, a group", "report, a group", "network_stats")):
                ok = row["median_ms"] < 100
                out.append(
                    f"{'met   ' if ok else 'MISSED'} scale L {row['query']}: median "
                    f"{row['median_ms']:.0f} ms (target < 100 ms)"
                )
    return out


#: issue 18's targets, at concurrency 32
TARGETS: dict[str, tuple[str, float]] = {
    "users/me": ("ceiling", 0.5),
    "rooms list (page_size=20)": ("ceiling", 0.25),
    "centre with rooms and groups": ("ceiling", 0.25),
    "students list": ("ceiling", 0.25),
    "schedule sessions list": ("ceiling", 0.25),
    "exams list": ("ceiling", 0.25),
    "attendance report, a group, a month": ("ceiling", 0.25),
    "attendance stats, a group, the year": ("ceiling", 0.3),
    "trainer_timetable, a week": ("ceiling", 0.3),
    "bulk_create, 30 records": ("p99", 100.0),
}


# ---------------------------------------------------------------------------- main


def login(stack: Stack) -> str:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as c:
        resp = c.post(
            "/api/token/", json={"email": stack.admin_email, "password": stack.admin_password()}
        )
        resp.raise_for_status()
        return str(resp.json()["access"])


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{psutil.cpu_count(logical=True)} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"load average before the run {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )


def measure(stack: Stack, m: Manifest, args: argparse.Namespace) -> dict[str, Any]:
    if args.loader == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk (or --loader httpx)")
    with httpx.Client(timeout=10) as c:
        probe = c.get(stack.gateway_url + CEILING_PATH)
    if probe.status_code != 200:
        raise SystemExit(
            f"{CEILING_PATH} answers {probe.status_code}: the stack in this folder was not "
            "started by bench/ (its gateway lacks the ceiling route); stop it and rerun"
        )
    token = login(stack)
    procs = Processes(stack)
    eps = endpoints(m, stack)
    if args.only:
        wanted = [w.strip().lower() for w in args.only.split(",")]
        eps = [e for e in eps if any(w in e.name.lower() for w in wanted)]
    top = ceiling()
    workdir = Path(tempfile.mkdtemp(prefix="entraide-wrk-"))
    results: list[Result] = []
    ceilings: dict[int, float] = {}
    started = time.perf_counter()
    about = machine()
    say(about)

    def quiet() -> None:
        asyncio.run(settle(stack, "waiting for idle outboxes and consumers", limit=900))

    def one(ep: Endpoint, c: int, seconds: float) -> Result:
        quiet()
        r = run_load(stack, procs, ep, token, c, seconds, workdir, args.loader)
        if r.errors:
            r.note = probe_error(stack, ep, token)
        say(
            f"  {ep.name:<46} c={c:<3} {r.rps:>8,.1f} req/s  p50 {r.p50_ms:7.1f} ms  "
            f"p99 {r.p99_ms:7.1f} ms  errors {r.errors}"
            + (f" ({r.error_detail}; {r.note})" if r.errors else "")
        )
        return r

    ceiling_runs: list[Result] = []
    if not args.latency_only:
        say(f"warming up ({args.warmup:g} s each) ...")
        for ep in [top, *eps]:
            run_load(stack, procs, ep, token, 8, args.warmup, workdir, args.loader)
        for c in args.concurrency:
            say(
                f"concurrency {c}: {args.seconds:g} s each, the ceiling ({args.ceiling_seconds:g} s)"
                " before and after each"
            )
            before = one(top, c, args.ceiling_seconds)
            ceiling_runs.append(before)
            for ep in eps:
                r = one(ep, c, args.seconds)
                after = one(top, c, args.ceiling_seconds)
                ceiling_runs.append(after)
                # Paired with the ceiling measured just around it: the machine is shared.
                r.ceiling_fraction = r.rps / ((before.rps + after.rps) / 2)
                results.append(r)
                before = after
            runs = sorted((x for x in ceiling_runs if x.concurrency == c), key=lambda x: x.rps)
            middle = runs[len(runs) // 2]
            ceilings[c] = middle.rps
            summary = Result(**asdict(middle))
            summary.endpoint = f"{top.name} (median of {len(runs)} runs: {runs[0].rps:,.0f} to {runs[-1].rps:,.0f})"
            summary.ceiling_fraction = 1.0
            results.insert(len(results) - len(eps), summary)
        quiet()
        without = one(bare(stack), max(args.concurrency), args.seconds)
        without.ceiling_fraction = without.rps / ceilings[max(args.concurrency)]
        results.append(without)
    say(f"single requests ({args.repeat} each) ...")
    quiet()
    latency = single_latency(stack, m, token, args.repeat)
    rss: dict[str, float] = {}
    for r in results:
        for k, v in r.rss_mb.items():
            rss[k] = max(rss.get(k, 0.0), v)
    return {
        "scale": m.scale,
        "loader": args.loader,
        "endpoints": [ep.name for ep in eps],
        "concurrency": args.concurrency,
        "latency_only": args.latency_only,
        "machine": about,
        "seconds_per_run": args.seconds,
        "minutes": round((time.perf_counter() - started) / 60, 1),
        "ceilings": ceilings,
        "ceiling_runs": [asdict(r) for r in ceiling_runs],
        "results": [asdict(r) for r in results],
        "latency": latency,
        "rss_mb": {k: round(v) for k, v in sorted(rss.items())},
        "counts": m.counts,
    }


def report(out: dict[str, Any]) -> str:
    results = [Result(**r) for r in out["results"]]
    counts = out["counts"]
    lines = [
        f"scale {out['scale']}: {counts.get('attendance.attendance_records', 0):,} attendance "
        f"records, {counts.get('students.students', 0):,} students; {out['machine']}; "
        + (f"{out['seconds_per_run']:g} s per run by {out['loader']}, " if results else "")
        + f"{out['minutes']} min in all",
        "",
    ]
    if results:
        lines += [fmt_table(results, out["ceilings"]), ""]
    lines += ["| single request, through the gateway | median ms | p90 ms |", "|---|---:|---:|"]
    for row in out["latency"]:
        lines.append(f"| {row['query']} | {row['median_ms']:.1f} | {row['p90_ms']:.1f} |")
    if results:
        lines += ["", "| service | peak resident MB under load |", "|---|---:|"]
        lines += [f"| {k} | {v} |" for k, v in out["rss_mb"].items()]
    lines += ["", *verdicts(results, out["latency"], out["rss_mb"], out["scale"])]
    return "\n".join(lines)


def problems(out: dict[str, Any]) -> list[str]:
    """What makes a run's figures unusable: a failed request, a figure missing."""
    found = []
    results = [Result(**r) for r in out["results"]]
    if not out["latency_only"]:
        measured = {(r.endpoint, r.concurrency) for r in results}
        for name in out["endpoints"]:
            for c in out["concurrency"]:
                if (name, c) not in measured:
                    found.append(f"{name} at c={c}: not measured")
        for r in results:
            if r.requests == 0 or r.rps <= 0 or r.p50_ms <= 0:
                found.append(f"{r.endpoint} at c={r.concurrency}: no request answered")
            if r.errors:
                found.append(
                    f"{r.endpoint} at c={r.concurrency}: {r.errors} errors {r.error_detail} "
                    f"{r.note}"
                )
        if not out["ceilings"]:
            found.append("no ceiling measured")
    queries = [row["query"] for row in out["latency"]]
    if len(queries) < 8 or not any(q.startswith("generate_for_week") for q in queries):
        found.append(f"single requests: only {queries}")
    found += [f"{row['query']}: no time" for row in out["latency"] if row["median_ms"] <= 0]
    return found


def main(argv: Any = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, help="default: a new temporary folder")
    parser.add_argument("--scale", choices=sorted(SCALES), default="S", help="when seeding")
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint and concurrency")
    parser.add_argument("--warmup", type=float, default=2.0, help="per endpoint, once")
    parser.add_argument(
        "--ceiling-seconds", type=float, default=4.0, help="each ceiling run (one per endpoint)"
    )
    parser.add_argument(
        "--latency-only", action="store_true", help="single-request latency only (scale L)"
    )
    parser.add_argument(
        "--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[8, 32]
    )
    parser.add_argument("--only", help="comma-separated parts of endpoint names")
    parser.add_argument("--repeat", type=int, default=50, help="single requests per query")
    parser.add_argument(
        "--keep-running", action="store_true", help="leave the stack running when done"
    )
    parser.add_argument(
        "--loader",
        choices=["wrk", "httpx", "auto"],
        help="what makes the load (default wrk; with --smoke, auto: wrk when installed)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI's run: scale XS, users/me and rooms list, 2 s at c=4, 3 single requests",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.scale = "XS"
        args.seconds, args.warmup, args.ceiling_seconds = 2.0, 0.5, 1.0
        args.concurrency, args.repeat = [4], 3
        args.only = args.only or "users/me,rooms list"
        args.loader = args.loader or "auto"
    args.loader = args.loader or "wrk"
    if args.loader == "auto":
        args.loader = "wrk" if shutil.which("wrk") else "httpx"
    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="entraide-bench-"))).absolute()
    with bench_stack(data_dir, keep_running=args.keep_running) as stack:
        m = Manifest.load(data_dir)
        if m is None:
            m = asyncio.run(seed(stack, SCALES[args.scale]))
            m.save(data_dir)
        out = measure(stack, m, args)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = data_dir / f"results-{m.scale}-{stamp}.json"
    path.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(report(out))
    print(f"\n(results in {path})")
    print(
        f"reproduce: .venv/bin/python bench/seed.py --scale {m.scale} --data-dir DIR && "
        f".venv/bin/python bench/run.py --data-dir DIR"
    )
    found = problems(out)
    if found:
        print("\nFAILED:\n  " + "\n  ".join(found))
        raise SystemExit(1)
    print("\nchecks passed: every request answered without error, every figure present")


if __name__ == "__main__":
    main()
