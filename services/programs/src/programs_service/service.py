"""Business rules of the programs service. Writes through the records and the
outbox; never commits (the request's session does).

A teacher and its user live in two services: auth makes the user, this
service the teacher. Neither may outlive the other:

1. a random ``ref`` is recorded in ``pending_accounts`` and committed on its own;
2. auth makes the user under that ref;
3. the teacher is saved and the ref forgotten in the request's transaction.

If 3 fails, the user is released at once; if this process dies between 2 and
3, or auth made the user but died before answering, the ref is still pending
and the kit's reconciler (``entraide_kit.accounts``) releases the user later.
auth releases only a user that never logged in, and only to the holder of its
ref. Deleting a teacher deletes its user first: if auth cannot, nothing is deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from starlette.datastructures import UploadFile

from entraide_kit import accounts, records
from entraide_kit.auth import Principal, Role
from entraide_kit.auth_client import delete_user, provision_users, update_user
from entraide_kit.copies import users
from entraide_kit.copies.centers import centers, groups
from entraide_kit.copies.profiles import profiles
from entraide_kit.db import Database, flush_checked
from entraide_kit.errors import (
    APIError,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    ValidationFailed,
)
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams, paginate
from entraide_kit.storage import Storage, media_url, read_image

from . import events, policies, repository
from .config import ProgramsSettings
from .models import AnnualDistribution, Program, Teacher, TrainingCourse, WeeklyPlan
from .repository import GroupOf
from .schemas import USER_FIELDS

log = logging.getLogger("entraide.programs")

CONSTRAINTS = {
    "uq_training_programs_name": ("name", "training programe with this name already exists."),
    "ck_training_programs_duration_years": (
        "duration_years",
        "Ensure this value is between 1 and 10.",
    ),
    "fk_annual_course_distributions_program_id_training_programs": (
        "programe",
        "Invalid pk - object does not exist.",
    ),
    "fk_weekly_course_plans_annual_distribution_id": (
        "annual_distribution",
        "Invalid pk - object does not exist.",
    ),
    "fk_training_courses_program_id_training_programs": (
        "program",
        "Invalid pk - object does not exist.",
    ),
    "fk_teachers_program_id_training_programs": ("program", "Invalid pk - object does not exist."),
    "uq_teachers_user_id": ("user", "This user already has a teacher record."),
    "ck_teachers_contract_dates": (
        "contract_end_date",
        "The contract cannot end before it starts.",
    ),
}
RENAMES = {
    "programe": "program_id",
    "program": "program_id",
    "annual_distribution": "annual_distribution_id",
    "trainer": "trainer_id",
    "center": "center_id",
}
TEXT_FIELDS = {"description"}


def _invalid_pk(field: str, pk: Any) -> ValidationFailed:
    return ValidationFailed({field: [f'Invalid pk "{pk}" - object does not exist.']})


def _not_null(values: dict[str, Any], *names: str) -> None:
    nulls = {n: ["This field may not be null."] for n in names if n in values and values[n] is None}
    if nulls:
        raise ValidationFailed(nulls)


def _columns(data: BaseModel, *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The columns to write: sent fields only, renamed, text nulls as ""."""
    values: dict[str, Any] = {}
    for name in data.model_fields_set - skip:
        value = getattr(data, name)
        if value is None and name in TEXT_FIELDS:
            value = ""
        elif name == "logo" and value is not None:
            value = str(value)
        values[RENAMES.get(name, name)] = value
    return values


async def check_trainer(
    session: AsyncSession, request: Request, user_id: int | None, field: str = "trainer"
) -> None:
    """A trainer reference: an active user with the role trainer (copy, else auth once)."""
    if user_id is None:
        return
    user = await users.get_user(session, user_id, request=request)
    if user is None:
        raise _invalid_pk(field, user_id)
    if user.role != Role.trainer.value:
        raise ValidationFailed({field: [f"The {field} must be a user with the role trainer."]})
    if not user.is_active:
        raise ValidationFailed({field: [f"The {field} must be an active user."]})


async def _program(session: AsyncSession, field: str, program_id: int) -> Program:
    program = await records.get(session, Program, program_id)
    if program is None:
        raise _invalid_pk(field, program_id)
    return program


async def _center(session: AsyncSession, request: Request, center_id: int) -> Any:
    center = await centers.get(session, center_id, request=request)
    if center is None:
        raise _invalid_pk("center", center_id)
    return center


# ------------------------------------------------------------------ programmes


