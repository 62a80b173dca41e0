"""The embedded servers of a test run, started lazily on first use."""

from __future__ import annotations

from pathlib import Path


class EmbeddedServers:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._pg_url: str | None = None
        self._nats_url: str | None = None

    def postgres_url(self) -> str:
        raise RuntimeError("embedded PostgreSQL not wired yet")

    def nats_url(self) -> str:
        raise RuntimeError("embedded NATS not wired yet")

    def stop(self) -> None:
        return None
