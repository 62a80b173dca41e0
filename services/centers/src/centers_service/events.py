"""What the centers service publishes (what it consumes: ``handlers.py``).

Publishes (``entraide.centers.<entity>.<id>``):
- ``association``: id, name, city, supervisor, is_active, is_verified
- ``center``: id, name, city, association, association_name, supervisor,
  affiliated_to, is_active, is_verified
- ``room``: id, name, type, capacity, is_available, center
- ``group``: id, name, description, center
Deletes are ``op=delete``; deleting a centre publishes the deletion of its
rooms and groups too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.events import Outbox

from .models import Association, Center, Group, Room

OUTBOX = Outbox("centers")


def association_snapshot(a: Association) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "city": a.city,
        "supervisor": a.supervisor_id,
        "is_active": a.is_active,
        "is_verified": a.is_verified,
    }


def center_snapshot(c: Center, association_name: str | None) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "city": c.city,
        "association": c.association_id,
        "association_name": association_name,
        "supervisor": c.supervisor_id,
        "affiliated_to": c.affiliated_to,
        "is_active": c.is_active,
        "is_verified": c.is_verified,
    }


def room_snapshot(r: Room) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "type": r.type,
        "capacity": r.capacity,
        "is_available": r.is_available,
        "center": r.center_id,
    }


def group_snapshot(g: Group) -> dict[str, Any]:
    return {"id": g.id, "name": g.name, "description": g.description, "center": g.center_id}


async def association_changed(session: AsyncSession, a: Association) -> None:
    await OUTBOX.upsert(session, "association", a.id or 0, a.version, association_snapshot(a))


async def center_changed(session: AsyncSession, c: Center, association_name: str | None) -> None:
    await OUTBOX.upsert(
        session, "center", c.id or 0, c.version, center_snapshot(c, association_name)
    )


async def room_changed(session: AsyncSession, r: Room) -> None:
    await OUTBOX.upsert(session, "room", r.id or 0, r.version, room_snapshot(r))


async def group_changed(session: AsyncSession, g: Group) -> None:
    await OUTBOX.upsert(session, "group", g.id or 0, g.version, group_snapshot(g))


async def deleted(session: AsyncSession, entity: str, entity_id: int, version: int) -> None:
    # One past the last upsert, so the deletion wins over any late copy of it.
    await OUTBOX.delete(session, entity, entity_id, version + 1)
