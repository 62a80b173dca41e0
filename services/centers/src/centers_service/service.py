"""Business rules of the centers service. Writes through the repository and the
outbox; never commits (the request's session does)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from entraide_kit import records
from entraide_kit.auth import Principal, Role
from entraide_kit.copies import users
from entraide_kit.errors import ValidationFailed
from entraide_kit.storage import Storage, media_url, read_image

from . import events, policies, repository
from .models import Association, Center, Equipment, Group, Room
from .schemas import TEXT_FIELDS, URL_FIELDS

CONSTRAINTS = {
    "uq_associations_name": ("name", "association with this name already exists."),
    "uq_associations_registration_number": (
        "registration_number",
        "association with this registration number already exists.",
    ),
    "ck_associations_contract_dates": (
        "contract_end_date",
        "The contract cannot end before it starts.",
    ),
    "uq_centers_name": ("name", "center with this name already exists."),
    "ck_centers_other_affiliation": (
        "other_affiliation",
        "This field is required when affiliated_to is other.",
    ),
    "fk_centers_association_id_associations": (
        "association",
        "Invalid pk - object does not exist.",
    ),
    "uq_rooms_center_id_name": ("name", "A room with this name already exists in this center."),
    "uq_center_groups_center_id_name": (
        "name",
        "A group with this name already exists in this center.",
    ),
    "fk_equipment_room_id_rooms": ("room", "The room must belong to the equipment's center."),
}
RENAMES = {
    "supervisor": "supervisor_id",
    "association": "association_id",
    "center": "center_id",
    "room": "room_id",
}
IMAGE_FIELDS = {"logo": "logos", "picture": "pictures"}


def _invalid_pk(field: str, pk: Any) -> ValidationFailed:
    return ValidationFailed({field: [f'Invalid pk "{pk}" - object does not exist.']})


async def _columns(
    data: BaseModel, files: dict[str, UploadFile], storage: Storage | None
) -> dict[str, Any]:
    """The columns to write: sent fields only, renamed, text nulls as "", images stored."""
    values: dict[str, Any] = {}
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None:
            value = "" if name in TEXT_FIELDS else None
        elif name in URL_FIELDS or name in IMAGE_FIELDS:
            value = str(value)
        values[RENAMES.get(name, name)] = value
    for name, folder in IMAGE_FIELDS.items():
        upload = files.get(name)
        if upload is not None and storage is not None:
            image = await read_image(upload, field=name)
            values[name] = await storage.save(
                folder=f"centers/{folder}",
                data=image.data,
                content_type=image.content_type,
                extension=image.extension,
            )
    return values


def _keep_served_image(
    request: Request, values: dict[str, Any], field: str, current: str | None
) -> None:
    """An image field sent back as the URL we serve for it (a client echoing the
    record it read) leaves the stored file as it is."""
    if current and values.get(field) and values[field] == media_url(request, current):
        values[field] = current


async def _check_user(
    session: AsyncSession, request: Request, field: str, user_id: int | None, role: Role
) -> None:
    if user_id is None:
        return
    user = await users.get_user(session, user_id, request=request)
    if user is None:
        raise _invalid_pk(field, user_id)
    if user.role != role.value:
        raise ValidationFailed({field: [f"The {field} must be a user with the role {role.value}."]})
    if not user.is_active:
        raise ValidationFailed({field: [f"The {field} must be an active user."]})


def _check_contract(start: Any, end: Any) -> None:
    if start and end and end < start:
        raise ValidationFailed({"contract_end_date": ["The contract cannot end before it starts."]})


# ------------------------------------------------------------------ associations


async def save_association(
    session: AsyncSession,
    request: Request,
    storage: Storage,
    *,
    data: BaseModel,
    files: dict[str, UploadFile],
    association: Association | None = None,
) -> Association:
    values = await _columns(data, files, storage)
    _keep_served_image(request, values, "logo", association.logo if association else None)
    if association is not None and values.get("supervisor_id", 0) == association.supervisor_id:
        # Sent back as read (the web client echoes it on every save): unchanged,
        # so not checked again (a supervisor since deactivated must not block a save).
        del values["supervisor_id"]
    if values.get("supervisor_id") is not None:
        await _check_user(
            session, request, "supervisor", values["supervisor_id"], Role.association_supervisor
        )
    for name in ("name", "is_active", "is_verified"):
        if name in values and values[name] is None:
            raise ValidationFailed({name: ["This field may not be null."]})
    start = values.get(
        "contract_start_date", association.contract_start_date if association else None
    )
    end = values.get("contract_end_date", association.contract_end_date if association else None)
    _check_contract(start, end)
    old_name = association.name if association else None
    association = await records.write(
        session, Association, values, record=association, constraints=CONSTRAINTS
    )
    if old_name is not None and association.name != old_name:
        # Centres show their association's name: they change with it.
        for center in await repository.centers_of_association(session, association.id or 0):
            await records.save(session, center, {})
            await events.center_changed(session, center, association.name)
    await events.association_changed(session, association)
    return association


async def delete_association(session: AsyncSession, association: Association) -> None:
    centers = await repository.centers_of_association(session, association.id or 0)
    await events.deleted(session, "association", association.id or 0, association.version)
    await records.remove(session, association)
    for center in centers:
        await session.refresh(center)  # the database set association_id to NULL
        await records.save(session, center, {})
        await events.center_changed(session, center, None)


# ------------------------------------------------------------------ centres


async def save_center(
    session: AsyncSession,
    request: Request,
    storage: Storage,
    *,
    data: BaseModel,
    files: dict[str, UploadFile],
    center: Center | None = None,
) -> Center:
    values = await _columns(data, files, storage)
    _keep_served_image(request, values, "logo", center.logo if center else None)
    for name in ("name", "affiliated_to", "is_active", "is_verified"):
        if name in values and values[name] is None:
            raise ValidationFailed({name: ["This field may not be null."]})
    if values.get("supervisor_id") is not None:
        await _check_user(
            session, request, "supervisor", values["supervisor_id"], Role.center_supervisor
        )
    association_name = None
    association_id = values.get("association_id", center.association_id if center else None)
    if association_id is not None:
        association = await records.get(session, Association, association_id)
        if association is None:
            raise _invalid_pk("association", association_id)
        association_name = association.name
    affiliated = values.get("affiliated_to", center.affiliated_to if center else "entraide")
    other = values.get("other_affiliation", center.other_affiliation if center else "")
    if affiliated == "other" and not other:
        raise ValidationFailed(
            {"other_affiliation": ["This field is required when affiliated_to is other."]}
        )
    center = await records.write(session, Center, values, record=center, constraints=CONSTRAINTS)
    await events.center_changed(session, center, association_name)
    return center


async def delete_center(session: AsyncSession, center: Center) -> None:
    """Delete a centre with its rooms, equipment and groups, and say so."""
    center_id = center.id or 0
    for room_id, version in await repository.ids_in_center(session, Room, center_id):
        await events.deleted(session, "room", room_id, version)
    for group_id, version in await repository.ids_in_center(session, Group, center_id):
        await events.deleted(session, "group", group_id, version)
    await events.deleted(session, "center", center_id, center.version)
    await records.remove(session, center)


# ------------------------------------------------------------------ rooms, equipment, groups


async def _target_center(
    session: AsyncSession, actor: Principal, values: dict[str, Any], current: int | None
) -> int:
    center_id = values.get("center_id", current)
    if center_id is None:
        raise ValidationFailed({"center": ["This field may not be null."]})
    if current is not None and center_id != current:
        # Moving out of a centre needs the right to both.
        await policies.center_for_write(session, actor, current)
    await policies.center_for_write(session, actor, center_id)
    return int(center_id)


async def save_room(
    session: AsyncSession,
    actor: Principal,
    storage: Storage,
    *,
    data: BaseModel,
    files: dict[str, UploadFile],
    room: Room | None = None,
) -> Room:
    values = await _columns(data, files, storage)
    await _target_center(session, actor, values, room.center_id if room else None)
    for name in ("name", "type", "capacity", "is_available"):
        if name in values and values[name] is None:
            raise ValidationFailed({name: ["This field may not be null."]})
    room = await records.write(session, Room, values, record=room, constraints=CONSTRAINTS)
    await events.room_changed(session, room)
    return room


async def delete_room(session: AsyncSession, actor: Principal, room: Room) -> None:
    await policies.center_for_write(session, actor, room.center_id)
    await events.deleted(session, "room", room.id or 0, room.version)
    await records.remove(session, room)


async def save_equipment(
    session: AsyncSession,
    actor: Principal,
    storage: Storage,
    *,
    data: BaseModel,
    files: dict[str, UploadFile],
    equipment: Equipment | None = None,
) -> Equipment:
    values = await _columns(data, files, storage)
    center_id = await _target_center(
        session, actor, values, equipment.center_id if equipment else None
    )
    for name in ("name", "condition", "quantity"):
        if name in values and values[name] is None:
            raise ValidationFailed({name: ["This field may not be null."]})
    room_id = values.get("room_id", equipment.room_id if equipment else None)
    if room_id is not None:
        room = await records.get(session, Room, room_id)
        if room is None:
            raise _invalid_pk("room", room_id)
        if room.center_id != center_id:
            raise ValidationFailed({"room": ["The room must belong to the equipment's center."]})
    equipment = await records.write(
        session, Equipment, values, record=equipment, constraints=CONSTRAINTS
    )
    return equipment


async def delete_equipment(session: AsyncSession, actor: Principal, equipment: Equipment) -> None:
    await policies.center_for_write(session, actor, equipment.center_id)
    await records.remove(session, equipment)


async def save_group(
    session: AsyncSession, actor: Principal, *, data: BaseModel, group: Group | None = None
) -> Group:
    values = await _columns(data, {}, None)
    await _target_center(session, actor, values, group.center_id if group else None)
    if "name" in values and values["name"] is None:
        raise ValidationFailed({"name": ["This field may not be null."]})
    group = await records.write(session, Group, values, record=group, constraints=CONSTRAINTS)
    await events.group_changed(session, group)
    return group


async def delete_group(session: AsyncSession, actor: Principal, group: Group) -> None:
    await policies.center_for_write(session, actor, group.center_id)
    await events.deleted(session, "group", group.id or 0, group.version)
    await records.remove(session, group)
