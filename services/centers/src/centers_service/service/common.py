"""What the centres' resources share: the columns a body writes, the
constraints' messages, the checks of referenced users and centres, pages."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from entraide_kit.auth import Principal, Role
from entraide_kit.context import Context
from entraide_kit.copies import users
from entraide_kit.errors import ValidationFailed
from entraide_kit.pagination import PageParams, build_page
from entraide_kit.storage import Storage, media_url, read_image

from .. import policies
from ..schemas import TEXT_FIELDS, URL_FIELDS

P = TypeVar("P", bound=BaseModel)

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


def page_of(model: type[P], ctx: Context, params: PageParams, count: int, results: list[Any]) -> P:
    """The list's answer, built once (its items are answers already)."""
    return model.model_construct(**build_page(ctx, params, count, results))


def invalid_pk(field: str, pk: Any) -> ValidationFailed:
    return ValidationFailed({field: [f'Invalid pk "{pk}" - object does not exist.']})


def refuse_nulls(values: dict[str, Any], *names: str) -> None:
    for name in names:
        if name in values and values[name] is None:
            raise ValidationFailed({name: ["This field may not be null."]})


async def columns(
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


def keep_served_image(
    ctx: Context, values: dict[str, Any], field: str, current: str | None
) -> None:
    """An image field sent back as the URL we serve for it (a client echoing the
    record it read) leaves the stored file as it is."""
    if current and values.get(field) and values[field] == media_url(ctx, current):
        values[field] = current


async def check_user(
    session: AsyncSession, ctx: Context, field: str, user_id: int | None, role: Role
) -> None:
    if user_id is None:
        return
    user = await users.get_user(session, user_id, ctx=ctx)
    if user is None:
        raise invalid_pk(field, user_id)
    if user.role != role.value:
        raise ValidationFailed({field: [f"The {field} must be a user with the role {role.value}."]})
    if not user.is_active:
        raise ValidationFailed({field: [f"The {field} must be an active user."]})


async def target_center(
    session: AsyncSession, actor: Principal, values: dict[str, Any], current: int | None
) -> int:
    """The centre a room, equipment or group goes into (a supervisor: theirs)."""
    center_id = values.get("center_id", current)
    if center_id is None:
        raise ValidationFailed({"center": ["This field may not be null."]})
    if current is not None and center_id != current:
        # Moving out of a centre needs the right to both.
        await policies.center_for_write(session, actor, current)
    await policies.center_for_write(session, actor, center_id)
    return int(center_id)
