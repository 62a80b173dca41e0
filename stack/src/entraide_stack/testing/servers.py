"""The embedded servers of a test run, each started on first use."""

from __future__ import annotations

from pathlib import Path

from ..embedded import EmbeddedNats, EmbeddedPostgres, free_port


class EmbeddedServers:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.pg: EmbeddedPostgres | None = None
        self.nats: EmbeddedNats | None = None
        self.extra_nats: list[EmbeddedNats] = []

    def postgres_url(self) -> str:
        if self.pg is None:
            self.pg = EmbeddedPostgres(
                self.root / "pg",
                free_port(),
                password_file=self.root / "pg-password",
                log_file=self.root / "pg.log",
            ).start()
        return self.pg.url("postgres")

    def nats_url(self) -> str:
        if self.nats is None:
            self.nats = EmbeddedNats(
                self.root / "nats", free_port(), free_port(), log_file=self.root / "nats.log"
            ).start()
        return self.nats.url

    def private_nats_url(self) -> str:
        """A NATS of its own, for a service whose tests must not see other services' events."""
        index = len(self.extra_nats)
        server = EmbeddedNats(
            self.root / f"nats-{index}",
            free_port(),
            free_port(),
            log_file=self.root / f"nats-{index}.log",
        ).start()
        self.extra_nats.append(server)
        return server.url

    def stop(self) -> None:
        for server in self.extra_nats:
            server.stop()
        if self.nats is not None:
            self.nats.stop()
        if self.pg is not None:
            self.pg.stop()
