"""The eight services of the platform: ports, env prefixes, app modules, routes."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    default_port: int
    paths: tuple[str, ...]

    @property
    def package(self) -> str:
        return f"{self.name}_service"

    @property
    def module(self) -> str:
        """The ASGI app, as uvicorn takes it."""
        return f"{self.package}.main:app"

    @property
    def env_prefix(self) -> str:
        return f"{self.name.upper()}_"

    @property
    def database_name(self) -> str:
        return f"entraide_{self.name}"

    @property
    def port_var(self) -> str:
        return f"ENTRAIDE_{self.name.upper()}_PORT"

    @property
    def url_var(self) -> str:
        return f"ENTRAIDE_{self.name.upper()}_URL"

    @property
    def database_url_var(self) -> str:
        return f"{self.env_prefix}DATABASE_URL"

    @property
    def installed(self) -> bool:
        try:
            return importlib.util.find_spec(self.package) is not None
        except (ImportError, ValueError):
            return False


#: in start order (auth first: the others verify tokens with its key set)
SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("auth", 8101, ("/api/token", "/api/accounts")),
    ServiceSpec("centers", 8102, ("/api/centers-app", "/api/associations")),
    ServiceSpec("programs", 8103, ("/api/programs", "/api/teachers")),
    ServiceSpec("students", 8104, ("/api/students",)),
    ServiceSpec("schedule", 8105, ("/api/schedule",)),
    ServiceSpec("attendance", 8106, ("/api/attendance",)),
    ServiceSpec("exams", 8107, ("/api/exams",)),
    ServiceSpec("content", 8108, ("/api/courses",)),
)
SERVICE_NAMES = tuple(s.name for s in SERVICES)
DOCS_PATHS = ("/swagger", "/swagger.json", "/swagger.yaml", "/redoc")


def service(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown service {name!r} (one of {', '.join(SERVICE_NAMES)})")


def installed_services() -> list[ServiceSpec]:
    return [s for s in SERVICES if s.installed]
