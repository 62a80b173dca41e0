"""Failed logins counted per account (issue 19), beside the per-address limit.

A centre's students share one public address: the anonymous budget of that
address must not be the only brake on guessing one account's password, nor
the easiest way to lock the whole centre out. Each failed login for an email
is counted in the shared rate-limit store (the same one every service counts
requests in); past ``AUTH_LOGIN_FAILURE_LIMIT`` failures in
``AUTH_LOGIN_FAILURE_WINDOW`` seconds, that email alone gets a 429 with
``Retry-After`` until the window ends, whoever asks and from wherever, while
every other account logs in as usual.
"""

from __future__ import annotations

import hashlib
import time

from entraide_kit.errors import Throttled
from entraide_kit.ratelimit import RateLimiter, window_bounds


class LoginGuard:
    def __init__(self, limiter: RateLimiter, *, limit: int, window: int) -> None:
        self.limiter = limiter
        self.limit = limit
        self.window = window

    @staticmethod
    def key(email: str) -> str:
        # Hashed: the store holds no address book.
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]
        return f"login:{digest}"

    async def check(self, email: str) -> None:
        """429 when this account has had too many failed logins in the window."""
        if await self.limiter.peek(self.key(email), self.window) >= self.limit:
            _, reset = window_bounds(self.window)
            wait = max(reset - int(time.time()), 1)
            raise Throttled(
                f"Too many failed logins for this account. Expected available in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )

    async def failed(self, email: str) -> None:
        await self.limiter.hit(self.key(email), self.limit, self.window)
