"""One service's own cost per request, in process: no server, no client, no gateway.

    .venv/bin/python bench/inprocess.py --data-dir DIR --service centers \\
        --path "/api/centers-app/rooms/?page=2" [--path ...] [-n 500] [--profile]

Against the stack running in DIR (bench/seed.py or bench/run.py --keep-running
left it up), the service's app is built in this process with the stack's
settings (its events off), and each path is called ``-n`` times straight
through its ASGI interface as the admin: the CPU time per request is the
app's alone (middleware, dependencies, statements, answer), steadier on a busy
machine than requests per second through the gateway. ``--profile`` adds
cProfile's self time by package and its top functions (2-3x slower, the
shares are what count). Used for issue 18's before/after figures (README).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import io
import logging
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from entraide_stack import Stack


def stack_env(data_dir: Path, service: str) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "entraide_stack", "env", service],
        env={**os.environ, "ENTRAIDE_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = value
    return env


async def call(app: Any, path: str, token: str) -> int:
    """One GET through the app's ASGI interface; its status."""
    bare, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": bare,
        "raw_path": bare.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"accept", b"application/json"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def by_package(stats: pstats.Stats, calls: int, top: int) -> str:
    shares: dict[str, float] = {}
    total = 0.0
    for (filename, _line, fn), row in stats.stats.items():  # type: ignore[attr-defined]
        own = row[2]
        if "site-packages/" in filename:
            package = filename.split("site-packages/")[1].split("/")[0]
        elif "/src/" in filename:
            package = filename.split("/src/")[1].split("/")[0]
        elif filename == "~":
            package = "builtin " + (fn.split("'")[1] if "'" in fn else fn)
        else:
            package = "stdlib " + Path(filename).stem
        shares[package] = shares.get(package, 0.0) + own
        total += own
    lines = [f"self time by package ({1000 * total / calls:.2f} ms a request under cProfile):"]
    for package, own in sorted(shares.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {own / total:6.1%}  {package}")
    return "\n".join(lines)


async def main(argv: Any = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="a running bench stack")
    parser.add_argument("--service", required=True)
    parser.add_argument("--path", action="append", required=True, help="a GET path, repeatable")
    parser.add_argument("-n", type=int, default=500, help="requests per path")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    stack = Stack.from_state(args.data_dir.absolute())
    if stack is None or not stack.is_running():
        raise SystemExit(f"no stack runs in {args.data_dir} (bench/run.py --keep-running)")
    os.environ.update(stack_env(args.data_dir, args.service))
    os.environ["ENTRAIDE_EVENTS_ENABLED"] = "false"
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        resp = await client.post(
            "/api/token/", json={"email": stack.admin_email, "password": stack.admin_password()}
        )
        resp.raise_for_status()
        token = resp.json()["access"]
    app = importlib.import_module(f"{args.service}_service.main").build_app()
    async with LifespanManager(app):
        logging.getLogger().setLevel(logging.WARNING)  # not the access log: it is a cost
        logging.getLogger("entraide.access").setLevel(logging.INFO)
        for path in args.path:
            for _ in range(50):
                status = await call(app, path, token)
                if status != 200:
                    raise SystemExit(f"{path}: {status}")
            profiler = cProfile.Profile() if args.profile else None
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            for _ in range(args.n):
                await call(app, path, token)
            if profiler is not None:
                profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            print(
                f"{path}: {1000 * cpu / args.n:.3f} ms of CPU, {1000 * wall / args.n:.3f} ms "
                f"of wall time a request ({args.n} requests)",
                flush=True,
            )
            if profiler is not None:
                stats = pstats.Stats(profiler)
                print(by_package(stats, args.n, args.top))
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
                print(out.getvalue())


if __name__ == "__main__":
    asyncio.run(main())
