"""What the user list may be filtered, searched and ordered by (its query parameters)."""

from __future__ import annotations

from sqlmodel import col

from entraide_kit.filters import Filter, ListSpec

from .models import User

USER_LIST = ListSpec(
    search_fields=[col(User.email), col(User.username), User.first_name, User.last_name],
    ordering_fields={
        name: getattr(User, name)
        for name in (
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "role",
            "date_joined",
            "is_active",
            "city",
            "birth_date",
            "created_at",
            "updated_at",
        )
    },
    default_ordering=("id",),
    filters={
        "role": Filter(
            col(User.role),
            choices={"admin", "center_supervisor", "association_supervisor", "trainer", "student"},
            description="admin, center_supervisor, association_supervisor, trainer or student",
        ),
        "is_active": Filter(col(User.is_active), kind=bool, description="true or false"),
    },
    tiebreaker=col(User.id),
)
