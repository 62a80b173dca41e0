"""What a stack is made of: data folder, ports, services, extra environment.

``StackConfig.from_env()`` reads the variables of docs/architecture.md (the
launcher); ``StackConfig.for_tests(tmp_dir)`` picks free ports everywhere (the
pytest plugin and the end-to-end tests).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .embedded import free_port
from .registry import SERVICE_NAMES, SERVICES, service

DEFAULT_ADMIN_EMAIL = "admin@entraide.ma"
#: variables of the caller's environment handed to every process of the stack
PASSTHROUGH_PREFIXES = ("ENTRAIDE_",)
PASSTHROUGH_NAMES = (
    "REDIS_URL",
    "AUTH_PRIVATE_KEY",
    "AUTH_PRIVATE_KEY_FILE",
    "CONTENT_LINK_SECRET",
)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a port number, not {raw!r}") from None


def find_gateway_dir(start: Path | None = None) -> Path:
    """The folder holding traefik.yml and routes.yml.

    ``ENTRAIDE_GATEWAY_DIR``, else ``gateway/`` in the current folder or a
    parent, else the repository this package was installed from (editable).
    """
    env = os.environ.get("ENTRAIDE_GATEWAY_DIR")
    if env:
        return Path(env)
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / "gateway" / "traefik.yml").exists():
            return folder / "gateway"
    repo = Path(__file__).absolute().parents[3]
    if (repo / "gateway" / "traefik.yml").exists():
        return repo / "gateway"
    raise FileNotFoundError("gateway/traefik.yml not found: set ENTRAIDE_GATEWAY_DIR")


@dataclass
class StackConfig:
    data_dir: Path
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    ping_port: int = 8090
    docs_port: int = 8100
    pg_port: int = 55432
    nats_port: int = 44222
    nats_monitor_port: int = 48222
    service_ports: dict[str, int] = field(
        default_factory=lambda: {s.name: s.default_port for s in SERVICES}
    )
    #: services to run; None = every installed one
    services: tuple[str, ...] | None = None
    #: external databases by service name (no embedded PostgreSQL when all are set)
    database_urls: dict[str, str] = field(default_factory=dict)
    #: external NATS (no embedded nats-server when set)
    nats_url: str | None = None
    #: added to the environment of every process (REDIS_URL, ENTRAIDE_RATE_LIMIT_*, ...)
    extra_env: dict[str, str] = field(default_factory=dict)
    admin_email: str | None = None
    admin_password: str | None = None
    start_docs: bool = True
    start_gateway: bool = True
    gateway_dir: Path | None = None
    startup_timeout: float = 90.0

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).absolute()
        if self.gateway_dir is not None:
            self.gateway_dir = Path(self.gateway_dir)
        ports = {s.name: s.default_port for s in SERVICES}
        ports.update(self.service_ports)
        self.service_ports = ports
        if self.services is not None:
            self.services = tuple(self.services)
            for name in self.services:
                service(name)  # KeyError for an unknown name

    # -- folders
    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def secrets_dir(self) -> Path:
        return self.data_dir / "secrets"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def pg_dir(self) -> Path:
        return self.data_dir / "pg"

    @property
    def nats_dir(self) -> Path:
        return self.data_dir / "nats"

    @property
    def state_file(self) -> Path:
        return self.run_dir / "stack.json"

    # -- builders
    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        data_dir: Path | None = None,
        services: Iterable[str] | None = None,
    ) -> StackConfig:
        env = os.environ if environ is None else environ
        ports = {s.name: _int(env, s.port_var, s.default_port) for s in SERVICES}
        db_urls = {s.name: env[s.database_url_var] for s in SERVICES if env.get(s.database_url_var)}
        extra = {
            k: v
            for k, v in env.items()
            if k.startswith(PASSTHROUGH_PREFIXES) or k in PASSTHROUGH_NAMES
        }
        selected: tuple[str, ...] | None = tuple(services) if services else None
        if selected is None and env.get("ENTRAIDE_SERVICES"):
            selected = tuple(n.strip() for n in env["ENTRAIDE_SERVICES"].split(",") if n.strip())
        return cls(
            data_dir=Path(data_dir or env.get("ENTRAIDE_DATA_DIR") or Path.cwd() / ".data"),
            gateway_host=env.get("ENTRAIDE_GATEWAY_HOST", "127.0.0.1") or "127.0.0.1",
            gateway_port=_int(env, "ENTRAIDE_GATEWAY_PORT", 8000),
            ping_port=_int(env, "ENTRAIDE_GATEWAY_PING_PORT", 8090),
            docs_port=_int(env, "ENTRAIDE_DOCS_PORT", 8100),
            pg_port=_int(env, "ENTRAIDE_PG_PORT", 55432),
            nats_port=_int(env, "ENTRAIDE_NATS_PORT", 44222),
            nats_monitor_port=_int(env, "ENTRAIDE_NATS_MONITOR_PORT", 48222),
            service_ports=ports,
            services=selected,
            database_urls=db_urls,
            nats_url=env.get("NATS_URL") or None,
            extra_env=extra,
            admin_email=env.get("ENTRAIDE_ADMIN_EMAIL") or None,
            admin_password=env.get("ENTRAIDE_ADMIN_PASSWORD") or None,
            gateway_dir=Path(env["ENTRAIDE_GATEWAY_DIR"])
            if env.get("ENTRAIDE_GATEWAY_DIR")
            else None,
        )

    @classmethod
    def for_tests(
        cls,
        data_dir: Path,
        *,
        services: Iterable[str] | None = None,
        extra_env: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> StackConfig:
        """Every port free, everything under ``data_dir``, nothing read from the environment."""
        values: dict[str, Any] = {
            "data_dir": Path(data_dir),
            "gateway_port": free_port(),
            "ping_port": free_port(),
            "docs_port": free_port(),
            "pg_port": free_port(),
            "nats_port": free_port(),
            "nats_monitor_port": free_port(),
            "service_ports": {name: free_port() for name in SERVICE_NAMES},
            "services": tuple(services) if services is not None else None,
            "extra_env": dict(extra_env or {}),
            "startup_timeout": 120.0,
        }
        values.update(overrides)
        return cls(**values)

    # -- persistence (so `down`, `status`, `psql` find what `up` started)
    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["data_dir"] = str(self.data_dir)
        data["gateway_dir"] = str(self.gateway_dir) if self.gateway_dir else None
        data["services"] = list(self.services) if self.services is not None else None
        data.pop("admin_password", None)  # secrets stay in their 0600 files
        data["extra_env"] = {
            k: v
            for k, v in self.extra_env.items()
            if not any(w in k for w in ("PASSWORD", "SECRET", "PRIVATE_KEY", "TOKEN"))
        }
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StackConfig:
        values = dict(data)
        values["data_dir"] = Path(values["data_dir"])
        if values.get("gateway_dir"):
            values["gateway_dir"] = Path(values["gateway_dir"])
        if values.get("services") is not None:
            values["services"] = tuple(values["services"])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})

    def save(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(self.to_json(), indent=2), encoding="utf-8")

    @classmethod
    def load(cls, data_dir: Path) -> StackConfig | None:
        path = Path(data_dir) / "run" / "stack.json"
        if not path.exists():
            return None
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
