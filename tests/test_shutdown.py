"""A service stops within ENTRAIDE_SHUTDOWN_TIMEOUT (10 s) of SIGTERM whatever NATS or
PostgreSQL are doing, and no event is lost (issue 21).

Real service processes started by the launcher's classes, the embedded NATS and
PostgreSQL. The 10 s bound is the requirement itself, measured from the signal to
the process's end; what follows a restart is waited for on conditions, with
deadlines that hold on a loaded machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest

from entraide_stack import Stack, StackConfig
from entraide_stack.embedded import Process
from entraide_stack.registry import service

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM and SIGSTOP")

#: the requirement: from SIGTERM to the process's end
DEADLINE = 10.0
#: events after a restart (reconnects, the relay's backoff, a loaded machine)
PROPAGATION = 60.0


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    config = StackConfig.for_tests(
        tmp_path / "stack",
        services=["auth", "centers"],
        start_docs=False,
        start_gateway=False,
    )
    running = Stack(config).start()
    try:
        yield running
    finally:
        _resume_all(running)
        running.stop()


# ------------------------------------------------------------------ helpers


def _wait_until(check: Callable[[], Any], what: str, timeout: float = PROPAGATION) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            last = check()
            if last:
                return last
        time.sleep(0.2)
    raise AssertionError(f"{what}: not after {timeout:.0f}s (last: {last!r})")


def _query(stack: Stack, name: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        params = stack.postgres.connect_params(service(name).database_name)
        conn = await asyncpg.connect(**params, timeout=10)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close(timeout=5)

    return asyncio.run(run())


def _pending(stack: Stack, name: str) -> int:
    rows = _query(stack, name, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
    return int(rows[0][0])


def _copied_first_name(stack: Stack, name: str, user_id: int) -> str | None:
    rows = _query(stack, name, "SELECT first_name FROM user_copies WHERE id = $1", user_id)
    return rows[0][0] if rows else None


def _admin(stack: Stack) -> tuple[dict[str, str], int]:
    auth = stack.service_url("auth")
    resp = httpx.post(
        f"{auth}/api/token/",
        json={"email": stack.admin_email, "password": stack.admin_password()},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    headers = {"Authorization": f"Bearer {resp.json()['access']}"}
    me = httpx.get(f"{auth}/api/accounts/users/me/", headers=headers, timeout=30)
    assert me.status_code == 200, me.text
    return headers, int(me.json()["id"])


def _rename(stack: Stack, headers: dict[str, str], user_id: int, first_name: str) -> None:
    resp = httpx.patch(
        f"{stack.service_url('auth')}/api/accounts/users/{user_id}/",
        json={"first_name": first_name},
        headers=headers,
        timeout=30,
    )
    assert resp.status_code == 200, resp.text


def _service_pid(stack: Stack, name: str) -> int:
    proc = Process(
        name, [], log_file=stack.log_file(name), pid_file=stack.config.run_dir / f"{name}.pid"
    )
    pid = proc.pid
    assert pid is not None and proc.is_running(), f"{name} is not running"
    return pid


def _sigterm_and_time(stack: Stack, name: str) -> float:
    """Seconds from SIGTERM to the end of service ``name``'s process."""
    pid = _service_pid(stack, name)
    process = psutil.Process(pid)
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    try:
        process.wait(timeout=3 * DEADLINE)
    except psutil.TimeoutExpired:
        process.kill()
        pytest.fail(f"{name} still running {3 * DEADLINE:.0f}s after SIGTERM")
    elapsed = time.monotonic() - started
    print(f"{name} exited {elapsed:.2f}s after SIGTERM")
    return elapsed


def _restart(stack: Stack, name: str) -> None:
    proc = stack.service_process(service(name))
    proc.start(reuse=False)
    proc.wait_http_ok(f"{stack.service_url(name)}/readyz", stack.config.startup_timeout)


def _pg_processes(stack: Stack) -> list[psutil.Process]:
    pid = stack.postgres.postmaster_pid()
    assert pid is not None
    postmaster = psutil.Process(pid)
    return [postmaster, *postmaster.children(recursive=True)]


