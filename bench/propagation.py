"""Commit-to-copy lag of the events backbone under a steady write load.

    .venv/bin/python bench/propagation.py [--rate 100] [--seconds 20] [--users 400]
    .venv/bin/python bench/propagation.py --smoke    # 20 writes/s for 3 s over 20 users (CI)

Starts its own embedded PostgreSQL and NATS in a temporary folder, runs the
auth service in this process (writes go through its service layer and
outbox, as a PATCH would) and the probe consumer service in another process
(as a real consuming service runs), writes ``--rate`` user changes a second
round-robin over ``--users`` users for ``--seconds``, and reports the lag
from each change's outbox write (inside the committing transaction) to its
copy being applied in the consumer's database: p50, p99, max. Then it
checks that every user's copy holds its last version (no write lost on the
way) and exits 1 when one does not, or when no lag was observed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from auth_service import events, repository
from auth_service.config import AuthSettings
from auth_service.main import build_app
from auth_service.tokens import generate_private_key_pem
from entraide_kit.db import Database
from entraide_stack.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from entraide_stack.testing import create_database


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _versions(db: Database, sql: str) -> dict[int, int]:
    try:
        async with db.session() as s:
            return {int(uid): int(version) for uid, version in await s.execute(text(sql))}
    except Exception:  # the consumer has not migrated its tables yet
        return {}


async def wait_copies(auth: Database, probe: Database, limit: float) -> dict[int, int]:
    """Users whose copy lacks their last version after at most ``limit`` seconds
    (empty: every copy caught up)."""
    deadline = time.monotonic() + limit
    while True:
        source = await _versions(auth, "SELECT id, version FROM users")
        copies = await _versions(probe, "SELECT id, version FROM user_copies")
        behind = {uid: v for uid, v in source.items() if copies.get(uid) != v}
        if not behind or time.monotonic() > deadline:
            return behind
        await asyncio.sleep(0.2)


async def run(rate: int, seconds: int, users: int) -> list[str]:
    """Run the benchmark, print its figures; returns what went wrong (empty: nothing)."""
    problems: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="entraide-bench-"))
    pg = EmbeddedPostgres(
        root / "pg", free_port(), password_file=root / "pw", log_file=root / "pg.log"
    )
    nats = EmbeddedNats(root / "nats", free_port(), free_port(), log_file=root / "nats.log")
    pg.start()
    nats.start()
    consumer: subprocess.Popen[bytes] | None = None
    try:
        auth_url = await create_database(pg.url(), "auth")
        probe_url = await create_database(pg.url(), "probe")
        settings = AuthSettings(
            database_url=auth_url,
            nats_url=nats.url,
            private_key=generate_private_key_pem().decode(),
            environment="test",
            log_json=False,
            log_level="WARNING",
        )
        app = build_app(settings)
        async with app.router.lifespan_context(app):
            db: Database = app.state.db
            ids: list[int] = []
            async with db.session() as s, s.begin():
                for i in range(users):
                    values = {
                        "email": f"b{i}@e.ma",
                        "username": f"b{i}",
                        "password": "x",
                        "role": "student",
                    }
                    user = await repository.add_user(s, values=values)
                    await events.user_changed(s, user)
                    ids.append(int(user.id or 0))
            consumer = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "entraide_stack.testing.probe",
                    "--database-url",
                    probe_url,
                    "--nats-url",
                    nats.url,
                ],
            )
            probe = Database(probe_url, pool_size=2, max_overflow=0)
            lags: dict[tuple[int, int], float] = {}

            async def collect() -> None:
                while True:
                    try:
                        async with probe.session() as s:
                            rows = await s.execute(
                                text(
                                    "SELECT id, version, "
                                    "extract(epoch FROM copied_at - occurred_at) "
                                    "FROM user_copies WHERE occurred_at IS NOT NULL"
                                )
                            )
                            for uid, version, lag in rows:
                                lags.setdefault((uid, version), float(lag))
                    except Exception:  # tables not migrated yet by the consumer
                        pass
                    await asyncio.sleep(0.05)

            collector = asyncio.create_task(collect())
            # The consumer starts (imports, migrations) and catches up with the initial users.
            behind = await wait_copies(db, probe, 120)
            if behind:
                raise RuntimeError(f"the consumer did not copy {len(behind)} of {users} users")
            warmup = set(lags)
            interval = 1.0 / rate
            started = time.perf_counter()
            writes = 0
            while time.perf_counter() - started < seconds:
                target = started + writes * interval
                delay = target - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                uid = ids[writes % len(ids)]
                async with db.session() as s, s.begin():
                    found = await repository.get_user(s, user_id=uid, for_update=True)
                    if found is None:
                        raise RuntimeError(f"user {uid} vanished")
                    changed = await repository.update_user(
                        s, user=found, values={"city": f"c{writes}"}
                    )
                    await events.user_changed(s, changed)
                writes += 1
            achieved = writes / (time.perf_counter() - started)
            await asyncio.sleep(3)
            behind = await wait_copies(db, probe, 30)
            collector.cancel()
            await probe.dispose()
        measured = [lag for key, lag in lags.items() if key not in warmup]
        missing = writes - len(measured)
        print(f"propagation: {writes} writes at {achieved:.0f}/s over {seconds}s, {users} users")
        if measured:
            print(
                f"  commit-to-copy lag: p50 {percentile(measured, 0.5) * 1000:.1f} ms, "
                f"p99 {percentile(measured, 0.99) * 1000:.1f} ms, "
                f"max {max(measured) * 1000:.1f} ms, "
                f"mean {statistics.mean(measured) * 1000:.1f} ms ({len(measured)} copies observed, "
                f"{max(missing, 0)} overwritten before sampling)"
            )
        else:
            problems.append("no commit-to-copy lag observed")
        if behind:
            uid = next(iter(behind))
            problems.append(
                f"{len(behind)} users' copies lack their last version 30 s after the last "
                f"write (user {uid}: version {behind[uid]})"
            )
        else:
            print(f"  every copy holds its user's last version ({users} users)")
        print(
            "  reproduce: .venv/bin/python bench/propagation.py "
            f"--rate {rate} --seconds {seconds} --users {users}"
        )
    finally:
        if consumer is not None:
            consumer.kill()
            consumer.wait()
        nats.stop()
        pg.stop()
    return problems


def main(argv: Any = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=100, help="writes per second")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument(
        "--smoke", action="store_true", help="a few seconds: 20 writes/s for 3 s, 20 users"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.rate, args.seconds, args.users = 20, 3, 20
    problems = asyncio.run(run(args.rate, args.seconds, args.users))
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
