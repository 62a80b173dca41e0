"""HTTP endpoints of the centers service: they declare what a request carries
and who may send it, call one service function and answer what it returns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from entraide_kit.answercache import cacheable
from entraide_kit.auth import AdminOnly, AdminOrSupervisor, CurrentUser
from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf, body_openapi, json_or_form
from entraide_kit.pagination import PageDep

from . import service
from .lists import ASSOCIATION_LIST, CENTER_LIST, EQUIPMENT_LIST, GROUP_LIST, ROOM_LIST
from .models import Association, Center, Equipment, Group, Room
from .schemas import (
    AssociationCreate,
    AssociationDetail,
    AssociationOut,
    AssociationPage,
    AssociationPut,
    AssociationRead,
    AssociationUpdate,
    CenterCreate,
    CenterDetail,
    CenterPage,
    CenterRead,
    CenterUpdate,
    EquipmentCreate,
    EquipmentPage,
    EquipmentRead,
    EquipmentUpdate,
    GroupCreate,
    GroupPage,
    GroupRead,
    GroupUpdate,
    RoomCreate,
    RoomPage,
    RoomRead,
    RoomUpdate,
)

associations = APIRouter(prefix="/api/associations", tags=["associations"])
centers = APIRouter(prefix="/api/centers-app", tags=["centers"])


NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED


# ------------------------------------------------------------------ associations

AssociationIn = Annotated[
    BodyOf[AssociationCreate], Depends(json_or_form(AssociationCreate, files=("logo",)))
]
AssociationFull = Annotated[
    BodyOf[AssociationPut], Depends(json_or_form(AssociationPut, files=("logo",)))
]
AssociationPatch = Annotated[
    BodyOf[AssociationUpdate], Depends(json_or_form(AssociationUpdate, files=("logo",)))
]
AssociationQuery = Annotated[ListQuery, Depends(ASSOCIATION_LIST.dependency())]


async def association_by_id(association_id: int, session: SessionDep) -> Association:
    # A dependency: a missing record is a 404 before the body is looked at.
    return await service.association_for_write(session, association_id)


AssociationDep = Annotated[Association, Depends(association_by_id)]


@associations.get("/", response_model=AssociationPage)
@cacheable
async def list_associations(
    _: CurrentUser, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: AssociationQuery
) -> AssociationPage:
    """List associations (filters: city, is_active, is_verified, supervisor)."""
    return await service.list_associations(session, ctx, page, query)


@associations.post(
    "/",
    response_model=AssociationRead,
    status_code=CREATED,
    openapi_extra=body_openapi(AssociationCreate, files=("logo",)),
)
async def create_association(
    _: AdminOnly, ctx: CtxDep, body: AssociationIn, session: SessionDep
) -> AssociationRead:
    """Create an association (JSON, or multipart/form-data with a `logo` image)."""
    return await service.create_association(session, ctx, body)


@associations.get("/{association_id}/", response_model=AssociationDetail)
@cacheable
async def retrieve_association(
    _: CurrentUser, ctx: CtxDep, association_id: int, session: ReadSessionDep
) -> AssociationDetail:
    """Retrieve an association with its supervisor and its centres."""
    return await service.get_association(session, ctx, association_id)


@associations.put(
    "/{association_id}/",
    response_model=AssociationOut,
    openapi_extra=body_openapi(AssociationPut, files=("logo",)),
)
async def update_association(
    _: AdminOnly, ctx: CtxDep, a: AssociationDep, body: AssociationFull, session: SessionDep
) -> AssociationOut:
    """Update an association (full update; `supervisor` null: none, absent: unchanged)."""
    return await service.update_association(session, ctx, a, body)


@associations.patch(
    "/{association_id}/",
    response_model=AssociationOut,
    openapi_extra=body_openapi(AssociationUpdate, files=("logo",)),
)
async def partial_update_association(
    _: AdminOnly, ctx: CtxDep, a: AssociationDep, body: AssociationPatch, session: SessionDep
) -> AssociationOut:
    """Update an association (partial update; `supervisor` null: none)."""
    return await service.update_association(session, ctx, a, body)


@associations.delete("/{association_id}/", status_code=NO_CONTENT)
async def delete_association(_: AdminOnly, association_id: int, session: SessionDep) -> Response:
    """Delete an association (its centres stay, without association)."""
    await service.delete_association(session, association_id)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ centres

CenterIn = Annotated[BodyOf[CenterCreate], Depends(json_or_form(CenterCreate, files=("logo",)))]
CenterPatch = Annotated[BodyOf[CenterUpdate], Depends(json_or_form(CenterUpdate, files=("logo",)))]
CenterQuery = Annotated[ListQuery, Depends(CENTER_LIST.dependency())]


async def center_by_id(center_id: int, session: SessionDep) -> Center:
    return await service.center_for_write(session, center_id)


CenterDep = Annotated[Center, Depends(center_by_id)]


@centers.get("/centers/", response_model=CenterPage)
@cacheable
async def list_centers(
    actor: AdminOrSupervisor,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: CenterQuery,
) -> CenterPage:
    """List centres (a supervisor sees the centres they supervise)."""
    return await service.list_centers(session, ctx, actor, page, query)


@centers.post(
    "/centers/",
    response_model=CenterRead,
    status_code=CREATED,
    openapi_extra=body_openapi(CenterCreate, files=("logo",)),
)
async def create_center(
    _: AdminOnly, ctx: CtxDep, body: CenterIn, session: SessionDep
) -> CenterRead:
    """Create a centre."""
    return await service.create_center(session, ctx, body)


@centers.get("/centers/{center_id}/", response_model=CenterDetail)
@cacheable
async def retrieve_center(
    actor: AdminOrSupervisor, ctx: CtxDep, center_id: int, session: ReadSessionDep
) -> CenterDetail:
    """Retrieve a centre with its rooms and groups."""
    return await service.get_center(session, ctx, actor, center_id)


@centers.put(
    "/centers/{center_id}/",
    response_model=CenterRead,
    openapi_extra=body_openapi(CenterCreate, files=("logo",)),
)
async def update_center(
    _: AdminOnly, ctx: CtxDep, center: CenterDep, body: CenterIn, session: SessionDep
) -> CenterRead:
    """Update a centre (full update)."""
    return await service.update_center(session, ctx, center, body)


@centers.patch(
    "/centers/{center_id}/",
    response_model=CenterRead,
    openapi_extra=body_openapi(CenterUpdate, files=("logo",)),
)
async def partial_update_center(
    _: AdminOnly, ctx: CtxDep, center: CenterDep, body: CenterPatch, session: SessionDep
) -> CenterRead:
    """Update a centre (partial update)."""
    return await service.update_center(session, ctx, center, body)


@centers.delete("/centers/{center_id}/", status_code=NO_CONTENT)
async def delete_center(_: AdminOnly, center_id: int, session: SessionDep) -> Response:
    """Delete a centre with its rooms, equipment and groups."""
    await service.delete_center(session, center_id)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ rooms

RoomIn = Annotated[BodyOf[RoomCreate], Depends(json_or_form(RoomCreate, files=("picture",)))]
RoomPatch = Annotated[BodyOf[RoomUpdate], Depends(json_or_form(RoomUpdate, files=("picture",)))]
RoomQuery = Annotated[ListQuery, Depends(ROOM_LIST.dependency())]


async def room_by_id(actor: AdminOrSupervisor, room_id: int, session: SessionDep) -> Room:
    return await service.room_for_write(session, actor, room_id)


RoomDep = Annotated[Room, Depends(room_by_id)]


@centers.get("/rooms/", response_model=RoomPage)
@cacheable
async def list_rooms(
    actor: AdminOrSupervisor, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: RoomQuery
) -> RoomPage:
    """List rooms with their equipment (filters: center__id, type, capacity, is_available)."""
    return await service.list_rooms(session, ctx, actor, page, query)


@centers.post(
    "/rooms/",
    response_model=RoomRead,
    status_code=CREATED,
    openapi_extra=body_openapi(RoomCreate, files=("picture",)),
)
async def create_room(
    actor: AdminOrSupervisor, ctx: CtxDep, body: RoomIn, session: SessionDep
) -> RoomRead:
    """Create a room in a centre (a supervisor: in a centre they supervise)."""
    return await service.create_room(session, ctx, actor, body)


@centers.get("/rooms/{room_id}/", response_model=RoomRead)
@cacheable
async def retrieve_room(
    actor: AdminOrSupervisor, ctx: CtxDep, room_id: int, session: ReadSessionDep
) -> RoomRead:
    """Retrieve a room with its equipment."""
    return await service.get_room(session, ctx, actor, room_id)


@centers.put(
    "/rooms/{room_id}/",
    response_model=RoomRead,
    openapi_extra=body_openapi(RoomCreate, files=("picture",)),
)
async def update_room(
    actor: AdminOrSupervisor, ctx: CtxDep, room: RoomDep, body: RoomIn, session: SessionDep
) -> RoomRead:
    """Update a room (full update)."""
    return await service.update_room(session, ctx, actor, room, body)


@centers.patch(
    "/rooms/{room_id}/",
    response_model=RoomRead,
    openapi_extra=body_openapi(RoomUpdate, files=("picture",)),
)
async def partial_update_room(
    actor: AdminOrSupervisor, ctx: CtxDep, room: RoomDep, body: RoomPatch, session: SessionDep
) -> RoomRead:
    """Update a room (partial update)."""
    return await service.update_room(session, ctx, actor, room, body)


@centers.delete("/rooms/{room_id}/", status_code=NO_CONTENT)
async def delete_room(actor: AdminOrSupervisor, room_id: int, session: SessionDep) -> Response:
    """Delete a room (its equipment stays in the centre, without a room)."""
    await service.delete_room(session, actor, room_id)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ equipment

EquipmentIn = Annotated[
    BodyOf[EquipmentCreate], Depends(json_or_form(EquipmentCreate, files=("picture",)))
]
EquipmentPatch = Annotated[
    BodyOf[EquipmentUpdate], Depends(json_or_form(EquipmentUpdate, files=("picture",)))
]
EquipmentQuery = Annotated[ListQuery, Depends(EQUIPMENT_LIST.dependency())]


async def equipment_by_id(
    actor: AdminOrSupervisor, equipment_id: int, session: SessionDep
) -> Equipment:
    return await service.equipment_for_write(session, actor, equipment_id)


EquipmentDep = Annotated[Equipment, Depends(equipment_by_id)]


@centers.get("/equipment/", response_model=EquipmentPage)
@cacheable
async def list_equipment(
    actor: AdminOrSupervisor,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: EquipmentQuery,
) -> EquipmentPage:
    """List equipment (filters: center__id, room__id, condition, quantity)."""
    return await service.list_equipment(session, ctx, actor, page, query)


@centers.post(
    "/equipment/",
    response_model=EquipmentRead,
    status_code=CREATED,
    openapi_extra=body_openapi(EquipmentCreate, files=("picture",)),
)
async def create_equipment(
    actor: AdminOrSupervisor, ctx: CtxDep, body: EquipmentIn, session: SessionDep
) -> EquipmentRead:
    """Create equipment in a centre, optionally in one of its rooms."""
    return await service.create_equipment(session, ctx, actor, body)


@centers.get("/equipment/{equipment_id}/", response_model=EquipmentRead)
@cacheable
async def retrieve_equipment(
    actor: AdminOrSupervisor, ctx: CtxDep, equipment_id: int, session: ReadSessionDep
) -> EquipmentRead:
    """Retrieve equipment."""
    return await service.get_equipment(session, ctx, actor, equipment_id)


@centers.put(
    "/equipment/{equipment_id}/",
    response_model=EquipmentRead,
    openapi_extra=body_openapi(EquipmentCreate, files=("picture",)),
)
async def update_equipment(
    actor: AdminOrSupervisor,
    ctx: CtxDep,
    item: EquipmentDep,
    body: EquipmentIn,
    session: SessionDep,
) -> EquipmentRead:
    """Update equipment (full update)."""
    return await service.update_equipment(session, ctx, actor, item, body)


@centers.patch(
    "/equipment/{equipment_id}/",
    response_model=EquipmentRead,
    openapi_extra=body_openapi(EquipmentUpdate, files=("picture",)),
)
async def partial_update_equipment(
    actor: AdminOrSupervisor,
    ctx: CtxDep,
    item: EquipmentDep,
    body: EquipmentPatch,
    session: SessionDep,
) -> EquipmentRead:
    """Update equipment (partial update)."""
    return await service.update_equipment(session, ctx, actor, item, body)


@centers.delete("/equipment/{equipment_id}/", status_code=NO_CONTENT)
async def delete_equipment(
    actor: AdminOrSupervisor, equipment_id: int, session: SessionDep
) -> Response:
    """Delete equipment."""
    await service.delete_equipment(session, actor, equipment_id)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ groups

GroupQuery = Annotated[ListQuery, Depends(GROUP_LIST.dependency())]


async def group_by_id(actor: AdminOrSupervisor, group_id: int, session: SessionDep) -> Group:
    return await service.group_for_write(session, actor, group_id)


GroupDep = Annotated[Group, Depends(group_by_id)]


@centers.get("/groups/", response_model=GroupPage)
@cacheable
async def list_groups(
    actor: AdminOrSupervisor,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: GroupQuery,
) -> GroupPage:
    """List groups (filter: center__id; search: name, description)."""
    return await service.list_groups(session, ctx, actor, page, query)


@centers.post("/groups/", response_model=GroupRead, status_code=CREATED)
async def create_group(
    actor: AdminOrSupervisor, body: GroupCreate, session: SessionDep
) -> GroupRead:
    """Create a group in a centre."""
    return await service.create_group(session, actor, body)


@centers.get("/groups/{group_id}/", response_model=GroupRead)
@cacheable
async def retrieve_group(
    actor: AdminOrSupervisor, group_id: int, session: ReadSessionDep
) -> GroupRead:
    """Retrieve a group."""
    return await service.get_group(session, actor, group_id)


@centers.put("/groups/{group_id}/", response_model=GroupRead)
async def update_group(
    actor: AdminOrSupervisor, group: GroupDep, body: GroupCreate, session: SessionDep
) -> GroupRead:
    """Update a group (full update)."""
    return await service.update_group(session, actor, group, body)


@centers.patch("/groups/{group_id}/", response_model=GroupRead)
async def partial_update_group(
    actor: AdminOrSupervisor, group: GroupDep, body: GroupUpdate, session: SessionDep
) -> GroupRead:
    """Update a group (partial update)."""
    return await service.update_group(session, actor, group, body)


@centers.delete("/groups/{group_id}/", status_code=NO_CONTENT)
async def delete_group(actor: AdminOrSupervisor, group_id: int, session: SessionDep) -> Response:
    """Delete a group."""
    await service.delete_group(session, actor, group_id)
    return Response(status_code=NO_CONTENT)
