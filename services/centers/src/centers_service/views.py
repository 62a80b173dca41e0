"""Read shapes built from rows (and nested data loaded in bulk beforehand)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request

from entraide_kit.storage import media_url

from .models import Association, Center, Equipment, Group, Room
from .schemas import (
    AssociationRead,
    CenterDetail,
    CenterRead,
    EquipmentRead,
    GroupRead,
    GroupSummary,
    RoomRead,
    RoomSummary,
)

# Uploads are served by this service under its public prefix, through the gateway.
MEDIA_PATH = "/api/centers-app/media"


def _blank(value: str) -> str | None:
    return value or None


def association(request: Request, a: Association) -> AssociationRead:
    return AssociationRead(
        id=a.id or 0,
        name=a.name,
        description=a.description,
        logo=media_url(request, a.logo),
        phone_number=a.phone_number,
        email=a.email,
        address=a.address,
        city=a.city,
        maps_link=_blank(a.maps_link),
        website=_blank(a.website),
        facebook_link=_blank(a.facebook_link),
        instagram_link=_blank(a.instagram_link),
        twitter_link=_blank(a.twitter_link),
        supervisor=a.supervisor_id,
        contract_start_date=a.contract_start_date,
        contract_end_date=a.contract_end_date,
        registration_number=a.registration_number or None,
        is_active=a.is_active,
        is_verified=a.is_verified,
        created_at=a.created_at,
        updated_at=a.updated_at,
    )


def _center_fields(request: Request, row: Any) -> dict[str, Any]:
    c: Center = row[0]
    return {
        "id": c.id or 0,
        "name": c.name,
        "description": c.description,
        "logo": media_url(request, c.logo),
        "phone_number": c.phone_number,
        "email": c.email,
        "address": c.address,
        "city": c.city,
        "maps_link": _blank(c.maps_link),
        "website": _blank(c.website),
        "facebook_link": _blank(c.facebook_link),
        "instagram_link": _blank(c.instagram_link),
        "twitter_link": _blank(c.twitter_link),
        "association": c.association_id,
        "association_name": row.association_name,
        "affiliated_to": c.affiliated_to,
        "other_affiliation": c.other_affiliation,
        "is_active": c.is_active,
        "is_verified": c.is_verified,
        "supervisor": c.supervisor_id,
        "supervisor_first_name": row.supervisor_first_name,
        "supervisor_last_name": row.supervisor_last_name,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def center(request: Request, row: Any) -> CenterRead:
    """``row``: (Center, association_name, supervisor_first_name, supervisor_last_name)."""
    return CenterRead(**_center_fields(request, row))


def center_detail(
    request: Request, row: Any, rooms: Sequence[Room], groups: Sequence[Group]
) -> CenterDetail:
    return CenterDetail(
        **_center_fields(request, row),
        rooms=[room_summary(request, r) for r in rooms],
        groups=[GroupSummary(id=g.id or 0, name=g.name, description=g.description) for g in groups],
    )


def room_summary(request: Request, r: Room) -> RoomSummary:
    return RoomSummary(
        id=r.id or 0,
        name=r.name,
        description=r.description,
        type=r.type,
        capacity=r.capacity,
        is_available=r.is_available,
        picture=media_url(request, r.picture),
    )


def equipment(request: Request, e: Equipment) -> EquipmentRead:
    return EquipmentRead(
        id=e.id or 0,
        name=e.name,
        description=e.description,
        condition=e.condition,
        quantity=e.quantity,
        picture=media_url(request, e.picture),
        center=e.center_id,
        room=e.room_id,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


def room(request: Request, r: Room, center_name: str, items: Sequence[Equipment]) -> RoomRead:
    return RoomRead(
        id=r.id or 0,
        name=r.name,
        description=r.description,
        type=r.type,
        capacity=r.capacity,
        is_available=r.is_available,
        picture=media_url(request, r.picture),
        center=r.center_id,
        center_name=center_name,
        equipment=[equipment(request, e) for e in items],
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def group(g: Group, center_name: str) -> GroupRead:
    return GroupRead(
        id=g.id or 0,
        name=g.name,
        description=g.description,
        center=g.center_id,
        center_name=center_name,
        created_at=g.created_at,
        updated_at=g.updated_at,
    )
