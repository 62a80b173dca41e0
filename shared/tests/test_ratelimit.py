from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from entraide_kit.ratelimit import MemoryRateLimiter, RedisRateLimiter

from .conftest import TokenMaker


async def test_anonymous_limit_then_429_with_headers(app_client: Callable[..., Any]) -> None:
    client = await app_client(rate_limit_anon=5, rate_limit_user=8)
    remaining = []
    for _ in range(5):
        resp = await client.get("/api/probe/open/", headers={"X-Forwarded-For": "203.0.113.7"})
        assert resp.status_code == 200
        remaining.append(int(resp.headers["x-ratelimit-remaining"]))
        assert resp.headers["x-ratelimit-limit"] == "5"
        assert int(resp.headers["x-ratelimit-reset"]) > time.time()
    assert remaining == [4, 3, 2, 1, 0]
    resp = await client.get("/api/probe/open/", headers={"X-Forwarded-For": "203.0.113.7"})
    assert resp.status_code == 429
    assert resp.headers["x-ratelimit-remaining"] == "0"
    assert resp.json()["detail"].startswith("Request was throttled.")
    # Another client IP (as the gateway reports it) has its own budget.
    other = await client.get("/api/probe/open/", headers={"X-Forwarded-For": "203.0.113.8"})
    assert other.status_code == 200


async def test_junk_tokens_and_spoofed_headers_do_not_reset_the_count(
    app_client: Callable[..., Any], make_token: TokenMaker
) -> None:
    # The peer is not the gateway: its X-Forwarded-For is not believed.
    client = await app_client(peer="198.51.100.20", rate_limit_anon=3)
    for i in range(3):
        resp = await client.get(
            "/api/probe/open/",
            headers={"X-Forwarded-For": f"10.0.0.{i}", "Authorization": f"Bearer junk{i}"},
        )
        assert resp.status_code == 200
    resp = await client.get(
        "/api/probe/open/", headers={"X-Forwarded-For": "10.9.9.9", "Authorization": "Bearer x"}
    )
    assert resp.status_code == 429


async def test_authenticated_users_are_counted_per_user(
    app_client: Callable[..., Any], make_token: TokenMaker
) -> None:
    client = await app_client(rate_limit_anon=1, rate_limit_user=3)
    alice = {"Authorization": f"Bearer {make_token(1)}"}
    bob = {"Authorization": f"Bearer {make_token(2)}"}
    for _ in range(3):
        assert (await client.get("/api/probe/me/", headers=alice)).status_code == 200
    assert (await client.get("/api/probe/me/", headers=alice)).status_code == 429
    resp = await client.get("/api/probe/me/", headers=bob)
    assert resp.status_code == 200 and resp.headers["x-ratelimit-limit"] == "3"


async def test_health_endpoints_are_not_limited(app_client: Callable[..., Any]) -> None:
    client = await app_client(rate_limit_anon=1)
    for _ in range(3):
        assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200
    metrics = await client.get("/metrics")
    assert "entraide_http_requests_total" in metrics.text


async def test_memory_limiter_windows() -> None:
    limiter = MemoryRateLimiter()
    decisions = [await limiter.hit("k", 2, 3600) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[0].reset == decisions[2].reset


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.3):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis answers on 127.0.0.1:6379")
async def test_redis_limiter_shares_the_count() -> None:
    key = f"test-{time.time_ns()}"
    a = RedisRateLimiter("redis://127.0.0.1:6379/15")
    b = RedisRateLimiter("redis://127.0.0.1:6379/15")
    try:
        first = await a.hit(key, 3, 60)
        second = await b.hit(key, 3, 60)
        third = await a.hit(key, 3, 60)
        fourth = await b.hit(key, 3, 60)
        assert [first.remaining, second.remaining, third.remaining] == [2, 1, 0]
        assert not fourth.allowed
    finally:
        await a.close()
        await b.close()


async def test_redis_down_serves_counting_in_the_process() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    try:
        decision = await limiter.hit("k", 1, 60)
        assert decision.allowed
        assert not (await limiter.hit("k", 1, 60)).allowed
    finally:
        await limiter.close()


