"""HTTP endpoints of the centers service: thin; they parse, call the service, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import AdminOnly, AdminOrSupervisor, CurrentUser
from entraide_kit.db import SessionDep
from entraide_kit.errors import NotFound
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf, body_openapi, json_or_form
from entraide_kit.pagination import PageDep, paginate
from entraide_kit.storage import StorageDep

from . import policies, repository, service, views
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
AssociationQuery = Annotated[ListQuery, Depends(repository.ASSOCIATION_LIST.dependency())]


async def association_by_id(association_id: int, session: SessionDep) -> Association:
    return await records.get_or_404(session, Association, association_id, for_update=True)


AssociationDep = Annotated[Association, Depends(association_by_id)]


@associations.get("/", response_model=AssociationPage)
async def list_associations(
    _: CurrentUser, request: Request, session: SessionDep, page: PageDep, query: AssociationQuery
) -> dict[str, Any]:
    """List associations (filters: city, is_active, is_verified, supervisor)."""
    stmt = repository.ASSOCIATION_LIST.apply(repository.associations_query(), query)
    return await paginate(
        session,
        stmt,
        request=request,
        params=page,
        scalars=False,
        transform=lambda r: views.association_out(request, r),
    )


@associations.post(
    "/",
    response_model=AssociationRead,
    status_code=CREATED,
    openapi_extra=body_openapi(AssociationCreate, files=("logo",)),
)
async def create_association(
    _: AdminOnly, request: Request, body: AssociationIn, session: SessionDep, storage: StorageDep
) -> AssociationRead:
    """Create an association (JSON, or multipart/form-data with a `logo` image)."""
    a = await service.save_association(session, request, storage, data=body.data, files=body.files)
    return views.association(request, a)


async def _association_answer(
    request: Request, session: SessionDep, a: Association
) -> AssociationOut:
    return views.association_out(request, await repository.get_association_row(session, a.id or 0))


@associations.get("/{association_id}/", response_model=AssociationDetail)
async def retrieve_association(
    _: CurrentUser, request: Request, association_id: int, session: SessionDep
) -> AssociationDetail:
    """Retrieve an association with its supervisor and its centres."""
    row = await repository.get_association_row(session, association_id)
    if row is None:
        raise NotFound()
    centers = await repository.centers_brief_of_association(session, association_id)
    return views.association_detail(request, row, centers)


@associations.put(
    "/{association_id}/",
    response_model=AssociationOut,
    openapi_extra=body_openapi(AssociationPut, files=("logo",)),
)
async def update_association(
    _: AdminOnly,
    request: Request,
    a: AssociationDep,
    body: AssociationFull,
    session: SessionDep,
    storage: StorageDep,
) -> AssociationOut:
    """Update an association (full update; `supervisor` null: none, absent: unchanged)."""
    a = await service.save_association(
        session, request, storage, data=body.data, files=body.files, association=a
    )
    return await _association_answer(request, session, a)


@associations.patch(
    "/{association_id}/",
    response_model=AssociationOut,
    openapi_extra=body_openapi(AssociationUpdate, files=("logo",)),
)
async def partial_update_association(
    _: AdminOnly,
    request: Request,
    a: AssociationDep,
    body: AssociationPatch,
    session: SessionDep,
    storage: StorageDep,
) -> AssociationOut:
    """Update an association (partial update; `supervisor` null: none)."""
    a = await service.save_association(
        session, request, storage, data=body.data, files=body.files, association=a
    )
    return await _association_answer(request, session, a)


@associations.delete("/{association_id}/", status_code=NO_CONTENT)
async def delete_association(_: AdminOnly, a: AssociationDep, session: SessionDep) -> Response:
    """Delete an association (its centres stay, without association)."""
    await service.delete_association(session, a)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ centres

CenterIn = Annotated[BodyOf[CenterCreate], Depends(json_or_form(CenterCreate, files=("logo",)))]
CenterPatch = Annotated[BodyOf[CenterUpdate], Depends(json_or_form(CenterUpdate, files=("logo",)))]
CenterQuery = Annotated[ListQuery, Depends(repository.CENTER_LIST.dependency())]


async def center_by_id(center_id: int, session: SessionDep) -> Center:
    return await records.get_or_404(session, Center, center_id, for_update=True)


CenterDep = Annotated[Center, Depends(center_by_id)]


@centers.get("/centers/", response_model=CenterPage)
async def list_centers(
    actor: AdminOrSupervisor,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: CenterQuery,
) -> dict[str, Any]:
    """List centres (a supervisor sees the centres they supervise)."""
    stmt = policies.scope(repository.centers_query(), actor, col(Center.id))
    stmt = repository.CENTER_LIST.apply(stmt, query)
    return await paginate(
        session,
        stmt,
        request=request,
        params=page,
        scalars=False,
        transform=lambda r: views.center(request, r),
    )


@centers.post(
    "/centers/",
    response_model=CenterRead,
    status_code=CREATED,
    openapi_extra=body_openapi(CenterCreate, files=("logo",)),
)
async def create_center(
    _: AdminOnly, request: Request, body: CenterIn, session: SessionDep, storage: StorageDep
) -> CenterRead:
    """Create a centre."""
    center = await service.save_center(session, request, storage, data=body.data, files=body.files)
    return views.center(request, await repository.get_center_row(session, center.id or 0))


@centers.get("/centers/{center_id}/", response_model=CenterDetail)
async def retrieve_center(
    actor: AdminOrSupervisor, request: Request, center_id: int, session: SessionDep
) -> CenterDetail:
    """Retrieve a centre with its rooms and groups."""
    row = await repository.get_center_row(session, center_id)
    if row is None:
        raise NotFound()
    policies.can_read_center(actor, row[0])
    rooms = await repository.rooms_of_center(session, center_id)
    groups = await repository.groups_of_center(session, center_id)
    equipment = await repository.equipment_of_rooms(session, [r.id or 0 for r in rooms])
    return views.center_detail(request, row, rooms, groups, equipment)


async def _center_answer(request: Request, session: SessionDep, center: Center) -> CenterRead:
    return views.center(request, await repository.get_center_row(session, center.id or 0))


@centers.put(
    "/centers/{center_id}/",
    response_model=CenterRead,
    openapi_extra=body_openapi(CenterCreate, files=("logo",)),
)
async def update_center(
    _: AdminOnly,
    request: Request,
    center: CenterDep,
    body: CenterIn,
    session: SessionDep,
    storage: StorageDep,
) -> CenterRead:
    """Update a centre (full update)."""
    center = await service.save_center(
        session, request, storage, data=body.data, files=body.files, center=center
    )
    return await _center_answer(request, session, center)


@centers.patch(
    "/centers/{center_id}/",
    response_model=CenterRead,
    openapi_extra=body_openapi(CenterUpdate, files=("logo",)),
)
async def partial_update_center(
    _: AdminOnly,
    request: Request,
    center: CenterDep,
    body: CenterPatch,
    session: SessionDep,
    storage: StorageDep,
) -> CenterRead:
    """Update a centre (partial update)."""
    center = await service.save_center(
        session, request, storage, data=body.data, files=body.files, center=center
    )
    return await _center_answer(request, session, center)


@centers.delete("/centers/{center_id}/", status_code=NO_CONTENT)
async def delete_center(_: AdminOnly, center: CenterDep, session: SessionDep) -> Response:
    """Delete a centre with its rooms, equipment and groups."""
    await service.delete_center(session, center)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ rooms

RoomIn = Annotated[BodyOf[RoomCreate], Depends(json_or_form(RoomCreate, files=("picture",)))]
RoomPatch = Annotated[BodyOf[RoomUpdate], Depends(json_or_form(RoomUpdate, files=("picture",)))]
RoomQuery = Annotated[ListQuery, Depends(repository.ROOM_LIST.dependency())]


async def room_by_id(actor: AdminOrSupervisor, room_id: int, session: SessionDep) -> Room:
    found = await records.get_or_404(session, Room, room_id, for_update=True)
    policies.can_read_in_center(actor, await records.get(session, Center, found.center_id))
    return found


RoomDep = Annotated[Room, Depends(room_by_id)]


async def _room_answer(request: Request, session: SessionDep, room: Room) -> RoomRead:
    center = await records.get(session, Center, room.center_id)
    items = (await repository.equipment_of_rooms(session, [room.id or 0])).get(room.id or 0, [])
    return views.room(request, room, center.name if center else "", items)


@centers.get("/rooms/", response_model=RoomPage)
async def list_rooms(
    actor: AdminOrSupervisor, request: Request, session: SessionDep, page: PageDep, query: RoomQuery
) -> dict[str, Any]:
    """List rooms with their equipment (filters: center__id, type, capacity, is_available)."""
    stmt = repository.ROOM_LIST.apply(
        policies.scope(repository.rooms_query(), actor, col(Room.center_id)), query
    )
    result = await paginate(session, stmt, request=request, params=page, scalars=False)
    rows = result["results"]
    equipment = await repository.equipment_of_rooms(session, [r[0].id for r in rows])
    result["results"] = [
        views.room(request, r[0], r.center_name, equipment.get(r[0].id, [])) for r in rows
    ]
    return result


@centers.post(
    "/rooms/",
    response_model=RoomRead,
    status_code=CREATED,
    openapi_extra=body_openapi(RoomCreate, files=("picture",)),
)
async def create_room(
    actor: AdminOrSupervisor,
    request: Request,
    body: RoomIn,
    session: SessionDep,
    storage: StorageDep,
) -> RoomRead:
    """Create a room in a centre (a supervisor: in a centre they supervise)."""
    room = await service.save_room(session, actor, storage, data=body.data, files=body.files)
    return await _room_answer(request, session, room)


@centers.get("/rooms/{room_id}/", response_model=RoomRead)
async def retrieve_room(request: Request, room: RoomDep, session: SessionDep) -> RoomRead:
    """Retrieve a room with its equipment."""
    return await _room_answer(request, session, room)


@centers.put(
    "/rooms/{room_id}/",
    response_model=RoomRead,
    openapi_extra=body_openapi(RoomCreate, files=("picture",)),
)
async def update_room(
    actor: AdminOrSupervisor,
    request: Request,
    room: RoomDep,
    body: RoomIn,
    session: SessionDep,
    storage: StorageDep,
) -> RoomRead:
    """Update a room (full update)."""
    room = await service.save_room(
        session, actor, storage, data=body.data, files=body.files, room=room
    )
    return await _room_answer(request, session, room)


@centers.patch(
    "/rooms/{room_id}/",
    response_model=RoomRead,
    openapi_extra=body_openapi(RoomUpdate, files=("picture",)),
)
async def partial_update_room(
    actor: AdminOrSupervisor,
    request: Request,
    room: RoomDep,
    body: RoomPatch,
    session: SessionDep,
    storage: StorageDep,
) -> RoomRead:
    """Update a room (partial update)."""
    room = await service.save_room(
        session, actor, storage, data=body.data, files=body.files, room=room
    )
    return await _room_answer(request, session, room)


@centers.delete("/rooms/{room_id}/", status_code=NO_CONTENT)
async def delete_room(actor: AdminOrSupervisor, room: RoomDep, session: SessionDep) -> Response:
    """Delete a room (its equipment stays in the centre, without a room)."""
    await service.delete_room(session, actor, room)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ equipment

EquipmentIn = Annotated[
    BodyOf[EquipmentCreate], Depends(json_or_form(EquipmentCreate, files=("picture",)))
]
EquipmentPatch = Annotated[
    BodyOf[EquipmentUpdate], Depends(json_or_form(EquipmentUpdate, files=("picture",)))
]
EquipmentQuery = Annotated[ListQuery, Depends(repository.EQUIPMENT_LIST.dependency())]


async def equipment_by_id(
    actor: AdminOrSupervisor, equipment_id: int, session: SessionDep
) -> Equipment:
    found = await records.get_or_404(session, Equipment, equipment_id, for_update=True)
    policies.can_read_in_center(actor, await records.get(session, Center, found.center_id))
    return found


EquipmentDep = Annotated[Equipment, Depends(equipment_by_id)]


@centers.get("/equipment/", response_model=EquipmentPage)
async def list_equipment(
    actor: AdminOrSupervisor,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: EquipmentQuery,
) -> dict[str, Any]:
    """List equipment (filters: center__id, room__id, condition, quantity)."""
    stmt = policies.scope(repository.equipment_query(), actor, col(Equipment.center_id))
    stmt = repository.EQUIPMENT_LIST.apply(stmt, query)
    return await paginate(
        session,
        stmt,
        request=request,
        params=page,
        scalars=False,
        transform=lambda r: views.equipment(request, r[0], r.room_name),
    )


async def _equipment_answer(
    request: Request, session: SessionDep, item: Equipment
) -> EquipmentRead:
    return views.equipment(request, item, await repository.room_name(session, item.room_id))


@centers.post(
    "/equipment/",
    response_model=EquipmentRead,
    status_code=CREATED,
    openapi_extra=body_openapi(EquipmentCreate, files=("picture",)),
)
async def create_equipment(
    actor: AdminOrSupervisor,
    request: Request,
    body: EquipmentIn,
    session: SessionDep,
    storage: StorageDep,
) -> EquipmentRead:
    """Create equipment in a centre, optionally in one of its rooms."""
    item = await service.save_equipment(session, actor, storage, data=body.data, files=body.files)
    return await _equipment_answer(request, session, item)


@centers.get("/equipment/{equipment_id}/", response_model=EquipmentRead)
async def retrieve_equipment(
    request: Request, item: EquipmentDep, session: SessionDep
) -> EquipmentRead:
    """Retrieve equipment."""
    return await _equipment_answer(request, session, item)


@centers.put(
    "/equipment/{equipment_id}/",
    response_model=EquipmentRead,
    openapi_extra=body_openapi(EquipmentCreate, files=("picture",)),
)
async def update_equipment(
    actor: AdminOrSupervisor,
    request: Request,
    item: EquipmentDep,
    body: EquipmentIn,
    session: SessionDep,
    storage: StorageDep,
) -> EquipmentRead:
    """Update equipment (full update)."""
    item = await service.save_equipment(
        session, actor, storage, data=body.data, files=body.files, equipment=item
    )
    return await _equipment_answer(request, session, item)


@centers.patch(
    "/equipment/{equipment_id}/",
    response_model=EquipmentRead,
    openapi_extra=body_openapi(EquipmentUpdate, files=("picture",)),
)
async def partial_update_equipment(
    actor: AdminOrSupervisor,
    request: Request,
    item: EquipmentDep,
    body: EquipmentPatch,
    session: SessionDep,
    storage: StorageDep,
) -> EquipmentRead:
    """Update equipment (partial update)."""
    item = await service.save_equipment(
        session, actor, storage, data=body.data, files=body.files, equipment=item
    )
    return await _equipment_answer(request, session, item)


@centers.delete("/equipment/{equipment_id}/", status_code=NO_CONTENT)
async def delete_equipment(
    actor: AdminOrSupervisor, item: EquipmentDep, session: SessionDep
) -> Response:
    """Delete equipment."""
    await service.delete_equipment(session, actor, item)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ groups

GroupQuery = Annotated[ListQuery, Depends(repository.GROUP_LIST.dependency())]


async def group_by_id(actor: AdminOrSupervisor, group_id: int, session: SessionDep) -> Group:
    found = await records.get_or_404(session, Group, group_id, for_update=True)
    policies.can_read_in_center(actor, await records.get(session, Center, found.center_id))
    return found


GroupDep = Annotated[Group, Depends(group_by_id)]


async def _group_answer(session: SessionDep, group: Group) -> GroupRead:
    center = await records.get(session, Center, group.center_id)
    return views.group(group, center.name if center else "")


@centers.get("/groups/", response_model=GroupPage)
async def list_groups(
    actor: AdminOrSupervisor,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: GroupQuery,
) -> dict[str, Any]:
    """List groups (filter: center__id; search: name, description)."""
    stmt = repository.GROUP_LIST.apply(
        policies.scope(repository.groups_query(), actor, col(Group.center_id)), query
    )
    return await paginate(
        session,
        stmt,
        request=request,
        params=page,
        scalars=False,
        transform=lambda r: views.group(r[0], r.center_name),
    )


@centers.post("/groups/", response_model=GroupRead, status_code=CREATED)
async def create_group(
    actor: AdminOrSupervisor, body: GroupCreate, session: SessionDep
) -> GroupRead:
    """Create a group in a centre."""
    return await _group_answer(session, await service.save_group(session, actor, data=body))


@centers.get("/groups/{group_id}/", response_model=GroupRead)
async def retrieve_group(group: GroupDep, session: SessionDep) -> GroupRead:
    """Retrieve a group."""
    return await _group_answer(session, group)


@centers.put("/groups/{group_id}/", response_model=GroupRead)
async def update_group(
    actor: AdminOrSupervisor, group: GroupDep, body: GroupCreate, session: SessionDep
) -> GroupRead:
    """Update a group (full update)."""
    return await _group_answer(
        session, await service.save_group(session, actor, data=body, group=group)
    )


@centers.patch("/groups/{group_id}/", response_model=GroupRead)
async def partial_update_group(
    actor: AdminOrSupervisor, group: GroupDep, body: GroupUpdate, session: SessionDep
) -> GroupRead:
    """Update a group (partial update)."""
    return await _group_answer(
        session, await service.save_group(session, actor, data=body, group=group)
    )


@centers.delete("/groups/{group_id}/", status_code=NO_CONTENT)
async def delete_group(actor: AdminOrSupervisor, group: GroupDep, session: SessionDep) -> Response:
    """Delete a group."""
    await service.delete_group(session, actor, group)
    return Response(status_code=NO_CONTENT)
