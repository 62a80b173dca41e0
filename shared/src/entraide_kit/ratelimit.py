"""Rate limits: a fixed window per client, one budget across every service.

Anonymous clients are counted per IP (60/hour by default), authenticated users
per user id (1000/hour). The counters are shared by every service, replica and
worker: in Redis when ``REDIS_URL`` is set (large deployments), otherwise in
JetStream's atomic counters on the NATS every deployment already runs (a
stream with ``allow_msg_counter``, NATS >= 2.12: one request-reply per
request, the server adds and answers the new total). When the store does not
answer, requests are still served: counted in the process meanwhile (as
before the shared store), with a warning and the metric
``entraide_rate_limit_store_errors_total``. A process without events (kit
tests) counts for itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from prometheus_client import Counter

if TYPE_CHECKING:
    from .events.connection import Nats

log = logging.getLogger("entraide.ratelimit")

STORE_ERRORS = Counter(
    "entraide_rate_limit_store_errors_total",
    "Rate-limit hits the shared counter store did not answer (counted in the process instead)",
    ["store"],
)


@dataclass(frozen=True, slots=True)
class RateDecision:
    limit: int
    remaining: int
    reset: int
    allowed: bool

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset).encode()),
        ]


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window: int) -> RateDecision: ...

    async def peek(self, key: str, window: int) -> int:
        """The current window's count for ``key``, without counting."""
        ...

    async def close(self) -> None: ...


