"""The real servers from wheels: PostgreSQL, NATS, Traefik (gateway/ config)."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from entraide_stack.config import find_gateway_dir
from entraide_stack.embedded import (
    EmbeddedNats,
    EmbeddedPostgres,
    EmbeddedTraefik,
    Process,
    create_database_if_missing,
    free_port,
    wait_http_ok,
)

from .conftest import EchoServer

GATEWAY_DIR = find_gateway_dir(Path(__file__).parent)


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    base = tmp_path_factory.mktemp("pg")
    pg = EmbeddedPostgres(
        base / "data",
        free_port(),
        password_file=base / "secrets" / "pg-password",
        log_file=base / "logs" / "postgres.log",
    )
    pg.start()
    yield pg
    pg.stop()


def test_postgres_password_file_is_private(postgres: EmbeddedPostgres) -> None:
    assert postgres.is_running()
    if os.name != "nt":
        assert (postgres.password_file.stat().st_mode & 0o777) == 0o600
    assert postgres.url("x").startswith("postgresql+asyncpg://postgres:")
    assert postgres.url("x").endswith(f"@127.0.0.1:{postgres.port}/x")


async def test_postgres_create_database_and_connect(postgres: EmbeddedPostgres) -> None:
    import asyncpg

    assert postgres.create_database("entraide_trial") is True
    assert create_database_if_missing(postgres.dsn(), "entraide_trial") is False
    conn = await asyncpg.connect(postgres.dsn("entraide_trial"))
    try:
        assert await conn.fetchval("SELECT current_database()") == "entraide_trial"
    finally:
        await conn.close()
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(postgres.dsn("entraide_trial").replace(postgres.password, "nope"))


def test_postgres_refuses_odd_database_names(postgres: EmbeddedPostgres) -> None:
    with pytest.raises(ValueError):
        postgres.create_database('x"; DROP DATABASE postgres; --')


def test_postgres_restart_keeps_data_and_survives_a_kill(postgres: EmbeddedPostgres) -> None:
    postgres.create_database("entraide_keep")
    again = EmbeddedPostgres(
        postgres.data_dir,
        postgres.port,
        password_file=postgres.password_file,
        log_file=postgres.log_file,
    )
    again.start()  # already running: reused
    assert not again.started_by_us
    postgres.kill()  # leaves a stale postmaster.pid
    assert (postgres.data_dir / "postmaster.pid").exists()
    postgres.start()
    assert postgres.started_by_us
    assert postgres.create_database("entraide_keep") is False


def test_nats_with_jetstream(tmp_path: Path) -> None:
    nats = EmbeddedNats(
        tmp_path / "js",
        free_port(),
        free_port(),
        log_file=tmp_path / "nats.log",
        pid_file=tmp_path / "nats.pid",
    )
    nats.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{nats.monitor_port}/jsz") as resp:
            jsz = json.load(resp)
        assert jsz["config"]["store_dir"].startswith(str(tmp_path))
        with socket.create_connection(("127.0.0.1", nats.port), timeout=5) as sock:
            assert sock.recv(4096).startswith(b"INFO ")
        # another process can stop it through the pid file
        Process("nats", [], log_file=tmp_path / "nats.log", pid_file=tmp_path / "nats.pid").stop()
        deadline = time.monotonic() + 30
        while nats.is_running() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not nats.is_running()
    finally:
        nats.stop()


def test_process_wrapper(tmp_path: Path) -> None:
    import sys

    port = free_port()
    proc = Process(
        "http",
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        log_file=tmp_path / "http.log",
        pid_file=tmp_path / "http.pid",
        cwd=tmp_path,
    )
    proc.start()
    try:
        proc.wait_http_ok(f"http://127.0.0.1:{port}/", timeout=20)
        assert proc.is_running() and proc.pid
        again = Process("http", [], log_file=tmp_path / "http.log", pid_file=tmp_path / "http.pid")
        assert again.start().adopted  # a live pid file is reused, not started twice
        proc.kill()
        assert not proc.is_running()
        assert not (tmp_path / "http.pid").exists()
    finally:
        proc.stop()


def test_a_pid_file_survives_a_stepped_clock(tmp_path: Path) -> None:
    """Start times are boot time plus ticks: a clock stepped by NTP moves them all
    (35 s once in CI, and the stack's processes were then neither killed nor
    stopped). The command line still names the process; another command at a
    recycled pid is not it."""
    import sys

    argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    proc = Process("sleeper", argv, log_file=tmp_path / "s.log", pid_file=tmp_path / "s.pid")
    proc.start()
    try:
        info = json.loads((tmp_path / "s.pid").read_text())
        info["create_time"] -= 35.0
        (tmp_path / "s.pid").write_text(json.dumps(info))
        reader = Process("sleeper", [], log_file=tmp_path / "s.log", pid_file=tmp_path / "s.pid")
        assert reader.pid == proc.pid and reader.is_running()
        reader.kill()
        assert not proc.is_running()
        # A recycled pid: the recorded start time and command are another program's.
        other = Process("other", argv, log_file=tmp_path / "o.log", pid_file=tmp_path / "o.pid")
        other.start()
        info = json.loads((tmp_path / "o.pid").read_text())
        info["create_time"] -= 35.0
        info["argv"] = [sys.executable, "-m", "something.else"]
        (tmp_path / "o.pid").write_text(json.dumps(info))
        stranger = Process("other", [], log_file=tmp_path / "o.log", pid_file=tmp_path / "o.pid")
        assert stranger.pid is None
        other.stop()
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, echo_server: EchoServer
) -> Iterator[EmbeddedTraefik]:
    base = tmp_path_factory.mktemp("traefik")
    traefik = EmbeddedTraefik(
        config_template=GATEWAY_DIR / "traefik.yml",
        routes_file=GATEWAY_DIR / "routes.yml",
        run_dir=base / "run",
        gateway_port=free_port(),
        ping_port=free_port(),
        log_file=base / "traefik.log",
        access_log=base / "access.log",
        pid_file=base / "traefik.pid",
        env={
            "ENTRAIDE_AUTH_URL": echo_server.url,
            "ENTRAIDE_CONTENT_URL": echo_server.url,
            "ENTRAIDE_DOCS_URL": echo_server.url,
            "ENTRAIDE_CENTERS_URL": f"http://127.0.0.1:{free_port()}",  # nothing there
            "ENTRAIDE_CORS_ORIGINS": "http://localhost:3000, https://app.entraide.example",
        },
    )
    traefik.start()
    yield traefik
    traefik.stop()


def test_gateway_routes_every_prefix(gateway: EmbeddedTraefik) -> None:
    with httpx.Client(base_url=gateway.url) as client:
        for path in (
            "/api/token/",
            "/api/token",
            "/api/accounts/users/me/",
            "/api/courses",
            "/api/courses/courses/",
            "/api/courses/media/lessons/x.pdf",
        ):
            resp = client.get(path)
            assert resp.status_code == 200, path
            assert resp.json()["path"] == path
        for path in ("/swagger/", "/swagger.json", "/swagger.yaml", "/redoc/", "/swagger"):
            assert client.get(path).status_code == 200, path
        assert client.get("/api/tokens-of-someone-else/").status_code == 404
        assert client.get("/api/coursesware/").status_code == 404
        assert client.get("/metrics").status_code == 404
        assert client.get("/healthz").status_code == 404


def test_gateway_route_without_upstream_is_502(gateway: EmbeddedTraefik) -> None:
    with httpx.Client(base_url=gateway.url) as client:
        assert client.get("/api/centers-app/centers/").status_code in (502, 503)
        # not configured at all: defaults to a closed port
        assert client.get("/api/exams/").status_code in (502, 503)


def test_gateway_body_limit(gateway: EmbeddedTraefik) -> None:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        big = client.post("/api/token/", content=b"x" * (11 * 1024 * 1024))
        assert big.status_code == 413
        ok = client.post("/api/token/", content=b"x" * (2 * 1024 * 1024))
        assert ok.status_code == 200


def test_gateway_cors_preflight(gateway: EmbeddedTraefik) -> None:
    headers = {
        "Origin": "http://localhost:3000",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    with httpx.Client(base_url=gateway.url) as client:
        resp = client.options("/api/accounts/users/", headers=headers)
        assert resp.status_code == 200
        assert resp.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert "PATCH" in resp.headers["access-control-allow-methods"]
        assert "Authorization" in resp.headers["access-control-allow-headers"]
        evil = client.options(
            "/api/accounts/users/", headers={**headers, "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in evil.headers
        simple = client.get("/api/token/", headers={"Origin": "https://app.entraide.example"})
        assert simple.headers["access-control-allow-origin"] == "https://app.entraide.example"
        assert "X-RateLimit-Remaining" in simple.headers["access-control-expose-headers"]


def test_gateway_security_headers(gateway: EmbeddedTraefik) -> None:
    with httpx.Client(base_url=gateway.url) as client:
        api = client.get("/api/token/")
        assert api.headers["x-frame-options"] == "DENY"
        assert api.headers["x-content-type-options"] == "nosniff"
        assert api.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in api.headers["content-security-policy"]
        docs = client.get("/swagger/")
        assert "script-src 'self'" in docs.headers["content-security-policy"]
        assert "server" not in api.headers


def test_gateway_does_not_trust_client_forwarded_headers(gateway: EmbeddedTraefik) -> None:
    spoof = {
        "X-Forwarded-For": "6.6.6.6",
        "X-Real-Ip": "6.6.6.6",
        "X-Forwarded-Host": "evil.example",
        "X_Forwarded_For": "7.7.7.7",
    }
    with httpx.Client(base_url=gateway.url) as client:
        seen = client.get("/api/token/", headers=spoof).json()["headers"]
    lowered = {k.lower(): v for k, v in seen.items()}
    assert lowered["x-forwarded-for"] == "127.0.0.1"
    assert lowered["x-real-ip"] == "127.0.0.1"
    assert lowered["x-forwarded-host"] != "evil.example"
    assert "x_forwarded_for" not in lowered


def test_gateway_access_log_is_json(gateway: EmbeddedTraefik) -> None:
    with httpx.Client(base_url=gateway.url) as client:
        client.get("/api/token/?probe=access-log")
    wait_http_ok(gateway.ping_url, 5)
    lines = [ln for ln in gateway.access_log.read_text().splitlines() if ln.strip()]
    assert lines and all(json.loads(ln)["RequestPath"] for ln in lines[-3:])
