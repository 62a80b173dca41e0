"""Operator commands: ``python -m auth_service.cli createadmin --email E [--password P]``.

``ensure-admin`` creates the first admin from ENTRAIDE_ADMIN_EMAIL and
ENTRAIDE_ADMIN_PASSWORD when no admin exists (the service also does it at start).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from entraide_kit.db import Database
from entraide_kit.migrations import upgrade

from . import MIGRATIONS, service
from .config import get_settings
from .passwords import password_problems


async def _ensure(email: str, password: str, *, force: bool) -> int:
    settings = get_settings()
    db = Database(settings.database_url, pool_size=1, max_overflow=0)
    try:
        await upgrade(db.engine, MIGRATIONS, service=settings.service_name)
        async with db.session() as session, session.begin():
            user = await service.ensure_admin(session, email=email, password=password, force=force)
    finally:
        await db.dispose()
    if user is None:
        print("An admin already exists; nothing to do (use createadmin to add one).")
    else:
        print(f"Admin ready: {user.email}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="auth_service.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("createadmin", help="create (or promote) an admin")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="prompted for when omitted")
    sub.add_parser(
        "ensure-admin", help="create the first admin from ENTRAIDE_ADMIN_EMAIL/PASSWORD if none"
    )
    args = parser.parse_args(argv)

    if args.command == "createadmin":
        password = args.password or getpass.getpass("Password: ")
        problems = password_problems(password, attributes=[args.email, args.email.split("@")[0]])
        if problems:
            print("Refused: " + " ".join(problems), file=sys.stderr)
            return 2
        return asyncio.run(_ensure(args.email, password, force=True))

    settings = get_settings()
    if not (settings.admin_email and settings.admin_password):
        print("ENTRAIDE_ADMIN_EMAIL and ENTRAIDE_ADMIN_PASSWORD are not set.", file=sys.stderr)
        return 2
    return asyncio.run(_ensure(settings.admin_email, settings.admin_password, force=False))


if __name__ == "__main__":
    sys.exit(main())
