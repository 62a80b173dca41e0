"""Business rules of the programs service: programmes, annual distributions, weekly
plans and training courses (teachers: teachers.py). Writes through the records and
the outbox; never commits (the request's session does).

Each function called by a router answers with the route's response model: a read
is built once from its rows (answers.py), a list is its Page model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from starlette.datastructures import UploadFile

from entraide_kit import records
from entraide_kit.auth import Role
from entraide_kit.context import Context
from entraide_kit.copies import users
from entraide_kit.copies.centers import centers
from entraide_kit.errors import NotFound, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams, build_page
from entraide_kit.storage import Storage, read_image

from . import answers, events, repository
from .models import AnnualDistribution, Program, TrainingCourse, WeeklyPlan
from .repository import COURSE_LIST, DISTRIBUTION_LIST, PROGRAM_LIST, WEEKLY_PLAN_LIST
from .schemas import (
    CoursePage,
    CourseRead,
    DistributionPage,
    DistributionRead,
    ProgramPage,
    ProgramRead,
    WeeklyPlanPage,
    WeeklyPlanRead,
)

P = TypeVar("P", bound=BaseModel)

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


def page_of(
    model: type[P], ctx: Context, params: PageParams, count: int, results: Sequence[Any]
) -> P:
    """A list's answer, as its Page model (its results already built)."""
    return model.model_construct(**build_page(ctx, params, count, results))


def _invalid_pk(field: str, pk: Any) -> ValidationFailed:
    return ValidationFailed({field: [f'Invalid pk "{pk}" - object does not exist.']})


def not_null(values: dict[str, Any], *names: str) -> None:
    """400 for the required fields a change sets to null."""
    nulls = {n: ["This field may not be null."] for n in names if n in values and values[n] is None}
    if nulls:
        raise ValidationFailed(nulls)


def columns(data: BaseModel, *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
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
    session: AsyncSession, ctx: Context, user_id: int | None, field: str = "trainer"
) -> None:
    """A trainer reference: an active user with the role trainer (copy, else auth once)."""
    if user_id is None:
        return
    user = await users.get_user(session, user_id, ctx=ctx)
    if user is None:
        raise _invalid_pk(field, user_id)
    if user.role != Role.trainer.value:
        raise ValidationFailed({field: [f"The {field} must be a user with the role trainer."]})
    if not user.is_active:
        raise ValidationFailed({field: [f"The {field} must be an active user."]})


async def program_ref(session: AsyncSession, field: str, program_id: int) -> Program:
    """The programme a ``field`` refers to, or the field's 400."""
    program = await repository.programs.get(session, program_id)
    if program is None:
        raise _invalid_pk(field, program_id)
    return program


async def center_ref(session: AsyncSession, ctx: Context, center_id: int) -> Any:
    """The centre's copy row (else the centers service's answer, once), or a 400."""
    center = await centers.get(session, center_id, ctx=ctx)
    if center is None:
        raise _invalid_pk("center", center_id)
    return center


async def republish_courses(session: AsyncSession, courses: list[TrainingCourse]) -> None:
    """Bump and re-publish courses whose snapshot shows changed data of another record
    (their programme's name or duration, their centre's name in the copies)."""
    if not courses:
        return
    programs = await repository.programs.by_ids(session, {c.program_id for c in courses})
    names = await centers.by_ids(session, {c.center_id for c in courses})
    for course in courses:
        program = programs.get(course.program_id)
        if program is None:
            continue
        await records.save(session, course, {})
        center = names.get(course.center_id)
        await events.course_changed(session, course, program, center["name"] if center else None)


# ------------------------------------------------------------------ programmes


async def program_page(
    session: AsyncSession, ctx: Context, params: PageParams, query: ListQuery
) -> ProgramPage:
    count, rows = await repository.page_rows(
        session, params, repository.programs_query(), PROGRAM_LIST, query
    )
    return page_of(ProgramPage, ctx, params, count, [answers.program(ctx, p) for p in rows])


async def program(session: AsyncSession, ctx: Context, program_id: int) -> ProgramRead:
    row = await repository.program_row(session, program_id)
    if row is None:
        raise NotFound()
    return answers.program(ctx, row)


async def program_for_write(session: AsyncSession, program_id: int) -> Program:
    """The programme an update changes, locked, or a 404 (asked before the body is read)."""
    return await repository.programs.require(session, program_id, for_update=True)


