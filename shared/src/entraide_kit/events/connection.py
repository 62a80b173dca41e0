"""One NATS connection per process that reconnects forever, and the streams."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from .envelope import DLQ_PREFIX, DLQ_STREAM, STREAM, SUBJECT_PREFIX

log = logging.getLogger("entraide.events")


def stream_configs(replicas: int = 1) -> list[StreamConfig]:
    return [
        # A compacted log of current state: the last message of every subject is
        # kept, so a new or wiped consumer rebuilds its copies by replaying it.
        StreamConfig(
            name=STREAM,
            subjects=[f"{SUBJECT_PREFIX}.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            max_msgs_per_subject=1,
            duplicate_window=120.0,
            num_replicas=replicas,
        ),
        StreamConfig(
            name=DLQ_STREAM,
            subjects=[f"{DLQ_PREFIX}.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            max_age=30 * 24 * 3600.0,
            num_replicas=replicas,
        ),
    ]


class Nats:
    """A lazily connected NATS client: callers ``await nats.ready()`` before use."""

    def __init__(self, url: str, *, name: str, stream_replicas: int = 1) -> None:
        self.url = url
        self.name = name
        self.stream_replicas = stream_replicas
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._ready = asyncio.Event()
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("NATS is not connected yet")
        return self._js

    @property
    def jsm(self) -> Any:
        """The JetStream management API (streams and consumers)."""
        if self._nc is None:
            raise RuntimeError("NATS is not connected yet")
        return self._nc.jsm()

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    @property
    def client(self) -> Client | None:
        """The connected client, or None (not connected yet, or reconnecting)."""
        return self._nc if self.connected else None

    async def wait_connected(self, within: float) -> Client | None:
        """The client once the first connection is made (``ready()``, run by the
        relay and the consumer), waiting at most ``within`` seconds for it."""
        if not self._ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), within)
        return self.client

    async def ready(self) -> JetStreamContext:
        """Connect (retrying forever) and make sure the streams exist."""
        if self._js is not None:
            return self._js
        async with self._lock:
            delay = 0.2
            while self._js is None:
                if self._closed:
                    raise RuntimeError("the NATS connection was closed")
                nc: Client | None = None
                try:
                    nc = await nats.connect(
                        servers=[self.url],
                        name=self.name,
                        allow_reconnect=True,
                        max_reconnect_attempts=-1,
                        reconnect_time_wait=0.5,
                        connect_timeout=2,
                        error_cb=self._on_error,
                        disconnected_cb=self._on_disconnect,
                        reconnected_cb=self._on_reconnect,
                    )
                    js = nc.jetstream(timeout=5)
                    await ensure_streams(js, self.stream_replicas)
                    self._nc, self._js = nc, js
                except BaseException as exc:
                    # A client connected but not kept would reconnect forever, unseen.
                    if nc is not None:
                        _abort(nc)
                    if not isinstance(exc, Exception):
                        raise
                    log.warning(
                        "NATS at %s not ready (%s); retrying in %.1fs", self.url, exc, delay
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
            self._ready.set()
        return self._js

    async def _on_error(self, exc: Exception) -> None:
        log.debug("NATS error: %s", exc)

    async def _on_disconnect(self) -> None:
        if self._closed:
            log.info("NATS connection closed")
        else:
            log.warning("NATS disconnected")

    async def _on_reconnect(self) -> None:
        log.info("NATS reconnected")
        # A restarted server without its store (or a new cluster) needs the streams again.
        if self._js is not None:
            try:
                await ensure_streams(self._js, self.stream_replicas)
            except Exception as exc:
                log.warning("could not check the streams after reconnecting: %s", exc)

    async def close(self, within: float = 2.0) -> None:
        """Close for good, within ``within`` seconds whatever the server does.

        No drain: the consumer is stopped first (what it fetched and did not ack is
        redelivered), and the relay's unacknowledged publishes stay pending in the
        outbox. nats-py's ``close()`` can hang (a reconnect in progress, a socket
        the server no longer reads: ``wait_closed()``), so past the timeout the
        socket is aborted and the client's tasks cancelled.
        """
        self._closed = True
        nc, self._nc, self._js = self._nc, None, None
        if nc is None or nc.is_closed:
            return
        closing = asyncio.ensure_future(nc.close())
        done, _ = await asyncio.wait({closing}, timeout=within)
        if closing in done:
            if not closing.cancelled() and closing.exception() is None:
                return
        else:
            log.warning("NATS did not close in %.1fs: aborting the connection", within)
            closing.cancel()
        _abort(nc)


def _abort(nc: Client) -> None:
    """Close a client at once, without a word to the server: mark it closed (no
    reconnect), cancel its tasks, abort its socket."""
    nc._status = Client.CLOSED
    for name in ("_reading_task", "_ping_interval_task", "_flusher_task", "_reconnection_task"):
        task = getattr(nc, name, None)
        if task is not None and not task.done():
            task.cancel()
    transport = getattr(nc, "_transport", None)
    writer = getattr(transport, "_io_writer", None)
    with contextlib.suppress(Exception):
        if writer is not None:
            writer.transport.abort()
        elif transport is not None:
            transport.close()


async def ensure_streams(js: JetStreamContext, replicas: int = 1) -> None:
    """Create or update the streams (idempotent; every service does it at start)."""
    for config in stream_configs(replicas):
        try:
            info: Any = await js.stream_info(config.name or "")
        except NotFoundError:
            await js.add_stream(config)
            continue
        current = info.config
        if (
            current.subjects != config.subjects
            or current.max_msgs_per_subject != config.max_msgs_per_subject
            or current.duplicate_window != config.duplicate_window
        ):
            await js.update_stream(config)