def window_bounds(window: int, now: float | None = None) -> tuple[int, int]:
    """The current fixed window's start and end (the reset time), in epoch seconds."""
    now = time.time() if now is None else now
    start = int(now // window * window)
    return start, start + window


def _decide(count: int, limit: int, reset: int) -> RateDecision:
    return RateDecision(
        limit=limit, remaining=max(limit - count, 0), reset=reset, allowed=count <= limit
    )


class MemoryRateLimiter:
    """Counts in this process; right for one process, as in the embedded stack."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int]] = {}
        self._next_sweep = 0.0

    async def hit(self, key: str, limit: int, window: int) -> RateDecision:
        start, reset = window_bounds(window)
        now = time.time()
        if now >= self._next_sweep:
            # Forget finished windows so the table stays as small as the active clients.
            self._counts = {k: v for k, v in self._counts.items() if v[0] + window > now}
            self._next_sweep = now + 60
        prev_start, count = self._counts.get(key, (start, 0))
        count = count + 1 if prev_start == start else 1
        self._counts[key] = (start, count)
        return _decide(count, limit, reset)

    async def peek(self, key: str, window: int) -> int:
        start, _ = window_bounds(window)
        prev_start, count = self._counts.get(key, (start, 0))
        return count if prev_start == start else 0

    async def close(self) -> None:
        return None


class RedisRateLimiter:
    """Counts in Redis, shared by every service and replica."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._local = MemoryRateLimiter()

    async def hit(self, key: str, limit: int, window: int) -> RateDecision:
        start, reset = window_bounds(window)
        rkey = f"entraide:rl:{key}:{start}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(rkey)
                pipe.expire(rkey, window + 5)
                count, _ = await pipe.execute()
        except Exception as exc:  # Redis down: serve, counting in the process meanwhile.
            log.warning("rate limit store unavailable: %s", exc)
            STORE_ERRORS.labels("redis").inc()
            return await self._local.hit(key, limit, window)
        return _decide(int(count), limit, reset)

    async def peek(self, key: str, window: int) -> int:
        start, _ = window_bounds(window)
        try:
            value = await self._redis.get(f"entraide:rl:{key}:{start}")
        except Exception as exc:
            log.warning("rate limit store unavailable: %s", exc)
            STORE_ERRORS.labels("redis").inc()
            return await self._local.peek(key, window)
        return int(value or 0)

    async def close(self) -> None:
        await self._redis.aclose()


COUNTER_STREAM = "ENTRAIDE_LIMITS"
COUNTER_PREFIX = "entraide-limits"
#: the least a counter is kept (seconds): windows up to a day, whatever the requests' one
KEEP_COUNTERS = 24 * 3600


class NatsRateLimiter:
    """Counts in a JetStream counter stream, shared by every process on that NATS.

    One subject per client and window (``entraide-limits.<client>.<window
    start>``, the client's key hex-encoded: addresses hold dots and colons); a
    hit publishes ``Nats-Incr: 1`` to it and reads the new total from the
    acknowledgement. The stream keeps counters in memory, the last value of
    each subject only, for a day (or the window, if longer) and a minute: a NATS restart forgets the
    current window's counts (a fresh budget), which a limit can afford."""

    #: how long a hit waits for the store before counting in the process
    TIMEOUT = 0.25
    #: after a failure, how long the process counts alone before trying again
    BACKOFF = 5.0

    def __init__(self, nats: Nats, *, window: int) -> None:
        self._nats = nats
        self._window = window
        self._local = MemoryRateLimiter()
        self._stream_ready = False
        self._lock = asyncio.Lock()
        self._retry_at = 0.0
        self._warned_at = 0.0
        # counter subject -> hits waiting for the increment in flight to return
        self._queued: dict[str, list[asyncio.Future[int]]] = {}
        self._drains: set[asyncio.Task[None]] = set()

    async def hit(self, key: str, limit: int, window: int) -> RateDecision:
        if time.monotonic() < self._retry_at:
            return await self._alone(key, limit, window, "backing off")
        client = self._nats.client
        if client is None:
            # Just started: the first connection is being made (by the relay).
            client = await self._nats.wait_connected(self.TIMEOUT)
            if client is None:
                self._retry_at = time.monotonic() + self.BACKOFF
                return await self._alone(key, limit, window, "not connected")
        start, reset = window_bounds(window)
        try:
            if not self._stream_ready:
                await self._ensure_stream(client)
            count = await self._add_one(client, self._subject(key, start))
        except Exception as exc:
            self._retry_at = time.monotonic() + self.BACKOFF
            self._stream_ready = False
            return await self._alone(key, limit, window, repr(exc))
        return _decide(count, limit, reset)

    async def _add_one(self, client: Any, subject: str) -> int:
        """Count one hit and return the counter's new total. Hits of the same
        counter arriving while an increment of it is in flight wait, and go
        together as the next one (``Nats-Incr: n``), each given its own place in
        the total: exact, and one round trip for a burst of one client's
        requests instead of one each."""
        queued = self._queued.get(subject)
        if queued is not None:  # an increment of this counter is in flight
            waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            queued.append(waiter)
            return await waiter
        self._queued[subject] = []
        try:
            total = await self._increment(client, subject, 1)
        except BaseException:
            self._fail(subject, [])
            raise
        rest = self._queued.pop(subject)
        if rest:
            # Those who queued meanwhile go as one increment, in a task: this
            # request does not wait for their turn.
            self._queued[subject] = []
            self._drains.add(asyncio.create_task(self._drain(client, subject, rest)))
        return total

    async def _drain(self, client: Any, subject: str, batch: list[asyncio.Future[int]]) -> None:
        try:
            while batch:
                try:
                    total = await self._increment(client, subject, len(batch))
                except Exception:
                    self._fail(subject, batch)
                    return
                except BaseException:
                    self._fail(subject, batch)
                    raise
                for place, each in enumerate(batch, start=total - len(batch) + 1):
                    if not each.done():
                        each.set_result(place)
                batch = self._queued.pop(subject)
                if batch:
                    self._queued[subject] = []
        finally:
            self._drains.discard(asyncio.current_task())

    async def _increment(self, client: Any, subject: str, by: int) -> int:
        reply = await client.request(
            subject, b"", timeout=self.TIMEOUT, headers={"Nats-Incr": str(by)}
        )
        return int(json.loads(reply.data)["val"])

    def _fail(self, subject: str, batch: list[asyncio.Future[int]]) -> None:
        """The waiters of a failed increment (and those queued behind it) count alone."""
        for each in batch + self._queued.pop(subject, []):
            if not each.done():
                each.set_exception(RuntimeError("the shared counter did not answer"))

    async def peek(self, key: str, window: int) -> int:
        client = self._nats.client
        if client is None or time.monotonic() < self._retry_at:
            return await self._local.peek(key, window)
        start, _ = window_bounds(window)
        try:
            reply = await client.request(
                f"$JS.API.DIRECT.GET.{COUNTER_STREAM}.{self._subject(key, start)}",
                b"",
                timeout=self.TIMEOUT,
            )
        except Exception as exc:
            STORE_ERRORS.labels("nats").inc()
            log.warning("rate limit counter unreadable: %r", exc)
            return await self._local.peek(key, window)
        if (reply.headers or {}).get("Status") == "404" or not reply.data:
            return 0  # never counted in this window
        try:
            return int(json.loads(reply.data)["val"])
        except (ValueError, KeyError, TypeError):
            return 0

    @staticmethod
    def _subject(key: str, start: int) -> str:
        return f"{COUNTER_PREFIX}.{key.encode().hex()}.{start}"

    async def _ensure_stream(self, client: Any) -> None:
        async with self._lock:
            if self._stream_ready:
                return
            config = {
                "name": COUNTER_STREAM,
                "subjects": [f"{COUNTER_PREFIX}.>"],
                "storage": "memory",
                "retention": "limits",
                "discard": "old",
                "allow_msg_counter": True,
                "allow_direct": True,
                "max_msgs_per_subject": 1,
                # Long enough for the longest window counted in it (the request
                # limits', auth's failed logins'): a counter must outlive its window.
                "max_age": int((max(self._window, KEEP_COUNTERS) + 60) * 1e9),
                "num_replicas": self._nats.stream_replicas,
            }
            reply = await client.request(
                f"$JS.API.STREAM.CREATE.{COUNTER_STREAM}",
                json.dumps(config).encode(),
                timeout=2.0,
            )
            answer = json.loads(reply.data)
            error = answer.get("error")
            # 10058: the stream exists (another service made it).
            if error and error.get("err_code") != 10058:
                raise RuntimeError(f"counter stream: {error}")
            self._stream_ready = True

    async def _alone(self, key: str, limit: int, window: int, why: str) -> RateDecision:
        STORE_ERRORS.labels("nats").inc()
        now = time.monotonic()
        if now - self._warned_at > 60:
            self._warned_at = now
            log.warning("rate limits counted in this process: the NATS counters failed (%s)", why)
        return await self._local.hit(key, limit, window)

    async def close(self) -> None:
        for task in list(self._drains):
            task.cancel()


def make_rate_limiter(
    redis_url: str | None, nats: Nats | None = None, *, window: int = 3600
) -> RateLimiter:
    """Redis when configured, else NATS's counters when the process has events,
    else this process alone."""
    if redis_url:
        return RedisRateLimiter(redis_url)
    if nats is not None:
        return NatsRateLimiter(nats, window=window)
    return MemoryRateLimiter()
