"""Who may do what with users (the contract's role table, plus its limits)."""

from __future__ import annotations

from entraide_kit.auth import Principal, Role
from entraide_kit.errors import PermissionDenied

from .models import User

MANAGERS = (Role.admin, Role.center_supervisor)


def can_assign_role(actor: Principal, role: Role | str) -> None:
    if Role(role) is Role.admin and not actor.is_admin:
        raise PermissionDenied("Only an admin can create or promote admins.")


def can_manage(actor: Principal, target: User) -> None:
    """A centre supervisor manages everybody but admins."""
    if target.role == Role.admin and not actor.is_admin:
        raise PermissionDenied("Only an admin can change or delete an admin.")


def not_own_status(actor: Principal, target: User, *, role: object, is_active: object) -> None:
    if target.id != actor.id:
        return
    if (role is not None and role != target.role) or (
        is_active is not None and is_active != target.is_active
    ):
        raise PermissionDenied("You cannot change your own role or active status.")


def can_delete(actor: Principal, target: User) -> None:
    if target.id == actor.id:
        raise PermissionDenied("You cannot delete your own account.")
    can_manage(actor, target)
