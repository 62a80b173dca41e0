"""``python -m entraide_stack <verb>``: up, down, status, logs, createadmin, psql, env."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .config import StackConfig
from .embedded import psql_argv_for_url, tail_file
from .registry import SERVICE_NAMES, service
from .stack import Stack, StackError

log = logging.getLogger("entraide.stack")


def _data_dir() -> Path:
    return Path(os.environ.get("ENTRAIDE_DATA_DIR") or Path.cwd() / ".data").absolute()


def _existing_stack() -> Stack:
    """The stack `up` started in the data folder, else one configured from the environment."""
    return Stack.from_state(_data_dir()) or Stack(StackConfig.from_env())


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def print_summary(stack: Stack) -> None:
    url = stack.public_url
    lines = [
        "",
        f"Entraide is up: {url}/api/",
        f"  Swagger UI: {url}/swagger/   ReDoc: {url}/redoc/   OpenAPI: {url}/swagger.json",
    ]
    if any(s.name == "auth" for s in stack.specs):
        email = stack.admin_email
        password = stack.admin_password()
        where = (
            "from ENTRAIDE_ADMIN_PASSWORD"
            if stack.config.admin_password
            else f"kept in {_rel(stack.admin_password_file)}"
        )
        body = json.dumps({"email": email, "password": password}, separators=(",", ":"))
        lines += [
            f"  first admin: {email}",
            f"  password:    {password}   ({where}; made when no admin exists yet)",
            "  get a token:",
            f"    curl -s -X POST {url}/api/token/ -H 'Content-Type: application/json' "
            f"-d {shlex.quote(body)}",
        ]
    running = [s.name for s in stack.specs]
    lines.append(f"  services: {', '.join(running) or 'none'}")
    if stack.missing:
        lines.append(f"  not built yet (their routes answer 502): {', '.join(stack.missing)}")
    lines.append(f"  logs: {_rel(stack.config.logs_dir)}/   stop: ./dev down")
    print("\n".join(lines), flush=True)


def cmd_up(args: argparse.Namespace) -> int:
    services = [s.strip() for s in args.services.split(",")] if args.services else None
    config = StackConfig.from_env(services=services)
    stack = Stack(config)

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if not args.detach:
        signal.signal(signal.SIGTERM, on_term)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        stack.start()
    except KeyboardInterrupt:
        print("interrupted: stopped", file=sys.stderr)
        return 130
    except (StackError, OSError, ValueError) as exc:
        print(f"\nthe stack did not start: {exc}", file=sys.stderr)
        return 1
    print_summary(stack)
    if args.detach:
        return 0
    print("Ctrl-C stops everything.", flush=True)
    try:
        stack.wait_forever()
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            stack.stop()
        except StackError as exc:
            print(f"some parts did not stop: {exc}", file=sys.stderr)
            return 1
    print("stopped.")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    stack = _existing_stack()
    try:
        stack.stop()
    except StackError as exc:
        print(f"some parts did not stop: {exc}", file=sys.stderr)
        return 1
    print("stopped.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    stack = _existing_stack()
    rows = stack.status()
    for st in rows:
        state = "running" if st.running else "stopped"
        pid = str(st.pid) if st.pid else "-"
        note = f"  ({st.note})" if st.note else ""
        print(f"{st.name:<11} {state:<8} pid {pid:<8} {st.url}{note}")
    return 0 if any(st.running and st.note != "external" for st in rows) else 3


def cmd_logs(args: argparse.Namespace) -> int:
    stack = _existing_stack()
    logs = stack.config.logs_dir
    if args.name:
        name = "gateway-access" if args.name in ("access", "gateway-access") else args.name
        files = [logs / f"{name}.log"]
        if not files[0].exists():
            print(f"no log {files[0]}", file=sys.stderr)
            return 1
    else:
        files = sorted(logs.glob("*.log")) if logs.exists() else []
    for path in files:
        if len(files) > 1:
            print(f"==> {_rel(path)} <==")
        print(tail_file(path, args.lines))
    if args.follow and files:
        return _follow(files)
    return 0


def _follow(files: Sequence[Path]) -> int:
    positions = {p: p.stat().st_size if p.exists() else 0 for p in files}
    try:
        while True:
            for path in files:
                if not path.exists():
                    continue
                size = path.stat().st_size
                if size < positions[path]:
                    positions[path] = 0
                if size > positions[path]:
                    with path.open("rb") as fh:
                        fh.seek(positions[path])
                        data = fh.read()
                    positions[path] = size
                    prefix = f"[{path.stem}] " if len(files) > 1 else ""
                    for line in data.decode("utf-8", "replace").splitlines():
                        print(f"{prefix}{line}", flush=True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0


def _with_postgres(stack: Stack) -> bool:
    """Start the embedded PostgreSQL when it is needed and down; True when we started it."""
    if not stack.uses_embedded_postgres:
        return False
    pg = stack.postgres
    if pg.is_running():
        return False
    pg.start()
    return True


def cmd_createadmin(args: argparse.Namespace) -> int:
    stack = _existing_stack()
    password = args.password
    if not password:
        if not sys.stdin.isatty():
            print("--password is required when not on a terminal", file=sys.stderr)
            return 2
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            print("the passwords differ", file=sys.stderr)
            return 2
    started = _with_postgres(stack)
    try:
        if stack.uses_embedded_postgres:
            stack.postgres.create_database(service("auth").database_name)
        argv = [sys.executable, "-m", "auth_service.cli", "createadmin", "--email", args.email]
        argv += ["--password", password]
        return subprocess.call(argv, env=stack.service_env("auth"))
    finally:
        if started:
            stack.postgres.stop()


def cmd_psql(args: argparse.Namespace) -> int:
    stack = _existing_stack()
    name = args.service
    spec = service(name)
    external = stack.config.database_urls.get(name)
    started = False
    if external:
        argv, env = psql_argv_for_url(external)
    else:
        started = _with_postgres(stack)
        pg = stack.postgres
        pg.create_database(spec.database_name)
        argv, env = pg.psql_argv(spec.database_name), pg.psql_env()
    try:
        return subprocess.call([*argv, *args.psql_args], env=env)
    finally:
        if started:
            stack.postgres.stop()


def cmd_rebuild_copies(args: argparse.Namespace) -> int:
    """Replay the event stream into a service's read copies, with the environment
    the service runs with (its database's generated password, NATS's port)."""
    stack = _existing_stack()
    argv = [sys.executable, "-m", "entraide_kit.events.rebuild", args.service]
    return subprocess.call(argv, env=stack.service_env(args.service))


def cmd_env(args: argparse.Namespace) -> int:
    """Print the environment a service runs with (to run it by hand, e.g. under a debugger)."""
    stack = _existing_stack()
    env = stack.service_env(args.service)
    keys = sorted(
        k
        for k in env
        if k.startswith(("ENTRAIDE_", "NATS_URL", "REDIS_URL", "AUTH_"))
        or k.endswith("DATABASE_URL")
    )
    for key in keys:
        print(f"export {key}={shlex.quote(env[key])}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="entraide_stack", description=__doc__)
    sub = parser.add_subparsers(dest="verb", required=True)

    up = sub.add_parser("up", help="start the embedded stack (Ctrl-C stops it)")
    up.add_argument("-d", "--detach", action="store_true", help="start in the background")
    up.add_argument("--services", help="comma-separated services to run (default: all installed)")
    up.set_defaults(func=cmd_up)

    sub.add_parser("down", help="stop everything `up` started").set_defaults(func=cmd_down)
    sub.add_parser("status", help="what runs, where").set_defaults(func=cmd_status)

    logs = sub.add_parser("logs", help="tail the logs (all, or one: auth, traefik, access, ...)")
    logs.add_argument("name", nargs="?")
    logs.add_argument("-n", "--lines", type=int, default=40)
    logs.add_argument("-f", "--follow", action="store_true")
    logs.set_defaults(func=cmd_logs)

    ca = sub.add_parser("createadmin", help="create an admin user")
    ca.add_argument("--email", required=True)
    ca.add_argument("--password")
    ca.set_defaults(func=cmd_createadmin)

    psql = sub.add_parser("psql", help="psql on a service's database (default auth)")
    psql.add_argument("service", nargs="?", default="auth", choices=SERVICE_NAMES)
    psql.add_argument("psql_args", nargs=argparse.REMAINDER)
    psql.set_defaults(func=cmd_psql)

    rebuild = sub.add_parser(
        "rebuild-copies", help="replay the event stream into a service's read copies"
    )
    rebuild.add_argument("service", choices=SERVICE_NAMES)
    rebuild.set_defaults(func=cmd_rebuild_copies)

    env = sub.add_parser("env", help="print a service's environment as shell exports")
    env.add_argument("service", nargs="?", default="auth", choices=SERVICE_NAMES)
    env.set_defaults(func=cmd_env)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=os.environ.get("ENTRAIDE_STACK_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
    )
    args = build_parser().parse_args(argv)
    return int(args.func(args))