async def save_program(
    session: AsyncSession,
    storage: Storage,
    *,
    data: BaseModel,
    files: dict[str, UploadFile],
    program: Program | None = None,
) -> Program:
    values = _columns(data)
    _not_null(values, "name", "description", "duration_years")
    upload = files.get("logo")
    if upload is not None:
        image = await read_image(upload, field="logo")
        values["logo"] = await storage.save(
            folder="programs/logos",
            data=image.data,
            content_type=image.content_type,
            extension=image.extension,
        )
    shown = (program.name, program.duration_years) if program else None
    program = await records.write(session, Program, values, record=program, constraints=CONSTRAINTS)
    if shown is not None and (program.name, program.duration_years) != shown:
        # Courses publish their programme's name and duration: they change with it.
        courses = await repository.courses_where(
            session, col(TrainingCourse.program_id) == program.id
        )
        await events.republish_courses(session, courses)
    await events.program_changed(session, program)
    return program


async def delete_program(session: AsyncSession, program: Program) -> None:
    """Delete a programme with its distributions, weekly plans and courses, and say so;
    its teachers stay, without a programme."""
    program_id = program.id or 0
    for entity, rows in (await repository.cascade_of_program(session, program_id)).items():
        for record_id, version in rows:
            await events.deleted(session, entity, record_id, version)
    teachers = await repository.teachers_of_program(session, program_id)
    await events.deleted(session, "program", program_id, program.version)
    await records.remove(session, program)
    for teacher in teachers:
        await records.save(session, teacher, {"program_id": None})
        groups = await repository.group_ids(session, teacher.id or 0)
        await events.teacher_changed(session, teacher, groups)


# ------------------------------------------------------------------ annual distributions


async def save_distribution(
    session: AsyncSession,
    request: Request,
    *,
    data: BaseModel,
    distribution: AnnualDistribution | None = None,
) -> AnnualDistribution:
    values = _columns(data)
    _not_null(values, "program_id", "academic_year")
    if "program_id" in values:
        await _program(session, "programe", values["program_id"])
    if "trainer_id" in values:
        await check_trainer(session, request, values["trainer_id"])
    program_before = distribution.program_id if distribution else None
    distribution = await records.write(
        session, AnnualDistribution, values, record=distribution, constraints=CONSTRAINTS
    )
    if program_before is not None and distribution.program_id != program_before:
        # Weekly plans publish their distribution's programme.
        for plan in await repository.plans_of_distribution(session, distribution.id or 0):
            await records.save(session, plan, {})
            await events.weekly_plan_changed(session, plan, distribution.program_id)
    await events.distribution_changed(session, distribution)
    return distribution


async def delete_distribution(session: AsyncSession, distribution: AnnualDistribution) -> None:
    for plan in await repository.plans_of_distribution(session, distribution.id or 0):
        await events.deleted(session, "weeklyplan", plan.id or 0, plan.version)
    await events.deleted(session, "annualdistribution", distribution.id or 0, distribution.version)
    await records.remove(session, distribution)


# ------------------------------------------------------------------ weekly plans


async def save_weekly_plan(
    session: AsyncSession, request: Request, *, data: BaseModel, plan: WeeklyPlan | None = None
) -> WeeklyPlan:
    values = _columns(data)
    _not_null(values, "annual_distribution_id", "month", "week_number", "title")
    distribution_id = values.get(
        "annual_distribution_id", plan.annual_distribution_id if plan else None
    )
    distribution = await records.get(session, AnnualDistribution, distribution_id or 0)
    if distribution is None:
        raise _invalid_pk("annual_distribution", distribution_id)
    if "trainer_id" in values:
        await check_trainer(session, request, values["trainer_id"])
    plan = await records.write(session, WeeklyPlan, values, record=plan, constraints=CONSTRAINTS)
    await events.weekly_plan_changed(session, plan, distribution.program_id)
    return plan


async def delete_weekly_plan(session: AsyncSession, plan: WeeklyPlan) -> None:
    await events.deleted(session, "weeklyplan", plan.id or 0, plan.version)
    await records.remove(session, plan)


# ------------------------------------------------------------------ training courses


async def save_course(
    session: AsyncSession,
    request: Request,
    *,
    data: BaseModel,
    course: TrainingCourse | None = None,
) -> TrainingCourse:
    values = _columns(data)
    _not_null(values, "program_id", "center_id", "trainer_id", "academic_year")
    program_id = values.get("program_id", course.program_id if course else None)
    program = await _program(session, "program", program_id or 0)
    center_id = values.get("center_id", course.center_id if course else None)
    if "center_id" in values or course is None:
        center = await _center(session, request, center_id or 0)
    else:
        center = (await centers.by_ids(session, [course.center_id])).get(course.center_id)
    if "trainer_id" in values:
        await check_trainer(session, request, values["trainer_id"])
    course = await records.write(
        session, TrainingCourse, values, record=course, constraints=CONSTRAINTS
    )
    await events.course_changed(session, course, program, center["name"] if center else None)
    return course


