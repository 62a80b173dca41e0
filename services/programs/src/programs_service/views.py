"""Read shapes built from rows (and nested data loaded in bulk beforehand)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from entraide_kit.context import Context
from entraide_kit.copies.users import UserCopy
from entraide_kit.storage import media_url

from .models import AnnualDistribution, Program, Teacher, TrainingCourse, WeeklyPlan
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


def program(ctx: Context, p: Program) -> ProgramRead:
    return ProgramRead(
        id=p.id or 0,
        name=p.name,
        description=p.description,
        duration_years=p.duration_years,
        logo=media_url(ctx, p.logo),
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def distribution(ctx: Context, d: AnnualDistribution, p: Program) -> DistributionRead:
    return DistributionRead(
        id=d.id or 0,
        programe=program(ctx, p),
        academic_year=d.academic_year,
        trainer=d.trainer_id,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


def distribution_row(ctx: Context, row: Any) -> DistributionRead:
    """``row``: (AnnualDistribution, Program)."""
    return distribution(ctx, row[0], row[1])


def weekly_plan_row(ctx: Context, row: Any) -> WeeklyPlanRead:
    """``row``: (WeeklyPlan, AnnualDistribution, Program)."""
    w: WeeklyPlan = row[0]
    return WeeklyPlanRead(
        id=w.id or 0,
        annual_distribution=distribution(ctx, row[1], row[2]),
        month=w.month,
        week_number=w.week_number,
        title=w.title,
        description=w.description,
        trainer=w.trainer_id,
        created_at=w.created_at,
        updated_at=w.updated_at,
    )


def course_row(ctx: Context, row: Any) -> CourseRead:
    """``row``: (TrainingCourse, Program, centre copy columns, trainer copy columns)."""
    c: TrainingCourse = row[0]
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
        id=c.id or 0,
        name=course_name(row[1].name, center.name if center else None, trainer),
        program=program(ctx, row[1]),
        center=center,
        trainer=trainer,
        academic_year=c.academic_year,
        created_at=c.created_at,
        updated_at=c.updated_at,
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
    t: Teacher = row[0]
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
        "id": t.id or 0,
        "user": user,
        "center": t.center_id,
        "center_name": row.center_name,
        "program": t.program_id,
        "program_name": row.program_name,
        "groups": [g.id for g in groups],
        "groups_details": [GroupSummary(id=g.id, name=g.name or "") for g in groups],
        "contract_with": t.contract_with,
        "contract_start_date": t.contract_start_date,
        "contract_end_date": t.contract_end_date,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    }


def teacher_row(row: Any, groups: Sequence[GroupOf]) -> TeacherRead:
    """``row``: (Teacher, user copy columns, center_name, program_name)."""
    return TeacherRead(**_teacher_fields(row, groups))


def teacher_created(row: Any, groups: Sequence[GroupOf], initial_password: str) -> TeacherCreated:
    """``row``: a teachers_query row, with the user's one-time password."""
    return TeacherCreated(**_teacher_fields(row, groups), initial_password=initial_password)
