"""Reading what a service published, in tests that go through NATS."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
from nats.js.errors import NotFoundError

from entraide_kit.events.envelope import STREAM


async def last_seq(js: Any, stream: str = STREAM) -> int:
    """The stream's last sequence number: what a test publishes comes after it."""
    info = await js.stream_info(stream)
    return int(info.state.last_seq)


async def last_event(
    js: Any,
    subject: str,
    *,
    since: int = 0,
    until: Callable[[dict[str, Any]], bool] = lambda event: True,
    stream: str = STREAM,
    within: float = 30.0,
) -> Any:
    """The subject's last message once it was published after ``since`` and its
    event passes ``until`` (the relay publishes after the commit; record ids
    start again in every test, so older messages of the same subject may be
    there). The raw message (``.data``, ``.headers``, ``.seq``); ``event(msg)``
    is its event."""
    deadline = time.monotonic() + within
    while True:
        try:
            msg = await js.get_last_msg(stream, subject)
            if (msg.seq or 0) > since and until(orjson.loads(msg.data)):
                return msg
        except NotFoundError:
            pass
        assert time.monotonic() < deadline, f"nothing on {subject} in {within}s"
        await asyncio.sleep(0.1)


def event(msg: Any) -> dict[str, Any]:
    """A message's event (its JSON envelope)."""
    found: dict[str, Any] = orjson.loads(msg.data)
    return found