async def delete_course(session: AsyncSession, course: TrainingCourse) -> None:
    await events.deleted(session, "trainingcourse", course.id or 0, course.version)
    await records.remove(session, course)


# ------------------------------------------------------------------ teachers: reads
# The documented paths and the web client's (legacy.py) read the same rows: a
# teachers_query row and the teacher's groups; only the shape differs.


async def teacher_page(
    session: AsyncSession,
    request: Request,
    actor: Principal,
    page: PageParams,
    query: ListQuery,
) -> tuple[dict[str, Any], dict[int, list[GroupOf]]]:
    """A page of the teachers the actor may see (rows in ``results``), and their groups."""
    stmt = policies.scope_teachers(repository.teachers_query(), actor)
    stmt = repository.TEACHER_LIST.apply(stmt, query)
    result = await paginate(session, stmt, request=request, params=page, scalars=False)
    groups = await repository.groups_of_teachers(session, [r[0].id for r in result["results"]])
    return result, groups


async def readable_teacher(
    session: AsyncSession, actor: Principal, teacher_id: int, *, for_update: bool = False
) -> Teacher:
    """The teacher, if the actor may read it (404 otherwise, as for no such teacher)."""
    teacher = await records.get(session, Teacher, teacher_id, for_update=for_update)
    if teacher is None:
        raise NotFound()
    await policies.can_read_teacher(session, actor, teacher)
    return teacher


async def teacher_read(session: AsyncSession, teacher_id: int) -> tuple[Any, list[GroupOf]]:
    """One teacher's row and groups."""
    row = await repository.teacher_row(session, teacher_id)
    if row is None:
        raise NotFound()
    groups = await repository.groups_of_teachers(session, [teacher_id])
    return row, groups.get(teacher_id, [])


# ------------------------------------------------------------------ teachers: writes


@dataclass
class NewTeacher:
    teacher: Teacher
    user: dict[str, Any]
    initial_password: str


def _check_contract(start: Any, end: Any) -> None:
    if start and end and end < start:
        raise ValidationFailed({"contract_end_date": ["The contract cannot end before it starts."]})


async def _check_groups(
    session: AsyncSession, request: Request, group_ids: Sequence[int], center_id: int
) -> None:
    """Groups must exist (copy, else the centers service once) and be of the centre."""
    errors = []
    for group_id in group_ids:
        group = await groups.get(session, group_id, request=request)
        if group is None:
            errors.append(f'Invalid pk "{group_id}" - object does not exist.')
        elif group["center"] != center_id:
            errors.append(f"The group {group_id} does not belong to the teacher's center.")
    if errors:
        raise ValidationFailed({"groups": errors})


async def _can_leave(session: AsyncSession, actor: Principal, teacher: Teacher) -> None:
    if actor.role is not Role.admin and not await policies.supervises(
        session, actor, teacher.center_id
    ):
        raise PermissionDenied(policies.NOT_YOURS)


async def _teacher_values(
    session: AsyncSession,
    request: Request,
    actor: Principal,
    data: BaseModel,
    teacher: Teacher | None,
) -> tuple[dict[str, Any], list[int] | None]:
    """Checked columns of a teacher, and its groups when they are set."""
    values = _columns(data, skip=frozenset((*USER_FIELDS, "groups", "user")))
    _not_null(values, "center_id", "program_id", "contract_with")
    if teacher is not None and values.get("center_id", teacher.center_id) != teacher.center_id:
        # Moving a teacher out of a centre needs the right to that centre too.
        await _can_leave(session, actor, teacher)
    center_id = int(values.get("center_id", teacher.center_id if teacher else 0))
    center = await _center(session, request, center_id)
    policies.can_write_in_center(actor, center)
    if "program_id" in values:
        await _program(session, "program", values["program_id"])
    start = values.get("contract_start_date", teacher.contract_start_date if teacher else None)
    end = values.get("contract_end_date", teacher.contract_end_date if teacher else None)
    _check_contract(start, end)

    chosen: list[int] | None = None
    if "groups" in data.model_fields_set:
        chosen = sorted(set(getattr(data, "groups") or []))  # noqa: B009
    if chosen is not None:
        await _check_groups(session, request, chosen, center_id)
    elif teacher is not None and center_id != teacher.center_id:
        # Moved without new groups: the ones it has must be of the new centre too.
        await _check_groups(
            session, request, await repository.group_ids(session, teacher.id or 0), center_id
        )
    return values, chosen