async def _save_program(
    session: AsyncSession,
    storage: Storage,
    *,
    data: BaseModel,
    files: dict[str, UploadFile],
    program: Program | None = None,
) -> Program:
    values = columns(data)
    not_null(values, "name", "description", "duration_years")
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
        await republish_courses(session, courses)
    await events.program_changed(session, program)
    return program


async def create_program(
    session: AsyncSession,
    ctx: Context,
    storage: Storage,
    *,
    data: BaseModel,
    files: dict[str, UploadFile],
) -> ProgramRead:
    p = await _save_program(session, storage, data=data, files=files)
    return answers.program(ctx, p)


async def update_program(
    session: AsyncSession,
    ctx: Context,
    storage: Storage,
    p: Program,
    *,
    data: BaseModel,
    files: dict[str, UploadFile],
) -> ProgramRead:
    """A full (PUT) or partial (PATCH) update of the (locked) programme: ``data`` holds
    the fields sent."""
    p = await _save_program(session, storage, data=data, files=files, program=p)
    return answers.program(ctx, p)


async def delete_program(session: AsyncSession, program_id: int) -> None:
    """Delete a programme with its distributions, weekly plans and courses, and say so;
    its teachers stay, without a programme."""
    program = await repository.programs.require(session, program_id, for_update=True)
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


async def distribution_page(
    session: AsyncSession, ctx: Context, params: PageParams, query: ListQuery
) -> DistributionPage:
    count, rows = await repository.page_rows(
        session, params, repository.distributions_query(), DISTRIBUTION_LIST, query
    )
    results = [answers.distribution_row(ctx, r) for r in rows]
    return page_of(DistributionPage, ctx, params, count, results)


async def distribution(
    session: AsyncSession, ctx: Context, distribution_id: int
) -> DistributionRead:
    row = await repository.distribution_row(session, distribution_id)
    if row is None:
        raise NotFound()
    return answers.distribution_row(ctx, row)


async def _save_distribution(
    session: AsyncSession,
    ctx: Context,
    *,
    data: BaseModel,
    distribution: AnnualDistribution | None = None,
) -> AnnualDistribution:
    values = columns(data)
    not_null(values, "program_id", "academic_year")
    if "program_id" in values:
        await program_ref(session, "programe", values["program_id"])
    if "trainer_id" in values:
        await check_trainer(session, ctx, values["trainer_id"])
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


async def create_distribution(
    session: AsyncSession, ctx: Context, *, data: BaseModel
) -> DistributionRead:
    d = await _save_distribution(session, ctx, data=data)
    return await distribution(session, ctx, d.id or 0)


async def distribution_for_write(session: AsyncSession, distribution_id: int) -> AnnualDistribution:
    """The distribution an update changes, locked, or a 404 (asked before the body)."""
    return await repository.distributions.require(session, distribution_id, for_update=True)


async def update_distribution(
    session: AsyncSession, ctx: Context, d: AnnualDistribution, *, data: BaseModel
) -> DistributionRead:
    """A full (PUT) or partial (PATCH) update of the (locked) distribution: ``data``
    holds the fields sent."""
    d = await _save_distribution(session, ctx, data=data, distribution=d)
    return await distribution(session, ctx, d.id or 0)


async def delete_distribution(session: AsyncSession, distribution_id: int) -> None:
    """Delete an annual distribution with its weekly plans, and say so."""
    d = await repository.distributions.require(session, distribution_id, for_update=True)
    for plan in await repository.plans_of_distribution(session, d.id or 0):
        await events.deleted(session, "weeklyplan", plan.id or 0, plan.version)
    await events.deleted(session, "annualdistribution", d.id or 0, d.version)
    await records.remove(session, d)


# ------------------------------------------------------------------ weekly plans


async def weekly_plan_page(
    session: AsyncSession, ctx: Context, params: PageParams, query: ListQuery
) -> WeeklyPlanPage:
    count, rows = await repository.page_rows(
        session, params, repository.weekly_plans_query(), WEEKLY_PLAN_LIST, query
    )
    results = [answers.weekly_plan_row(ctx, r) for r in rows]
    return page_of(WeeklyPlanPage, ctx, params, count, results)


async def weekly_plan(session: AsyncSession, ctx: Context, plan_id: int) -> WeeklyPlanRead:
    row = await repository.weekly_plan_row(session, plan_id)
    if row is None:
        raise NotFound()
    return answers.weekly_plan_row(ctx, row)


