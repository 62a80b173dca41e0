"""Service settings: one subclass per service, each with its own env prefix.

What only one service uses is read with its prefix (``AUTH_DATABASE_URL``);
what every service shares is read unprefixed (``NATS_URL``, ``REDIS_URL``,
``ENTRAIDE_*``) through explicit aliases, so a deployment sets it once.
"""

from __future__ import annotations

import functools
import ipaddress
import os
from collections.abc import Mapping
from functools import cached_property
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:55432/entraide"

#: seconds from SIGTERM to the process's exit, whatever NATS or PostgreSQL are doing
SHUTDOWN_TIMEOUT_VAR = "ENTRAIDE_SHUTDOWN_TIMEOUT"
DEFAULT_SHUTDOWN_TIMEOUT = 10.0
MIN_SHUTDOWN_TIMEOUT = 3.0


def shutdown_budget(timeout: float) -> tuple[int, float]:
    """How a shutdown deadline is spent: (whole seconds open requests get to finish,
    uvicorn's ``--timeout-graceful-shutdown``; seconds of the lifespan's teardown:
    relay, consumer, NATS, rate limiter, database). A second is left for the
    process to exit. 10 s: 5 for requests, 4 for the teardown."""
    requests = max(1, int(timeout // 2))
    return requests, max(1.0, timeout - requests - 1.0)


def shutdown_timeout_from(environ: Mapping[str, str] | None = None) -> float:
    """``ENTRAIDE_SHUTDOWN_TIMEOUT`` of an environment (the launcher's, an image's)."""
    env = os.environ if environ is None else environ
    raw = env.get(SHUTDOWN_TIMEOUT_VAR, "").strip()
    if not raw:
        return DEFAULT_SHUTDOWN_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{SHUTDOWN_TIMEOUT_VAR}={raw!r} is not a number of seconds") from None
    if value < MIN_SHUTDOWN_TIMEOUT:
        raise ValueError(f"{SHUTDOWN_TIMEOUT_VAR} must be {MIN_SHUTDOWN_TIMEOUT:.0f} s or more")
    return value


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, populate_by_name=True)

    service_name: str = "service"
    database_url: str = DEV_DATABASE_URL
    # A fixed pool, opened lazily: connections made for a burst and closed after
    # it (an "overflow") cost a connect each, over and over under steady load.
    db_pool_size: int = 20
    db_max_overflow: int = 0
    db_echo: bool = False

    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias="ENTRAIDE_ENV"
    )
    nats_url: str = Field("nats://127.0.0.1:44222", validation_alias="NATS_URL")
    redis_url: str | None = Field(None, validation_alias="REDIS_URL")
    events_enabled: bool = Field(True, validation_alias="ENTRAIDE_EVENTS_ENABLED")
    nats_stream_replicas: int = Field(
        1, ge=1, le=5, validation_alias="ENTRAIDE_NATS_STREAM_REPLICAS"
    )

    jwks_url: str | None = Field(None, validation_alias="ENTRAIDE_JWKS_URL")
    # The auth service's own URL, for the rare direct call (a user not yet copied).
    auth_url: str | None = Field(None, validation_alias="ENTRAIDE_AUTH_URL")
    # Other owners, asked once about a record whose event has not arrived yet.
    centers_url: str | None = Field(None, validation_alias="ENTRAIDE_CENTERS_URL")
    programs_url: str | None = Field(None, validation_alias="ENTRAIDE_PROGRAMS_URL")
    students_url: str | None = Field(None, validation_alias="ENTRAIDE_STUDENTS_URL")
    schedule_url: str | None = Field(None, validation_alias="ENTRAIDE_SCHEDULE_URL")
    jwt_issuer: str = Field("entraide-auth", validation_alias="ENTRAIDE_JWT_ISSUER")
    jwt_audience: str = Field("entraide", validation_alias="ENTRAIDE_JWT_AUDIENCE")

    rate_limit_enabled: bool = Field(True, validation_alias="ENTRAIDE_RATE_LIMIT_ENABLED")
    rate_limit_anon: int = Field(60, ge=1, validation_alias="ENTRAIDE_RATE_LIMIT_ANON")
    rate_limit_user: int = Field(1000, ge=1, validation_alias="ENTRAIDE_RATE_LIMIT_USER")
    rate_limit_window: int = Field(3600, ge=1, validation_alias="ENTRAIDE_RATE_LIMIT_WINDOW")
    max_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, validation_alias="ENTRAIDE_MAX_BODY_BYTES"
    )
    # Answers of @cacheable endpoints kept per process (answercache.py); 0: off.
    answer_cache_mb: int = Field(32, ge=0, le=4096, validation_alias="ENTRAIDE_ANSWER_CACHE_MB")
    trusted_proxies: str = Field("127.0.0.1,::1", validation_alias="ENTRAIDE_TRUSTED_PROXIES")

    # From SIGTERM to exit (shutdown_budget): requests get half, the teardown the rest.
    shutdown_timeout: float = Field(
        DEFAULT_SHUTDOWN_TIMEOUT, ge=MIN_SHUTDOWN_TIMEOUT, validation_alias=SHUTDOWN_TIMEOUT_VAR
    )

    log_level: str = Field("INFO", validation_alias="ENTRAIDE_LOG_LEVEL")
    log_json: bool = Field(True, validation_alias="ENTRAIDE_LOG_JSON")

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> ServiceSettings:
        if self.environment == "production" and self.database_url == DEV_DATABASE_URL:
            raise ValueError("production needs its own database_url, not the development default")
        return self

    @property
    def teardown_timeout(self) -> float:
        """Seconds the lifespan's teardown may take (after uvicorn's graceful part)."""
        return shutdown_budget(self.shutdown_timeout)[1]

    @cached_property
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        nets = []
        for part in self.trusted_proxies.split(","):
            part = part.strip()
            if part:
                nets.append(ipaddress.ip_network(part, strict=False))
        return tuple(nets)

    def is_trusted_proxy(self, host: str | None) -> bool:
        if not host:
            return False
        return _trusted(host, self.trusted_networks)


@functools.lru_cache(maxsize=4096)
def _trusted(
    host: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    """Whether ``host`` is in ``networks``, remembered: every request asks it of
    its peer (the gateway's one or few addresses), and parsing it cost ~1%."""
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(addr in net for net in networks)
