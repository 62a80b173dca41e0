"""Rebuild a service's read copies by replaying the stream.

``python -m entraide_kit.events.rebuild <service>`` (or ``./dev rebuild-copies
<service>``): empties the copies the service keeps (and their applied
versions), then applies the last message of every subject it subscribes to.
The service may keep running: its consumer applies only newer versions.

A service takes part by exposing ``<service>_service.handlers.SUBSCRIPTIONS``
and ``<service>_service.config.get_settings()``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

from ..db import Database
from .connection import Nats
from .consumer import ConsumerRunner, Subscription
from .revocation import revocation_subscription


def _handlers(service: str) -> object:
    """The module holding the service's reactions to events: ``handlers``, or
    ``events`` for a service that consumes nothing of its own."""
    try:
        return importlib.import_module(f"{service}_service.handlers")
    except ModuleNotFoundError as exc:
        if exc.name != f"{service}_service.handlers":
            raise
        return importlib.import_module(f"{service}_service.events")


async def rebuild(service: str) -> int:
    config = importlib.import_module(f"{service}_service.config")
    settings = config.get_settings()
    subscriptions: list[Subscription] = list(getattr(_handlers(service), "SUBSCRIPTIONS", []))
    if service != "auth":
        subscriptions.append(revocation_subscription())
    db = Database(settings.database_url, pool_size=2, max_overflow=0)
    nats = Nats(settings.nats_url, name=f"{service}-rebuild")
    try:
        runner = ConsumerRunner(service=service, db=db, nats=nats, subscriptions=subscriptions)
        return await runner.rebuild()
    finally:
        await nats.close()
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="entraide_kit.events.rebuild")
    parser.add_argument("service", help="e.g. centers")
    args = parser.parse_args(argv)
    count = asyncio.run(rebuild(args.service))
    print(f"{args.service}: replayed {count} events into its read copies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