async def _save_weekly_plan(
    session: AsyncSession, ctx: Context, *, data: BaseModel, plan: WeeklyPlan | None = None
) -> WeeklyPlan:
    values = columns(data)
    not_null(values, "annual_distribution_id", "month", "week_number", "title")
    distribution_id = values.get(
        "annual_distribution_id", plan.annual_distribution_id if plan else None
    )
    distribution = await repository.distributions.get(session, distribution_id or 0)
    if distribution is None:
        raise _invalid_pk("annual_distribution", distribution_id)
    if "trainer_id" in values:
        await check_trainer(session, ctx, values["trainer_id"])
    plan = await records.write(session, WeeklyPlan, values, record=plan, constraints=CONSTRAINTS)
    await events.weekly_plan_changed(session, plan, distribution.program_id)
    return plan


async def create_weekly_plan(
    session: AsyncSession, ctx: Context, *, data: BaseModel
) -> WeeklyPlanRead:
    plan = await _save_weekly_plan(session, ctx, data=data)
    return await weekly_plan(session, ctx, plan.id or 0)


async def weekly_plan_for_write(session: AsyncSession, plan_id: int) -> WeeklyPlan:
    """The weekly plan an update changes, locked, or a 404 (asked before the body)."""
    return await repository.weekly_plans.require(session, plan_id, for_update=True)


async def update_weekly_plan(
    session: AsyncSession, ctx: Context, plan: WeeklyPlan, *, data: BaseModel
) -> WeeklyPlanRead:
    """A full (PUT) or partial (PATCH) update of the (locked) plan: ``data`` holds the
    fields sent."""
    plan = await _save_weekly_plan(session, ctx, data=data, plan=plan)
    return await weekly_plan(session, ctx, plan.id or 0)


async def delete_weekly_plan(session: AsyncSession, plan_id: int) -> None:
    plan = await repository.weekly_plans.require(session, plan_id, for_update=True)
    await events.deleted(session, "weeklyplan", plan.id or 0, plan.version)
    await records.remove(session, plan)


# ------------------------------------------------------------------ training courses


async def course_page(
    session: AsyncSession, ctx: Context, params: PageParams, query: ListQuery, *where: Any
) -> CoursePage:
    count, rows = await repository.page_rows(
        session, params, repository.courses_query().where(*where), COURSE_LIST, query
    )
    return page_of(CoursePage, ctx, params, count, [answers.course_row(ctx, r) for r in rows])


async def course(session: AsyncSession, ctx: Context, course_id: int) -> CourseRead:
    row = await repository.course_row(session, course_id)
    if row is None:
        raise NotFound()
    return answers.course_row(ctx, row)


async def _save_course(
    session: AsyncSession,
    ctx: Context,
    *,
    data: BaseModel,
    course: TrainingCourse | None = None,
) -> TrainingCourse:
    values = columns(data)
    not_null(values, "program_id", "center_id", "trainer_id", "academic_year")
    program_id = values.get("program_id", course.program_id if course else None)
    program = await program_ref(session, "program", program_id or 0)
    center_id = values.get("center_id", course.center_id if course else None)
    if "center_id" in values or course is None:
        center = await center_ref(session, ctx, center_id or 0)
    else:
        center = (await centers.by_ids(session, [course.center_id])).get(course.center_id)
    if "trainer_id" in values:
        await check_trainer(session, ctx, values["trainer_id"])
    course = await records.write(
        session, TrainingCourse, values, record=course, constraints=CONSTRAINTS
    )
    await events.course_changed(session, course, program, center["name"] if center else None)
    return course


async def create_course(session: AsyncSession, ctx: Context, *, data: BaseModel) -> CourseRead:
    made = await _save_course(session, ctx, data=data)
    return await course(session, ctx, made.id or 0)


async def course_for_write(session: AsyncSession, course_id: int) -> TrainingCourse:
    """The training course an update changes, locked, or a 404 (asked before the body)."""
    return await repository.courses.require(session, course_id, for_update=True)


async def update_course(
    session: AsyncSession, ctx: Context, found: TrainingCourse, *, data: BaseModel
) -> CourseRead:
    """A full (PUT) or partial (PATCH) update of the (locked) course: ``data`` holds the
    fields sent."""
    found = await _save_course(session, ctx, data=data, course=found)
    return await course(session, ctx, found.id or 0)


async def delete_course(session: AsyncSession, course_id: int) -> None:
    found = await repository.courses.require(session, course_id, for_update=True)
    await events.deleted(session, "trainingcourse", found.id or 0, found.version)
    await records.remove(session, found)
