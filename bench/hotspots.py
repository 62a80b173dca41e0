"""Where one endpoint's CPU goes: wrk loads it through the gateway while py-spy
samples the service that answers it.

    .venv/bin/python bench/hotspots.py --data-dir DIR --only "rooms list" [--seconds 10]
                                      [--concurrency 8] [--top 30] [--native]

On the stack seeded in ``DIR`` (bench/seed.py; started there unless it is
running), for each endpoint of bench/run.py whose name contains one of
``--only``: py-spy (from requirements-dev.txt) records the serving service's
process for ``--seconds`` under wrk's load and writes ``DIR/profile-<name>.txt``
(collapsed stacks, for flamegraph tools or speedscope) and prints the service's
CPU time per request (a figure that a busy machine disturbs far less than
requests per second), where it goes by package, and the functions
with the most samples, inclusive (on the stack at all) and exclusive (at the
top of it), as shares of all samples. py-spy leaves idle samples out (the
event loop waiting), so shares are of the CPU the process used.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import psutil
from run import SERVICE_OF, Endpoint, _wrk, endpoints, login
from seed import Manifest, bench_stack, say, settle

from entraide_stack import Stack
from entraide_stack.embedded import Process


def service_pid(stack: Stack, name: str) -> int:
    pid_file = stack.config.run_dir / f"{name}.pid"
    pid = Process(name, [], log_file=stack.log_file(name), pid_file=pid_file).pid
    if pid is None:
        raise SystemExit(f"{name} is not running")
    return pid


def cpu_seconds(proc: psutil.Process) -> float:
    """CPU time of a service's process and its workers."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        t = p.cpu_times()
        total += t.user + t.system
    return total


def serving(ep: Endpoint) -> str:
    path = ep.paths[0]
    for prefix, name in SERVICE_OF:
        if path.startswith(prefix):
            return name
    raise SystemExit(f"no service known for {path}")


def package_of(frame: str) -> str:
    """``fn (pkg/mod.py:12)`` -> ``pkg`` (the standard library's modules by name)."""
    where = frame.rpartition(" (")[2].rstrip(")")
    path = where.rpartition(":")[0]
    head = path.split("/")[0]
    if head.endswith(".py") or head.startswith("<"):
        return "python: " + (head.removesuffix(".py") or "?")
    return head


def by_package(exclusive: collections.Counter[str]) -> collections.Counter[str]:
    out: collections.Counter[str] = collections.Counter()
    for frame, n in exclusive.items():
        out[package_of(frame)] += n
    return out


def summarize(collapsed: Path, top: int) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    exclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        count = int(count_text)
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        exclusive[frames[-1]] += count
    if not total:
        return "no samples"
    out = [f"{total} samples", "", "exclusive, by package (where the CPU goes):"]
    out += [f"  {n / total:6.1%}  {pkg}" for pkg, n in by_package(exclusive).most_common()]
    out += ["", "inclusive (on the stack; coroutines resumed in a greenlet start their own):"]
    out += [f"  {n / total:6.1%}  {f}" for f, n in inclusive.most_common(top)]
    out += ["", "exclusive (running):"]
    out += [f"  {n / total:6.1%}  {f}" for f, n in exclusive.most_common(top)]
    return "\n".join(out)


def profile(stack: Stack, ep: Endpoint, token: str, args: argparse.Namespace, workdir: Path) -> str:
    name = serving(ep)
    pid = service_pid(stack, name)
    slug = "".join(c if c.isalnum() else "-" for c in ep.name).strip("-")
    out = args.data_dir / f"profile-{slug}.txt"
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    cmd = [spy, "record", "--pid", str(pid), "--duration", str(round(args.seconds))]
    cmd += ["--format", "raw", "--output", str(out), "--rate", "250", "--nonblocking"]
    cmd.append("--subprocesses")  # uvicorn's workers (ENTRAIDE_WORKERS above 1)
    if args.native:
        cmd.append("--native")
    result: dict[str, Any] = {}

    def load() -> None:
        result.update(
            _wrk(ep, token, stack.gateway_url, args.concurrency, args.seconds + 1, workdir)
        )

    proc = psutil.Process(pid)
    before = cpu_seconds(proc)
    loader = threading.Thread(target=load)
    loader.start()
    subprocess.run(cmd, check=True, capture_output=True)
    loader.join()
    used = cpu_seconds(proc) - before
    requests = max(result.get("requests", 0), 1)
    rps = requests / max(result.get("duration_us", 1) / 1e6, 1e-9)
    head = (
        f"## {ep.name} ({name}, pid {pid}): {rps:,.0f} req/s at c={args.concurrency}, "
        f"{1000 * used / requests:.2f} ms of the service's CPU per request"
    )
    return f"{head}\n(collapsed stacks in {out})\n{summarize(out, args.top)}\n"


def main(argv: Any = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="a seeded folder")
    parser.add_argument("--only", required=True, help="comma-separated parts of endpoint names")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--native", action="store_true", help="C frames too (slower)")
    args = parser.parse_args(argv)
    args.data_dir = args.data_dir.absolute()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    with bench_stack(args.data_dir) as stack:
        m = Manifest.load(args.data_dir)
        if m is None:
            raise SystemExit(f"{args.data_dir} is not seeded: bench/seed.py --data-dir ...")
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        chosen = [ep for ep in endpoints(m, stack) if any(w in ep.name for w in wanted)]
        if not chosen:
            raise SystemExit(f"no endpoint matches {args.only}")
        token = login(stack)
        asyncio.run(settle(stack))
        with tempfile.TemporaryDirectory() as tmp:
            for ep in chosen:
                say(f"profiling {ep.name} ...")
                print(profile(stack, ep, token, args, Path(tmp)), flush=True)


if __name__ == "__main__":
    main()
