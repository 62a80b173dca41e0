"""The embedded stack: PostgreSQL, NATS, the services, the docs app, Traefik.

``Stack(config).start()`` brings everything up in order and waits for each
part to be healthy; ``stop()`` ends, in reverse order, everything this data
folder's stack runs (pid files under ``run/``, PostgreSQL through pg_ctl), so a
second process (``./dev down``) can stop what ``./dev up --detach`` started.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from entraide_kit.settings import DEFAULT_SHUTDOWN_TIMEOUT, shutdown_budget, shutdown_timeout_from

from .config import DEFAULT_ADMIN_EMAIL, StackConfig, find_gateway_dir
from .embedded import (
    LOOPBACK,
    EmbeddedError,
    EmbeddedNats,
    EmbeddedPostgres,
    EmbeddedTraefik,
    Process,
    http_status,
    port_in_use,
    read_or_create_secret,
    stop_processes,
    tail_file,
    write_secret,
)
from .registry import SERVICES, ServiceSpec, service

log = logging.getLogger("entraide.stack")

#: the content service's key for signed PDF links (HMAC, 32 characters or more)
LINK_SECRET = "CONTENT_LINK_SECRET"
CORS_REGEX = "ENTRAIDE_CORS_ORIGIN_REGEX"
#: browser origins a development stack allows out of the box: any port of the
#: loopback host names (a web client's dev server: Vite's 5173, its preview's 4173...)
DEV_CORS_ORIGIN_REGEX = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?$"


class StackError(RuntimeError):
    """The stack could not start; the message carries the failing log's tail."""


@dataclass
class ComponentStatus:
    name: str
    running: bool
    pid: int | None
    url: str
    log_file: Path | None
    note: str = ""


