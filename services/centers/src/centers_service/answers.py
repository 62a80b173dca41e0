"""Read shapes built from rows (and nested data loaded in bulk beforehand).

Rows are the repository's flat read rows (``fastread``: a record's columns
as attributes, beside the labels of its joins) or, for the answer of a
write, the ORM record itself: both read the same attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from entraide_kit.context import Context
from entraide_kit.storage import media_url

from .schemas import (
    AssociationDetail,
    AssociationOut,
    AssociationRead,
    CenterBrief,
    CenterDetail,
    CenterRead,
    EquipmentRead,
    GroupRead,
    GroupSummary,
    RoomRead,
    RoomSummary,
    SupervisorOut,
)

# Uploads are served by this service under its public prefix, through the gateway.
MEDIA_PATH = "/api/centers-app/media"


def _blank(value: str) -> str | None:
    return value or None


def _association_fields(ctx: Context, a: Any) -> dict[str, Any]:
    logo = media_url(ctx, a.logo)
    return dict(
        id=a.id or 0,
        name=a.name,
        description=a.description,
        logo=logo,
        logo_url=logo,
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


def association(ctx: Context, a: Any) -> AssociationRead:
    """The contract's create answer: ``supervisor`` is the id."""
    return AssociationRead(**_association_fields(ctx, a))


def supervisor(row: Any) -> SupervisorOut | None:
    """``row``: a flat ``associations_query()`` row. Null without a supervisor;
    empty names while the user's copy has not arrived yet."""
    if row.supervisor_id is None:
        return None
    return SupervisorOut(
        id=row.supervisor_id,
        first_name=row.supervisor_first_name or "",
        last_name=row.supervisor_last_name or "",
        email=row.supervisor_email or "",
        arabic_first_name=row.supervisor_arabic_first_name or "",
        arabic_last_name=row.supervisor_arabic_last_name or "",
    )


def association_out(ctx: Context, row: Any) -> AssociationOut:
    """Reads and updates: ``supervisor`` as an object, as the original backend answered."""
    fields = _association_fields(ctx, row)
    fields["supervisor"] = supervisor(row)
    return AssociationOut(**fields)


def association_detail(ctx: Context, row: Any, centers: Sequence[Any]) -> AssociationDetail:
    fields = _association_fields(ctx, row)
    fields["supervisor"] = supervisor(row)
    return AssociationDetail(
        **fields,
        centers=[
            CenterBrief(
                id=c.id or 0,
                name=c.name,
                city=c.city,
                phone_number=c.phone_number,
                is_active=c.is_active,
                is_verified=c.is_verified,
            )
            for c in centers
        ],
    )


def _center_fields(ctx: Context, c: Any) -> dict[str, Any]:
    """``c``: a flat ``centers_query()`` row (the centre's columns and the names)."""
    logo = media_url(ctx, c.logo)
    return {
        "id": c.id or 0,
        "name": c.name,
        "description": c.description,
        "logo": logo,
        "logo_url": logo,
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
        "association_name": c.association_name,
        "affiliated_to": c.affiliated_to,
        "other_affiliation": c.other_affiliation,
        "is_active": c.is_active,
        "is_verified": c.is_verified,
        "supervisor": c.supervisor_id,
        "supervisor_first_name": c.supervisor_first_name,
        "supervisor_last_name": c.supervisor_last_name,
        "supervisor_username": c.supervisor_username,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def center(ctx: Context, row: Any) -> CenterRead:
    """``row``: a flat ``centers_query()`` row."""
    return CenterRead(**_center_fields(ctx, row))


def center_detail(
    ctx: Context,
    row: Any,
    rooms: Sequence[Any],
    groups: Sequence[Any],
    equipment_by_room: Mapping[int, Sequence[Any]],
) -> CenterDetail:
    return CenterDetail(
        **_center_fields(ctx, row),
        rooms=[room_summary(ctx, r, equipment_by_room.get(r.id or 0, ())) for r in rooms],
        groups=[
            GroupSummary(
                id=g.id or 0,
                name=g.name,
                description=g.description,
                created_at=g.created_at,
                updated_at=g.updated_at,
            )
            for g in groups
        ],
    )


def room_summary(ctx: Context, r: Any, items: Sequence[Any]) -> RoomSummary:
    picture = media_url(ctx, r.picture)
    return RoomSummary(
        id=r.id or 0,
        name=r.name,
        description=r.description,
        type=r.type,
        capacity=r.capacity,
        is_available=r.is_available,
        picture=picture,
        picture_url=picture,
        equipments=[equipment(ctx, e, r.name) for e in items],
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def equipment(ctx: Context, e: Any, room_name: str | None) -> EquipmentRead:
    picture = media_url(ctx, e.picture)
    return EquipmentRead(
        id=e.id or 0,
        name=e.name,
        description=e.description,
        condition=e.condition,
        quantity=e.quantity,
        picture=picture,
        picture_url=picture,
        center=e.center_id,
        room=e.room_id,
        room_name=room_name,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


def room(ctx: Context, r: Any, center_name: str, items: Sequence[Any]) -> RoomRead:
    picture = media_url(ctx, r.picture)
    nested = [equipment(ctx, e, r.name) for e in items]
    return RoomRead(
        id=r.id or 0,
        name=r.name,
        description=r.description,
        type=r.type,
        capacity=r.capacity,
        is_available=r.is_available,
        picture=picture,
        picture_url=picture,
        center=r.center_id,
        center_name=center_name,
        equipment=nested,
        equipments=nested,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def group(g: Any, center_name: str) -> GroupRead:
    return GroupRead(
        id=g.id or 0,
        name=g.name,
        description=g.description,
        center=g.center_id,
        center_name=center_name,
        created_at=g.created_at,
        updated_at=g.updated_at,
    )
