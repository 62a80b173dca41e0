"""Rate limits: a fixed window per client, counted in Redis or in process.

Anonymous clients are counted per IP (60/hour by default), authenticated users
per user id (1000/hour). With ``REDIS_URL`` the counters are shared by every
service and replica; without it each process counts for itself.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("entraide.ratelimit")


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

    async def close(self) -> None: ...


def _window(window: int, now: float | None = None) -> tuple[int, int]:
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
        start, reset = _window(window)
        now = time.time()
        if now >= self._next_sweep:
            # Forget finished windows so the table stays as small as the active clients.
            self._counts = {k: v for k, v in self._counts.items() if v[0] + window > now}
            self._next_sweep = now + 60
        prev_start, count = self._counts.get(key, (start, 0))
        count = count + 1 if prev_start == start else 1
        self._counts[key] = (start, count)
        return _decide(count, limit, reset)

    async def close(self) -> None:
        return None


class RedisRateLimiter:
    """Counts in Redis, shared by every service and replica."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    async def hit(self, key: str, limit: int, window: int) -> RateDecision:
        start, reset = _window(window)
        rkey = f"entraide:rl:{key}:{start}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(rkey)
                pipe.expire(rkey, window + 5)
                count, _ = await pipe.execute()
        except Exception as exc:  # Redis down: serve rather than refuse everybody.
            log.warning("rate limit store unavailable: %s", exc)
            return RateDecision(limit=limit, remaining=limit, reset=reset, allowed=True)
        return _decide(int(count), limit, reset)

    async def close(self) -> None:
        await self._redis.aclose()


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