def person_for_user(data: BaseModel, ref: str) -> dict[str, Any]:
    """What auth needs to make a teacher's user: names, profile fields, role trainer."""
    person: dict[str, Any] = {"role": Role.trainer.value, "ref": ref}
    for name in USER_FIELDS:
        value = getattr(data, name, None)
        if value is not None:
            person[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return person


async def create_teacher(
    session: AsyncSession, request: Request, actor: Principal, *, data: BaseModel
) -> NewTeacher:
    """Check the teacher, have auth make its user (role trainer), save the teacher."""
    values, chosen = await _teacher_values(session, request, actor, data, None)
    db: Database = request.app.state.db
    settings: ProgramsSettings = request.app.state.settings
    (ref,) = accounts.new_refs(1)
    await accounts.remember(db, [ref])
    person = person_for_user(data, ref)
    (made,) = await provision_users(request, [person], email_domain=settings.email_domain)
    try:
        teacher = Teacher(**values, user_id=int(made["id"]))
        session.add(teacher)
        await flush_checked(session, CONSTRAINTS)
        await session.refresh(teacher)
        await repository.set_groups(session, teacher.id or 0, chosen or [])
        # The new user is in the copies at once (its event brings the same later).
        await users.upsert_user(session, int(made["id"]), {**person, **made, "is_active": True})
        await profiles.upsert(session, int(made["id"]), person)
        await accounts.forget(session, [ref])
        await events.teacher_changed(session, teacher, chosen or [])
    except BaseException:
        await accounts.release_now(request, [ref])
        raise
    return NewTeacher(teacher=teacher, user=made, initial_password=str(made["initial_password"]))


def user_changes(data: BaseModel) -> dict[str, Any]:
    """What a teacher update changes on its user in auth: the user fields sent (a
    blank optional one clears it) and ``user.is_active``; auth's wire names."""
    sent = data.model_fields_set
    blank = [n for n in ("first_name", "last_name") if n in sent and getattr(data, n) is None]
    if blank:
        raise ValidationFailed({n: ["This field may not be blank."] for n in blank})
    changes: dict[str, Any] = {}
    for name in USER_FIELDS:
        if name in sent:
            value = getattr(data, name)
            if name == "birth_date":
                changes[name] = value.isoformat() if value else None
            else:
                changes[name] = "" if value is None else value
    status = getattr(data, "user", None) if "user" in sent else None
    if status is not None and getattr(status, "is_active", None) is not None:
        changes["is_active"] = status.is_active
    return changes


async def update_teacher(
    session: AsyncSession,
    request: Request,
    actor: Principal,
    *,
    data: BaseModel,
    teacher: Teacher,
    storage: Storage | None = None,
    picture: UploadFile | None = None,
) -> Teacher:
    """Update the teacher record, and its user in auth when user fields (or a
    ``profile_picture`` image) are sent. auth is asked last, after every check and
    the teacher's write: if it refuses, the request fails and its transaction (the
    teacher's change) is rolled back, so nothing changes."""
    changes = user_changes(data)
    image = await read_image(picture, field="profile_picture") if picture is not None else None
    values, chosen = await _teacher_values(session, request, actor, data, teacher)
    if values or chosen is not None:
        await records.save_unflushed(teacher, values)
        await flush_checked(session, CONSTRAINTS)
        if chosen is not None:
            await repository.set_groups(session, teacher.id or 0, chosen)
        else:
            chosen = await repository.group_ids(session, teacher.id or 0)
        await events.teacher_changed(session, teacher, chosen)
    key = None
    if image is not None and storage is not None:
        key = await storage.save(
            folder="teachers/pictures",
            data=image.data,
            content_type=image.content_type,
            extension=image.extension,
        )
        # auth keeps a picture as a URL: the file is served here, through the gateway.
        changes["profile_picture"] = media_url(request, key)
    if changes:
        try:
            user = await update_user(
                request, teacher.user_id, changes, what="The teacher's user account"
            )
        except BaseException:
            if key is not None and storage is not None:
                await storage.delete(key)
            raise
        # The copies show the change at once (the user's event brings the same later).
        await users.upsert_user(session, teacher.user_id, user)
        await profiles.upsert(session, teacher.user_id, user)
    return teacher


async def delete_teacher(session: AsyncSession, request: Request, teacher: Teacher) -> None:
    """The user goes first: if auth cannot delete it, nothing changes."""
    try:
        gone = await delete_user(request, teacher.user_id)
    except APIError as exc:  # auth not configured
        log.error("could not delete user %s of a teacher: %s", teacher.user_id, exc.detail)
        gone = False
    if not gone:
        raise ServiceUnavailable(
            "The teacher's user account could not be deleted; nothing was changed. Try again."
        )
    await events.deleted(session, "teacher", teacher.id or 0, teacher.version)
    await records.remove(session, teacher)
