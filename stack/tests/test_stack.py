"""The Stack object on free ports in a temporary folder, without the real services."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from entraide_stack import Stack, StackConfig
from entraide_stack.config import find_gateway_dir
from entraide_stack.registry import SERVICE_NAMES, SERVICES, service

FAKE_SERVICE = "exams"  # stands in for a real service: a tiny FastAPI app on PYTHONPATH


def _fake_service(root: Path) -> Path:
    pkg = root / f"{FAKE_SERVICE}_service"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "main.py").write_text(
        textwrap.dedent(
            """
            import os

            from fastapi import FastAPI

            app = FastAPI(title="fake")

            @app.get("/readyz")
            def readyz():
                return {"status": "ok"}

            @app.get("/api/exams/env/")
            def env():
                keys = ("EXAMS_DATABASE_URL", "NATS_URL", "ENTRAIDE_JWKS_URL",
                        "ENTRAIDE_AUTH_URL", "ENTRAIDE_RATE_LIMIT_ANON",
                        "ENTRAIDE_ADMIN_PASSWORD", "AUTH_PRIVATE_KEY_FILE")
                return {k: os.environ.get(k) for k in keys}
            """
        )
    )
    return root


def test_registry() -> None:
    assert [s.default_port for s in SERVICES] == list(range(8101, 8109))
    assert SERVICE_NAMES[-1] == "content" and service("content").paths == ("/api/courses",)
    assert service("content").database_name == "entraide_content"
    assert service("content").module == "content_service.main:app"
    auth = service("auth")
    assert auth.module == "auth_service.main:app"
    assert auth.env_prefix == "AUTH_"
    assert auth.paths == ("/api/token", "/api/accounts")
    assert service("centers").paths == ("/api/centers-app", "/api/associations")
    with pytest.raises(KeyError):
        service("nope")


def test_routes_file_names_every_prefix() -> None:
    routes = (find_gateway_dir(Path(__file__).parent) / "routes.yml").read_text()
    for spec in SERVICES:
        for path in spec.paths:
            assert f'"{path}"' in routes, path


def test_docs_app_merges_every_service() -> None:
    from entraide_gateway.docs import SERVICES as DOCS_SERVICES

    assert DOCS_SERVICES == SERVICE_NAMES


def test_config_from_env(tmp_path: Path) -> None:
    env = {
        "ENTRAIDE_DATA_DIR": str(tmp_path),
        "ENTRAIDE_GATEWAY_PORT": "9000",
        "ENTRAIDE_AUTH_PORT": "9101",
        "ENTRAIDE_PG_PORT": "9432",
        "AUTH_DATABASE_URL": "postgresql+asyncpg://u:p@db:5432/auth",
        "NATS_URL": "nats://nats:4222",
        "REDIS_URL": "redis://r:6379/0",
        "ENTRAIDE_RATE_LIMIT_ANON": "5",
        "ENTRAIDE_ADMIN_PASSWORD": "s3cret-pass",
        "CONTENT_LINK_SECRET": "link-key-" + "k" * 40,
        "HOME": "/nowhere",
    }
    config = StackConfig.from_env(env)
    assert config.data_dir == tmp_path
    assert config.gateway_port == 9000 and config.pg_port == 9432
    assert config.service_ports["auth"] == 9101 and config.service_ports["centers"] == 8102
    assert config.database_urls == {"auth": "postgresql+asyncpg://u:p@db:5432/auth"}
    assert config.nats_url == "nats://nats:4222"
    assert config.extra_env["REDIS_URL"] == "redis://r:6379/0"
    assert "HOME" not in config.extra_env
    config.save()
    loaded = StackConfig.load(tmp_path)
    assert loaded is not None and loaded.gateway_port == 9000
    assert config.extra_env["CONTENT_LINK_SECRET"] == env["CONTENT_LINK_SECRET"]
    saved = config.state_file.read_text()
    assert "s3cret-pass" not in saved  # secrets are not saved
    assert "CONTENT_LINK_SECRET" not in saved and "link-key-" not in saved


def test_stack_start_stop(tmp_path: Path) -> None:
    fake_root = _fake_service(tmp_path / "fake")
    sys.path.insert(0, str(fake_root))
    try:
        config = StackConfig.for_tests(
            tmp_path / "data",
            services=[FAKE_SERVICE],
            extra_env={
                "PYTHONPATH": os.pathsep.join([str(fake_root), os.environ.get("PYTHONPATH", "")]),
                "ENTRAIDE_RATE_LIMIT_ANON": "7",
                "ENTRAIDE_CORS_ORIGINS": "http://localhost:3000",
            },
        )
        stack = Stack(config)
        assert [s.name for s in stack.specs] == [FAKE_SERVICE]
        with stack:
            with httpx.Client(base_url=stack.gateway_url) as client:
                seen = client.get("/api/exams/env/").json()
                assert client.get("/api/token/").status_code in (502, 503)  # auth not run
                doc = client.get("/swagger.json").json()
            assert seen["EXAMS_DATABASE_URL"] == stack.database_url(FAKE_SERVICE)
            assert seen["EXAMS_DATABASE_URL"].endswith(f":{config.pg_port}/entraide_exams")
            assert seen["NATS_URL"] == f"nats://127.0.0.1:{config.nats_port}"
            assert seen["ENTRAIDE_JWKS_URL"] == stack.jwks_url
            assert seen["ENTRAIDE_RATE_LIMIT_ANON"] == "7"
            assert seen["ENTRAIDE_ADMIN_PASSWORD"] is None  # auth only
            assert seen["AUTH_PRIVATE_KEY_FILE"] is None
            assert doc["info"]["title"] == "Entraide National API"
            assert "/api/exams/env/" in doc["paths"]

            names = {st.name: st for st in stack.status()}
            assert all(names[n].running for n in ("postgres", "nats", "exams", "docs", "traefik"))
            # another process stops it all through the saved state
            subprocess.run(
                [sys.executable, "-m", "entraide_stack", "down"],
                env={**os.environ, "ENTRAIDE_DATA_DIR": str(config.data_dir)},
                check=True,
                capture_output=True,
            )
            assert not any(st.running for st in stack.status())
        assert not stack.is_running()
    finally:
        sys.path.remove(str(fake_root))


def test_auth_env_and_signing_key(tmp_path: Path) -> None:
    stack = Stack(StackConfig.for_tests(tmp_path, services=[]))
    env = stack.service_env("auth")
    assert env["ENTRAIDE_ADMIN_EMAIL"] == "admin@entraide.ma"
    password = env["ENTRAIDE_ADMIN_PASSWORD"]
    assert len(password) >= 12
    assert stack.service_env("auth")["ENTRAIDE_ADMIN_PASSWORD"] == password  # kept
    if os.name != "nt":
        assert (stack.admin_password_file.stat().st_mode & 0o777) == 0o600
    assert env["AUTH_PRIVATE_KEY_FILE"] == str(tmp_path / "keys" / "auth-signing.pem")
    from entraide_stack.stack import generate_signing_key

    key = tmp_path / "keys" / "auth-signing.pem"
    assert generate_signing_key(key) is True
    assert generate_signing_key(key) is False
    # A PKCS8 PEM (the marker is built, so no key-looking text sits in the repo).
    assert key.read_text().startswith("-----BEGIN " + "PRIVATE KEY-----")
    if os.name != "nt":
        assert (key.stat().st_mode & 0o777) == 0o600


def test_content_link_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTENT_LINK_SECRET", raising=False)
    stack = Stack(StackConfig.for_tests(tmp_path, services=[]))
    secret = stack.service_env("content")["CONTENT_LINK_SECRET"]
    assert len(secret) >= 32
    assert stack.link_secret_file.read_text().strip() == secret
    if os.name != "nt":
        assert (stack.link_secret_file.stat().st_mode & 0o777) == 0o600
    assert stack.service_env("content")["CONTENT_LINK_SECRET"] == secret  # kept
    # the content service's alone
    for name in SERVICE_NAMES:
        if name != "content":
            assert "CONTENT_LINK_SECRET" not in stack.service_env(name), name
    assert "CONTENT_LINK_SECRET" not in stack.common_env()  # docs app, Traefik
    # one given in the environment (or extra_env) wins, and nothing is generated
    given = "g" * 48
    monkeypatch.setenv("CONTENT_LINK_SECRET", given)
    other = Stack(StackConfig.for_tests(tmp_path / "other", services=[]))
    assert other.service_env("content")["CONTENT_LINK_SECRET"] == given
    assert "CONTENT_LINK_SECRET" not in other.service_env("auth")
    assert "CONTENT_LINK_SECRET" not in other.common_env()
    assert not other.link_secret_file.exists()
    monkeypatch.delenv("CONTENT_LINK_SECRET")
    extra = Stack(
        StackConfig.for_tests(
            tmp_path / "extra", services=[], extra_env={"CONTENT_LINK_SECRET": "e" * 40}
        )
    )
    assert extra.service_env("content")["CONTENT_LINK_SECRET"] == "e" * 40
    assert "CONTENT_LINK_SECRET" not in extra.service_env("exams")
    extra.config.save()
    assert "e" * 40 not in extra.config.state_file.read_text()  # never in the state file


PREFLIGHT = {
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "authorization,content-type",
}


def _gateway_allows(env: dict[str, str], tmp_path: Path, origins: list[str]) -> dict[str, bool]:
    """Which origins the real Traefik, rendered with ``env``, allows on a preflight."""
    from entraide_stack.embedded import EmbeddedTraefik, free_port

    gateway_dir = find_gateway_dir()
    traefik = EmbeddedTraefik(
        config_template=gateway_dir / "traefik.yml",
        routes_file=gateway_dir / "routes.yml",
        run_dir=tmp_path / "run",
        gateway_port=free_port(),
        ping_port=free_port(),
        log_file=tmp_path / "traefik.log",
        access_log=tmp_path / "access.log",
        pid_file=tmp_path / "traefik.pid",
        env=env,
    )
    traefik.start()
    try:
        with httpx.Client(base_url=traefik.url) as client:
            out = {}
            for origin in origins:
                resp = client.options(
                    "/api/accounts/users/", headers={**PREFLIGHT, "Origin": origin}
                )
                out[origin] = resp.headers.get("access-control-allow-origin") == origin
            return out
    finally:
        traefik.stop()


LOCAL_ORIGINS = ["http://localhost:5173", "http://127.0.0.1:4173", "http://localhost:5174"]


def test_cors_allows_local_dev_origins_outside_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entraide_stack.stack import CORS_REGEX, DEV_CORS_ORIGIN_REGEX

    monkeypatch.delenv(CORS_REGEX, raising=False)
    monkeypatch.delenv("ENTRAIDE_ENV", raising=False)
    dev = Stack(StackConfig.for_tests(tmp_path / "dev", services=[])).gateway_env()
    assert dev[CORS_REGEX] == DEV_CORS_ORIGIN_REGEX
    evil = ["http://localhost.evil.example", "https://evil.example", "http://localhost:5173.x"]
    allowed = _gateway_allows(dev, tmp_path / "dev", LOCAL_ORIGINS + evil)
    assert allowed == {**dict.fromkeys(LOCAL_ORIGINS, True), **dict.fromkeys(evil, False)}

    config = StackConfig.for_tests(
        tmp_path / "prod",
        services=[],
        extra_env={
            "ENTRAIDE_ENV": "production",
            "ENTRAIDE_CORS_ORIGINS": "https://app.entraide.ma",
        },
    )
    prod = Stack(config).gateway_env()
    assert CORS_REGEX not in prod
    allowed = _gateway_allows(prod, tmp_path / "prod", [*LOCAL_ORIGINS, "https://app.entraide.ma"])
    assert allowed == {**dict.fromkeys(LOCAL_ORIGINS, False), "https://app.entraide.ma": True}
    # Set, even to nothing, it is the operator's choice in development too.
    monkeypatch.setenv(CORS_REGEX, "")
    assert (
        Stack(StackConfig.for_tests(tmp_path / "off", services=[])).gateway_env()[CORS_REGEX] == ""
    )