@pytest.fixture
async def two_processes(private_nats: Callable[[], str]) -> AsyncIterator[tuple[Any, Any]]:
    """Two NATS connections to one server, as two services (or workers) have."""
    from entraide_kit.events.connection import Nats

    url = private_nats()
    connections = [Nats(url, name=f"limits-test-{n}") for n in range(2)]
    for nats in connections:
        await nats.ready()
    try:
        yield connections[0], connections[1]
    finally:
        for nats in connections:
            await nats.close()


async def test_nats_counters_are_one_budget_for_every_process(
    two_processes: tuple[Any, Any],
) -> None:
    from entraide_kit.ratelimit import STORE_ERRORS, NatsRateLimiter

    first, second = two_processes
    # Two processes (two services, two workers) counting the same client.
    a = NatsRateLimiter(first, window=3600)
    b = NatsRateLimiter(second, window=3600)
    errors = STORE_ERRORS.labels("nats")._value.get()
    seen = []
    for limiter in (a, b, a, b, b):
        decision = await limiter.hit("ip:203.0.113.9", 4, 3600)
        seen.append((decision.remaining, decision.allowed))
    assert seen == [(3, True), (2, True), (1, True), (0, True), (0, False)]
    # Another client, and a key with the characters addresses hold.
    assert (await a.hit("ip:::1", 4, 3600)).remaining == 3
    assert (await b.hit("user:42", 4, 3600)).remaining == 3
    assert STORE_ERRORS.labels("nats")._value.get() == errors


async def test_nats_down_counts_in_the_process_and_says_so() -> None:
    from entraide_kit.events.connection import Nats
    from entraide_kit.ratelimit import STORE_ERRORS, NatsRateLimiter

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    limiter = NatsRateLimiter(Nats(f"nats://127.0.0.1:{port}", name="down"), window=3600)
    errors = STORE_ERRORS.labels("nats")._value.get()
    started = time.monotonic()
    decisions = [await limiter.hit("ip:203.0.113.10", 2, 3600) for _ in range(3)]
    assert time.monotonic() - started < 1.0  # no wait on a store that is not there
    assert [d.allowed for d in decisions] == [True, True, False]
    assert STORE_ERRORS.labels("nats")._value.get() == errors + 3


async def test_peek_reads_without_counting(two_processes: tuple[Any, Any]) -> None:
    from entraide_kit.ratelimit import NatsRateLimiter

    nats, _ = two_processes
    for limiter in (NatsRateLimiter(nats, window=3600), MemoryRateLimiter()):
        assert await limiter.peek("login:abc", 900) == 0
        await limiter.hit("login:abc", 10, 900)
        await limiter.hit("login:abc", 10, 900)
        assert await limiter.peek("login:abc", 900) == 2
        assert await limiter.peek("login:abc", 900) == 2


async def test_a_burst_of_one_clients_hits_is_counted_exactly(
    two_processes: tuple[Any, Any],
) -> None:
    import asyncio

    from entraide_kit.ratelimit import NatsRateLimiter

    first, second = two_processes
    a = NatsRateLimiter(first, window=3600)
    b = NatsRateLimiter(second, window=3600)
    await a.hit("user:7", 100, 3600)  # the stream made, the first count
    sent = []
    for limiter in (a, b):
        increment = limiter._increment

        async def counted(client: Any, subject: str, by: int, inc: Any = increment) -> int:
            sent.append(by)
            return int(await inc(client, subject, by))

        limiter._increment = counted  # type: ignore[method-assign]
    decisions = await asyncio.gather(*(limiter.hit("user:7", 100, 3600) for limiter in (a, b) * 30))
    # Every hit has its own place in the total, whichever process counted it.
    assert sorted(d.remaining for d in decisions) == list(range(39, 99))
    assert sum(sent) == 60 and len(sent) < 10, sent  # bursts go as one increment
    assert (await a.hit("user:7", 100, 3600)).remaining == 38
    assert await b.peek("user:7", 3600) == 62