def generate_signing_key(path: Path) -> bool:
    """Write a new Ed25519 private key (PKCS#8 PEM, 0600) unless ``path`` exists."""
    if path.exists():
        return False
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_secret(path, pem.decode("ascii"))
    return True


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self._started: list[str] = []

    # ------------------------------------------------------------------ facts
    @classmethod
    def from_state(cls, data_dir: Path) -> Stack | None:
        """The stack last started in ``data_dir`` (its saved config), if any."""
        config = StackConfig.load(data_dir)
        return cls(config) if config is not None else None

    @property
    def specs(self) -> list[ServiceSpec]:
        """The services this stack runs: selected (or all) and installed."""
        wanted = self.config.services
        chosen = [s for s in SERVICES if wanted is None or s.name in wanted]
        return [s for s in chosen if s.installed]

    @property
    def missing(self) -> list[str]:
        wanted = self.config.services
        return [
            s.name for s in SERVICES if (wanted is None or s.name in wanted) and not s.installed
        ]

    @property
    def gateway_url(self) -> str:
        """Where this machine reaches the gateway (tests use it)."""
        host = self.config.gateway_host
        host = LOOPBACK if host in ("0.0.0.0", "::", "") else host
        return f"http://{host}:{self.config.gateway_port}"

    @property
    def public_url(self) -> str:
        """What a person types: localhost rather than 127.0.0.1."""
        host = self.config.gateway_host
        host = "localhost" if host in ("0.0.0.0", "::", "", "127.0.0.1") else host
        return f"http://{host}:{self.config.gateway_port}"

    def service_url(self, name: str) -> str:
        return f"http://{LOOPBACK}:{self.config.service_ports[name]}"

    @property
    def docs_url(self) -> str:
        return f"http://{LOOPBACK}:{self.config.docs_port}"

    @property
    def jwks_url(self) -> str:
        return f"{self.service_url('auth')}/api/token/jwks/"

    @property
    def uses_embedded_postgres(self) -> bool:
        return any(s.name not in self.config.database_urls for s in self.specs) or (
            not self.specs and not self.config.database_urls
        )

    @property
    def uses_embedded_nats(self) -> bool:
        return not self.config.nats_url

    @property
    def postgres(self) -> EmbeddedPostgres:
        c = self.config
        return EmbeddedPostgres(
            c.pg_dir,
            c.pg_port,
            password_file=c.secrets_dir / "pg-password",
            log_file=c.logs_dir / "postgres.log",
        )

    @property
    def nats(self) -> EmbeddedNats:
        c = self.config
        return EmbeddedNats(
            c.nats_dir,
            c.nats_port,
            c.nats_monitor_port,
            log_file=c.logs_dir / "nats.log",
            pid_file=c.run_dir / "nats.pid",
        )

    @property
    def nats_url(self) -> str:
        return self.config.nats_url or f"nats://{LOOPBACK}:{self.config.nats_port}"

    def database_url(self, name: str) -> str:
        """``postgresql+asyncpg://...`` of service ``name``'s own database."""
        external = self.config.database_urls.get(name)
        if external:
            return external
        return self.postgres.url(service(name).database_name)

    @property
    def signing_key_file(self) -> Path:
        explicit = self.config.extra_env.get("AUTH_PRIVATE_KEY_FILE")
        return Path(explicit) if explicit else self.config.keys_dir / "auth-signing.pem"

    @property
    def admin_password_file(self) -> Path:
        return self.config.secrets_dir / "admin-password"

    @property
    def admin_email(self) -> str:
        return self.config.admin_email or DEFAULT_ADMIN_EMAIL

    def admin_password(self) -> str:
        """The first admin's password: configured, else generated once into secrets/."""
        if self.config.admin_password:
            return self.config.admin_password
        return read_or_create_secret(self.admin_password_file, 12)

    @property
    def link_secret_file(self) -> Path:
        return self.config.secrets_dir / "content-link-secret"

    def configured_link_secret(self) -> str | None:
        """``CONTENT_LINK_SECRET`` as given (extra_env first, then the environment)."""
        return self.config.extra_env.get(LINK_SECRET) or os.environ.get(LINK_SECRET) or None

    def link_secret(self) -> str:
        """The key content signs its short-lived PDF links with: configured, else
        generated once into secrets/ (43 characters), so links outlive a restart."""
        return self.configured_link_secret() or read_or_create_secret(self.link_secret_file, 32)

    def log_file(self, name: str) -> Path:
        return self.config.logs_dir / f"{name}.log"

    @property
    def access_log(self) -> Path:
        return self.config.logs_dir / "gateway-access.log"

    # ------------------------------------------------------------------ environment
    def common_env(self) -> dict[str, str]:
        """What every process of the stack gets on top of the caller's environment."""
        env = dict(os.environ)
        env.update(self.config.extra_env)
        env["PYTHONUNBUFFERED"] = "1"
        env["NATS_URL"] = self.nats_url
        env["ENTRAIDE_JWKS_URL"] = self.jwks_url
        for spec in SERVICES:
            env[spec.url_var] = self.service_url(spec.name)
        env["ENTRAIDE_DOCS_URL"] = self.docs_url
        # Uploads live with the rest of the stack's data unless told otherwise.
        env["ENTRAIDE_MEDIA_DIR"] = self.config.extra_env.get(
            "ENTRAIDE_MEDIA_DIR", str(self.config.data_dir / "media")
        )
        env["ENTRAIDE_PUBLIC_URL"] = self.public_url
        env.pop(LINK_SECRET, None)  # the content service's alone (service_env)
        return env

    def service_env(self, name: str) -> dict[str, str]:
        """The full environment service ``name`` runs with (also for its CLI)."""
        spec = service(name)
        env = self.common_env()
        env[spec.database_url_var] = self.database_url(name)
        if name == "auth":
            if not (env.get("AUTH_PRIVATE_KEY") or env.get("AUTH_PRIVATE_KEY_FILE")):
                env["AUTH_PRIVATE_KEY_FILE"] = str(self.signing_key_file)
            env["ENTRAIDE_ADMIN_EMAIL"] = self.admin_email
            env["ENTRAIDE_ADMIN_PASSWORD"] = self.admin_password()
        else:
            env.pop("ENTRAIDE_ADMIN_PASSWORD", None)
            env.pop("AUTH_PRIVATE_KEY", None)
            env.pop("AUTH_PRIVATE_KEY_FILE", None)
        if name == "content":
            env[LINK_SECRET] = self.link_secret()
        return env

    # ------------------------------------------------------------------ processes
    @property
    def shutdown_timeout(self) -> float:
        """``ENTRAIDE_SHUTDOWN_TIMEOUT`` of the stack's processes: each stops within it."""
        return shutdown_timeout_from(self.common_env())

    @property
    def graceful_shutdown(self) -> int:
        """uvicorn's ``--timeout-graceful-shutdown``: open requests' part of the deadline."""
        return shutdown_budget(self.shutdown_timeout)[0]

    @property
    def workers(self) -> int:
        """``ENTRAIDE_WORKERS``: uvicorn worker processes per service (default 1).
        Each is a replica in all but its port: the outbox relay, the consumer and
        the migrations are replica-safe (SKIP LOCKED, shared durable consumers, an
        advisory lock); in-process rate-limit counters and caches are per worker."""
        raw = self.common_env().get("ENTRAIDE_WORKERS", "").strip()
        return max(int(raw), 1) if raw.isdigit() else 1

    def service_process(self, spec: ServiceSpec) -> Process:
        port = self.config.service_ports[spec.name]
        workers = ["--workers", str(self.workers)] if self.workers > 1 else []
        return Process(
            spec.name,
            [
                sys.executable,
                "-m",
                "uvicorn",
                spec.module,
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--no-access-log",
                # The kit decides which X-Forwarded-* headers to believe
                # (ENTRAIDE_TRUSTED_PROXIES); uvicorn must not rewrite them first.
                "--no-proxy-headers",
                # Open requests' part of ENTRAIDE_SHUTDOWN_TIMEOUT; the app's
                # teardown bounds itself to the rest.
                "--timeout-graceful-shutdown",
                str(self.graceful_shutdown),
                *workers,
            ],
            log_file=self.log_file(spec.name),
            pid_file=self.config.run_dir / f"{spec.name}.pid",
            env=self.service_env(spec.name),
        )

    def docs_process(self) -> Process:
        return Process(
            "docs",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "entraide_gateway.docs:app",
                "--host",
                LOOPBACK,
                "--port",
                str(self.config.docs_port),
                "--no-access-log",
                "--timeout-graceful-shutdown",
                str(self.graceful_shutdown),
            ],
            log_file=self.log_file("docs"),
            pid_file=self.config.run_dir / "docs.pid",
            env=self.common_env(),
        )

    def gateway_env(self) -> dict[str, str]:
        """Traefik's environment: the common one, and outside production the local
        development origins allowed by CORS (unless ENTRAIDE_CORS_ORIGIN_REGEX is set,
        even to nothing). Production allows only what it is configured with."""
        env = self.common_env()
        if env.get("ENTRAIDE_ENV", "development") != "production" and CORS_REGEX not in env:
            env[CORS_REGEX] = DEV_CORS_ORIGIN_REGEX
        return env

    def traefik(self) -> EmbeddedTraefik:
        c = self.config
        gateway_dir = c.gateway_dir or find_gateway_dir()
        return EmbeddedTraefik(
            config_template=gateway_dir / "traefik.yml",
            routes_file=gateway_dir / "routes.yml",
            run_dir=c.run_dir,
            gateway_host=c.gateway_host,
            gateway_port=c.gateway_port,
            ping_port=c.ping_port,
            log_file=self.log_file("traefik"),
            access_log=self.access_log,
            pid_file=c.run_dir / "traefik.pid",
            env=self.gateway_env(),
            traces_endpoint=self.traces_endpoint(),
        )

    def traces_endpoint(self) -> str | None:
        """Where spans go (OTLP/HTTP), as the services read it: the traces URL,
        or the base endpoint's ``/v1/traces``; None when tracing is off."""
        env = self.common_env()
        if env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
            return env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        return f"{base.rstrip('/')}/v1/traces" if base else None

    def _docs_installed(self) -> bool:
        import importlib.util

        try:
            return importlib.util.find_spec("entraide_gateway") is not None
        except (ImportError, ValueError):
            return False

    # ------------------------------------------------------------------ start / stop
    def _check_port(self, what: str, port: int, variable: str, proc: Process | None = None) -> None:
        if proc is not None and proc.is_running():
            return  # ours, from an earlier `up`: reused
        if port_in_use(port):
            raise StackError(
                f"port {port} for {what} is already used by another program: "
                f"set {variable} to another port"
            )

    def _fail(self, message: str, log_file: Path | None) -> StackError:
        tail = tail_file(log_file, 40) if log_file is not None else ""
        text = message
        if tail:
            text += f"\n--- last lines of {log_file}:\n{tail}"
        return StackError(text)

    def start(self) -> Stack:
        """Start everything in order and wait until healthy; on failure stop it all."""
        c = self.config
        for folder in (c.data_dir, c.logs_dir, c.run_dir, c.secrets_dir, c.keys_dir):
            folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(c.secrets_dir, 0o700)
            os.chmod(c.keys_dir, 0o700)
        c.save()
        try:
            self._start()
        except BaseException:
            with contextlib.suppress(Exception):
                self.stop()
            raise
        return self

    def _start(self) -> None:
        c = self.config
        timeout = c.startup_timeout
        specs = self.specs
        env = self.common_env()
        if (
            any(s.name == "auth" for s in specs)
            and not (env.get("AUTH_PRIVATE_KEY") or env.get("AUTH_PRIVATE_KEY_FILE"))
            and generate_signing_key(self.signing_key_file)
        ):
            log.info("generated the auth signing key in %s", self.signing_key_file)
        if any(s.name == "auth" for s in specs):
            self.admin_password()  # generated once, before auth reads it
        if any(s.name == "content" for s in specs):
            self.link_secret()  # likewise, before content reads it

        if self.uses_embedded_postgres:
            pg = self.postgres
            if not pg.is_running():
                self._check_port("PostgreSQL", c.pg_port, "ENTRAIDE_PG_PORT")
            log.info("starting PostgreSQL on %s", c.pg_port)
            try:
                pg.start(timeout=timeout)
            except EmbeddedError as exc:
                raise StackError(str(exc)) from exc
            if pg.port != c.pg_port:
                c.pg_port = pg.port
                c.save()
            self._started.append("postgres")
            for spec in specs:
                if spec.name not in c.database_urls and pg.create_database(spec.database_name):
                    log.info("created database %s", spec.database_name)

        if self.uses_embedded_nats:
            nats = self.nats
            if not nats.is_running():
                self._check_port("NATS", c.nats_port, "ENTRAIDE_NATS_PORT")
                self._check_port("NATS monitor", c.nats_monitor_port, "ENTRAIDE_NATS_MONITOR_PORT")
            log.info("starting NATS on %s", c.nats_port)
            try:
                nats.start(timeout=timeout)
            except EmbeddedError as exc:
                raise StackError(str(exc)) from exc
            self._started.append("nats")

        for spec in specs:
            proc = self.service_process(spec)
            self._check_port(spec.name, c.service_ports[spec.name], spec.port_var, proc)
            log.info("starting %s on %s", spec.name, c.service_ports[spec.name])
            proc.start()
            self._started.append(spec.name)
            try:
                proc.wait_http_ok(f"{self.service_url(spec.name)}/readyz", timeout)
            except EmbeddedError as exc:
                raise self._fail(f"{spec.name} did not become ready", proc.log_file) from exc

        if c.start_docs and self._docs_installed():
            proc = self.docs_process()
            self._check_port("docs app", c.docs_port, "ENTRAIDE_DOCS_PORT", proc)
            proc.start()
            self._started.append("docs")
            try:
                proc.wait_http_ok(f"{self.docs_url}/readyz", timeout)
            except EmbeddedError as exc:
                raise self._fail("the docs app did not become ready", proc.log_file) from exc

        if c.start_gateway:
            traefik = self.traefik()
            if not traefik.is_running():
                self._check_port("the gateway", c.gateway_port, "ENTRAIDE_GATEWAY_PORT")
                self._check_port("the gateway ping", c.ping_port, "ENTRAIDE_GATEWAY_PING_PORT")
            log.info("starting Traefik on %s:%s", c.gateway_host, c.gateway_port)
            self._started.append("traefik")
            try:
                traefik.start(timeout=timeout)
            except EmbeddedError as exc:
                raise StackError(str(exc)) from exc

    def stop(self) -> None:
        """Stop, in reverse order, everything this data folder's stack runs. Idempotent."""
        c = self.config
        errors: list[str] = []
        front = [
            Process(name, [], log_file=self.log_file(name), pid_file=c.run_dir / f"{name}.pid")
            for name in ("traefik", "docs")
        ]
        services = [
            Process(
                spec.name,
                [],
                log_file=self.log_file(spec.name),
                pid_file=c.run_dir / f"{spec.name}.pid",
            )
            for spec in reversed(SERVICES)
        ]
        try:
            timeout = shutdown_timeout_from(self.common_env())
        except ValueError:
            timeout = DEFAULT_SHUTDOWN_TIMEOUT
        # Each stops within its deadline; past it (a stop that hangs) it is killed.
        grace = timeout + 5
        # The gateway first (no new requests), then every service at once.
        for group in ([front[0]], [front[1]], services):
            try:
                stop_processes(group, grace=grace)
            except Exception as exc:
                errors.append(f"{', '.join(p.name for p in group)}: {exc}")
        try:
            self.nats.stop()
        except Exception as exc:
            errors.append(f"nats: {exc}")
        if (c.pg_dir / "PG_VERSION").exists():
            try:
                self.postgres.stop()
            except Exception as exc:
                errors.append(f"postgres: {exc}")
        self._started.clear()
        if errors:
            raise StackError("; ".join(errors))

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ status
    def status(self) -> list[ComponentStatus]:
        c = self.config
        out: list[ComponentStatus] = []
        if self.uses_embedded_postgres:
            pg = self.postgres
            pid = pg.postmaster_pid()
            out.append(
                ComponentStatus(
                    "postgres",
                    pid is not None,
                    pid,
                    f"postgresql://127.0.0.1:{c.pg_port}",
                    pg.log_file,
                )
            )
        else:
            out.append(ComponentStatus("postgres", True, None, "external", None, "external"))
        if self.uses_embedded_nats:
            proc = self.nats.process
            out.append(
                ComponentStatus("nats", proc.is_running(), proc.pid, self.nats_url, proc.log_file)
            )
        else:
            out.append(ComponentStatus("nats", True, None, self.nats_url, None, "external"))
        for spec in SERVICES:
            proc = Process(
                spec.name,
                [],
                log_file=self.log_file(spec.name),
                pid_file=c.run_dir / f"{spec.name}.pid",
            )
            note = "" if spec.installed else "not installed"
            running = proc.is_running()
            if running and http_status(f"{self.service_url(spec.name)}/readyz") != 200:
                note = "not ready"
            out.append(
                ComponentStatus(
                    spec.name, running, proc.pid, self.service_url(spec.name), proc.log_file, note
                )
            )
        docs = Process("docs", [], log_file=self.log_file("docs"), pid_file=c.run_dir / "docs.pid")
        out.append(
            ComponentStatus("docs", docs.is_running(), docs.pid, self.docs_url, docs.log_file)
        )
        tr = Process(
            "traefik", [], log_file=self.log_file("traefik"), pid_file=c.run_dir / "traefik.pid"
        )
        out.append(
            ComponentStatus("traefik", tr.is_running(), tr.pid, self.public_url, tr.log_file)
        )
        return out

    def is_running(self) -> bool:
        return any(s.running and s.note != "external" for s in self.status())

    def dead_components(self) -> Iterator[str]:
        """Names of components this process started that have died since."""
        for st in self.status():
            if st.name in self._started and not st.running:
                yield st.name

    def wait_forever(self, interval: float = 2.0) -> None:
        """Sleep while the stack runs, reporting components that die."""
        reported: set[str] = set()
        while True:
            time.sleep(interval)
            for name in self.dead_components():
                if name not in reported:
                    reported.add(name)
                    log.error("%s exited: see %s", name, self.log_file(name))
