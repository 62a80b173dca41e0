"""Bounded shutdown: each step of a service's teardown ends by a deadline.

A service stops within ``ENTRAIDE_SHUTDOWN_TIMEOUT`` of SIGTERM whatever NATS or
PostgreSQL are doing (``settings.shutdown_budget``): open requests get the first
part (uvicorn's ``--timeout-graceful-shutdown``), the lifespan's teardown the
rest, and each of its steps is bounded here rather than trusted to return.

Why a cancelled task may go on running: Python 3.11's ``asyncio.wait_for`` drops
a cancellation that arrives in the loop iteration where what it waits for
completes (CPython gh-86296, fixed in 3.12), and nats-py waits with it (a pull
subscription's ``fetch``, a request). A consumer cancelled while its messages
flowed in went on fetching, and its app's shutdown waited for it forever. So the
long-running loops look at ``raise_if_cancelled()`` on every turn, and
``stop_tasks`` cancels again until the task ends or the deadline passes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterable
from typing import Any

log = logging.getLogger("entraide.shutdown")


class Deadline:
    """A point in time the remaining steps share: ``left(cap)`` is a step's timeout."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def left(self, cap: float | None = None, *, floor: float = 0.05) -> float:
        """Seconds to the deadline (at least ``floor``: a late step still gets a try),
        at most ``cap``."""
        left = max(self.at - time.monotonic(), floor)
        return left if cap is None else min(left, cap)


def shutdown_deadline(app: Any) -> Deadline:
    """The deadline of an app's running teardown (``create_app``'s lifespan sets it as
    it begins; a lifespan hook bounds its own closing with it)."""
    deadline: Deadline | None = getattr(app.state, "shutdown_deadline", None)
    if deadline is None:  # a start that failed, or an app of a test
        deadline = app.state.shutdown_deadline = Deadline(app.state.settings.teardown_timeout)
    return deadline


def raise_if_cancelled() -> None:
    """Raise ``CancelledError`` when the current task was asked to stop, even if a
    library swallowed the cancellation on its way (see the module's docstring)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def stop_tasks(
    tasks: Iterable[asyncio.Task[Any]], within: float, *, what: str, again: float = 0.25
) -> bool:
    """Cancel ``tasks`` and wait at most ``within`` seconds for them to end, cancelling
    again every ``again`` seconds (a cancellation can be lost, see above). False, with
    a warning, when one is still running at the deadline: it is left behind."""
    tasks = list(tasks)
    pending = {t for t in tasks if not t.done()}
    deadline = time.monotonic() + within
    while pending:
        for task in pending:
            task.cancel()
        left = deadline - time.monotonic()
        if left <= 0:
            break
        _, pending = await asyncio.wait(pending, timeout=min(left, again))
    for task in tasks:
        if task.done() and not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("%s ended with %r", what, exc)
    if pending:
        names = ", ".join(sorted(t.get_name() for t in pending))
        log.warning("%s still running after %.1fs, left behind: %s", what, within, names)
    return not pending


async def bounded(step: Awaitable[Any], within: float, *, what: str) -> bool:
    """Await ``step`` for at most ``within`` seconds; past it, cancel it and go on.

    Unlike ``asyncio.wait_for``, it never waits for the cancelled step to finish
    (a step stuck on a socket nobody answers would hold the shutdown). False, with
    a warning, when the step failed or was cut."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=within)
    if not done:
        log.warning("%s did not finish in %.1fs: cut", what, within)
        await stop_tasks([task], 0.2, what=what)
        return False
    if task.cancelled():
        return False
    if (exc := task.exception()) is not None:
        log.warning("%s failed: %r", what, exc)
        return False
    return True
