"""Business rules of the centers service, one module per resource. Writes
through the repository and the outbox; never commits (the request's session
does). Every function answers with the route's response model, built once.

``*_for_write`` load (and lock) the record a PUT or PATCH changes: routers
declare them as the path's dependency, so a record out of reach is a 404
before the body is looked at, as the contract answers."""

from .associations import (
    association_for_write,
    create_association,
    delete_association,
    get_association,
    list_associations,
    update_association,
)
from .centers import (
    center_for_write,
    create_center,
    delete_center,
    get_center,
    list_centers,
    update_center,
)
from .equipment import (
    create_equipment,
    delete_equipment,
    equipment_for_write,
    get_equipment,
    list_equipment,
    update_equipment,
)
from .groups import (
    create_group,
    delete_group,
    get_group,
    group_for_write,
    list_groups,
    update_group,
)
from .rooms import (
    create_room,
    delete_room,
    get_room,
    list_rooms,
    room_for_write,
    update_room,
)

__all__ = [
    "association_for_write",
    "center_for_write",
    "create_association",
    "create_center",
    "create_equipment",
    "create_group",
    "create_room",
    "delete_association",
    "delete_center",
    "delete_equipment",
    "delete_group",
    "delete_room",
    "equipment_for_write",
    "get_association",
    "get_center",
    "get_equipment",
    "get_group",
    "get_room",
    "group_for_write",
    "list_associations",
    "list_centers",
    "list_equipment",
    "list_groups",
    "list_rooms",
    "room_for_write",
    "update_association",
    "update_center",
    "update_equipment",
    "update_group",
    "update_room",
]
