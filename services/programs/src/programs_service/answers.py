"""Read shapes built from rows (and nested data loaded in bulk beforehand)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from entraide_kit.context import Context
from entraide_kit.copies.users import UserCopy
from entraide_kit.storage import media_url

from .repository import GroupOf
from .schemas import (
    CenterSummary,
    CourseRead,
    DistributionRead,
    GroupSummary,
    ProgramRead,
    TeacherCreated,
    TeacherRead,
    TeacherUser,
    UserSummary,
    WeeklyPlanRead,
)

# Uploads are served by this service under its public prefix, through the gateway.
MEDIA_PATH = "/api/programs/media"


def program(ctx: Context, p: Any) -> ProgramRead:
    """``p``: a Program, or a (flat) row of ``repository.programs_query()``."""
    return ProgramRead(
        id=p.id or 0,
        name=p.name,
        description=p.description,
        duration_years=p.duration_years,
        logo=media_url(ctx, p.logo),
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _program_of(ctx: Context, row: Any) -> ProgramRead:
    """The programme joined to a row (its ``program__*`` columns)."""
    return ProgramRead(
        id=row.program__id,
        name=row.program__name,
        description=row.program__description,
        duration_years=row.program__duration_years,
        logo=media_url(ctx, row.program__logo),
        created_at=row.program__created_at,
        updated_at=row.program__updated_at,
    )


def distribution_row(ctx: Context, row: Any) -> DistributionRead:
    """``row``: a ``repository.distributions_query()`` row (the distribution's columns,
    its programme's as ``program__*``)."""
    return DistributionRead(
        id=row.id,
        programe=_program_of(ctx, row),
        academic_year=row.academic_year,
        trainer=row.trainer_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def weekly_plan_row(ctx: Context, row: Any) -> WeeklyPlanRead:
    """``row``: a ``repository.weekly_plans_query()`` row (the plan's columns, its
    distribution's as ``distribution__*``, their programme's as ``program__*``)."""
    distribution = DistributionRead(
        id=row.distribution__id,
        programe=_program_of(ctx, row),
        academic_year=row.distribution__academic_year,
        trainer=row.distribution__trainer_id,
        created_at=row.distribution__created_at,
        updated_at=row.distribution__updated_at,
    )
    return WeeklyPlanRead(
        id=row.id,
        annual_distribution=distribution,
        month=row.month,
        week_number=row.week_number,
        title=row.title,
        description=row.description,
        trainer=row.trainer_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def course_row(ctx: Context, row: Any) -> CourseRead:
    """``row``: a ``repository.courses_query()`` row (the course's columns, its
    programme's as ``program__*``, the centre and trainer copy columns)."""
    center = None
    if row.center_ref is not None:
        center = CenterSummary(
            id=row.center_ref,
            name=row.center_name,
            city=row.center_city,
            supervisor=row.center_supervisor,
            is_active=row.center_is_active,
        )
    trainer = None
    if row.trainer_ref is not None:
        trainer = UserSummary(
            id=row.trainer_ref,
            email=row.trainer_email,
            username=row.trainer_username,
            first_name=row.trainer_first_name,
            last_name=row.trainer_last_name,
            role=row.trainer_role,
            is_active=row.trainer_is_active,
        )
    return CourseRead(
        id=row.id,
        name=course_name(row.program__name, center.name if center else None, trainer),
        program=_program_of(ctx, row),
        center=center,
        trainer=trainer,
        academic_year=row.academic_year,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def course_name(program_name: str, center_name: str | None, trainer: UserSummary | None) -> str:
    """``programme - centre - trainer``; a part the copies do not hold is left out."""
    parts = [program_name, center_name or ""]
    if trainer is not None:
        parts.append(f"{trainer.first_name} {trainer.last_name}".strip())
    return " - ".join(p for p in parts if p)


def user_of_teacher(row: Any) -> UserCopy | None:
    """The teacher's user as the users copy holds it (``row``: a teachers_query row)."""
    if row.user_ref is None:
        return None
    return UserCopy(
        id=row.user_ref,
        email=row.user_email,
        username=row.user_username,
        first_name=row.user_first_name,
        last_name=row.user_last_name,
        arabic_first_name=row.user_arabic_first_name,
        arabic_last_name=row.user_arabic_last_name,
        role=row.user_role,
        is_active=row.user_is_active,
    )


def _teacher_fields(row: Any, groups: Sequence[GroupOf]) -> dict[str, Any]:
    """``row``: a (flat) ``repository.teachers_query()`` row."""
    user = None
    if row.user_ref is not None:
        user = TeacherUser(
            id=row.user_ref,
            email=row.user_email,
            first_name=row.user_first_name,
            last_name=row.user_last_name,
            is_active=row.user_is_active,
        )
    return {
        "id": row.id,
        "user": user,
        "center": row.center_id,
        "center_name": row.center_name,
        "program": row.program_id,
        "program_name": row.program_name,
        "groups": [g.id for g in groups],
        "groups_details": [GroupSummary(id=g.id, name=g.name or "") for g in groups],
        "contract_with": row.contract_with,
        "contract_start_date": row.contract_start_date,
        "contract_end_date": row.contract_end_date,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def teacher_row(row: Any, groups: Sequence[GroupOf]) -> TeacherRead:
    """``row``: a teachers_query row (the teacher's columns, its user's, center_name,
    program_name)."""
    return TeacherRead(**_teacher_fields(row, groups))


def teacher_created(row: Any, groups: Sequence[GroupOf], initial_password: str) -> TeacherCreated:
    """``row``: a teachers_query row, with the user's one-time password."""
    return TeacherCreated(**_teacher_fields(row, groups), initial_password=initial_password)