def _freeze(processes: list[psutil.Process]) -> None:
    for p in processes:
        with contextlib.suppress(psutil.Error):
            p.suspend()


def _resume_all(stack: Stack) -> None:
    """SIGCONT whatever a test froze (a frozen server never stops)."""
    pids: list[int] = []
    with contextlib.suppress(Exception):
        pids += [p.pid for p in _pg_processes(stack)]
    with contextlib.suppress(Exception):
        nats_pid = stack.nats.process.pid
        if nats_pid is not None:
            pids.append(nats_pid)
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).resume()


# ------------------------------------------------------------------ tests


def test_stopped_nats_or_postgres_never_hold_a_stop_and_no_event_is_lost(stack: Stack) -> None:
    headers, admin_id = _admin(stack)
    # Events flow: centers holds a copy of the admin.
    _rename(stack, headers, admin_id, "Avant")
    _wait_until(lambda: _copied_first_name(stack, "centers", admin_id) == "Avant", "copy before")

    # NATS stopped: auth's write lands in its outbox, and auth stops in time.
    stack.nats.stop()
    _rename(stack, headers, admin_id, "Pendant")
    assert _pending(stack, "auth") >= 1
    elapsed = _sigterm_and_time(stack, "auth")
    assert elapsed < DEADLINE, f"auth took {elapsed:.2f}s to stop with NATS stopped"
    assert _pending(stack, "auth") >= 1, "the unsent event stays in the outbox"

    # PostgreSQL stopped (NATS back): centers stops in time.
    stack.nats.start()
    stack.postgres.stop()
    elapsed = _sigterm_and_time(stack, "centers")
    assert elapsed < DEADLINE, f"centers took {elapsed:.2f}s to stop with PostgreSQL stopped"

    # Everything back: the write made while NATS was down reaches centers' copy.
    stack.postgres.start()
    _restart(stack, "centers")
    _restart(stack, "auth")
    _wait_until(lambda: _pending(stack, "auth") == 0, "auth's outbox sent")
    _wait_until(
        lambda: _copied_first_name(stack, "centers", admin_id) == "Pendant",
        "the write made while NATS was down copied by centers",
    )


def test_frozen_servers_and_an_open_request_never_hold_a_stop(stack: Stack) -> None:
    """Servers that accept nothing and answer nothing (SIGSTOP: a partition, a hung
    host), a request open on the frozen database: SIGTERM still ends it in time, the
    request cut at its share of the deadline; nothing is lost once they thaw."""
    headers, admin_id = _admin(stack)
    _rename(stack, headers, admin_id, "Avant")
    _wait_until(lambda: _copied_first_name(stack, "centers", admin_id) == "Avant", "copy before")

    # NATS frozen: auth's write waits in its outbox; PostgreSQL frozen then, with a
    # request of centers open on it.
    nats_pid = stack.nats.process.pid
    assert nats_pid is not None
    nats = psutil.Process(nats_pid)
    nats.suspend()
    _rename(stack, headers, admin_id, "Gel")
    pg = _pg_processes(stack)
    _freeze(pg)
    centers_url = stack.service_url("centers")

    def request() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"{centers_url}/api/centers-app/centers/", headers=headers, timeout=60)

    threading.Thread(target=request, daemon=True).start()
    centers = psutil.Process(_service_pid(stack, "centers"))
    port = stack.config.service_ports["centers"]
    _wait_until(
        lambda: any(
            c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED
            for c in centers.net_connections(kind="tcp")
        ),
        "the request open on centers",
        timeout=30,
    )

    for name in ("centers", "auth"):
        elapsed = _sigterm_and_time(stack, name)
        assert elapsed < DEADLINE, f"{name} took {elapsed:.2f}s to stop with frozen servers"

    for p in pg:
        with contextlib.suppress(psutil.Error):
            p.resume()
    nats.resume()
    _restart(stack, "centers")
    _restart(stack, "auth")
    _wait_until(lambda: _pending(stack, "auth") == 0, "auth's outbox sent")
    _wait_until(
        lambda: _copied_first_name(stack, "centers", admin_id) == "Gel",
        "the write made while NATS was frozen copied by centers",
    )
