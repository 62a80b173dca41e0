"""HTTP endpoints of the programs service: they declare what the request carries and
call one service function, whose answer is the response.

The caller's role is checked before anything else (an anonymous caller gets a
401 and a reader a 403, whatever the body or the id).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from entraide_kit.answercache import cacheable
from entraide_kit.auth import AdminOnly, CurrentUser
from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf, body_openapi, json_or_form
from entraide_kit.pagination import PageDep
from entraide_kit.storage import StorageDep

from . import policies, service
from . import teachers as teacher_rules
from .models import AnnualDistribution, Program, Teacher, TrainingCourse, WeeklyPlan
from .schemas import (
    CourseCreate,
    CoursePage,
    CourseRead,
    CourseUpdate,
    DistributionCreate,
    DistributionPage,
    DistributionRead,
    DistributionUpdate,
    ProgramCreate,
    ProgramPage,
    ProgramRead,
    ProgramUpdate,
    TeacherCreate,
    TeacherCreated,
    TeacherPage,
    TeacherPut,
    TeacherRead,
    TeacherUpdate,
    WeeklyPlanCreate,
    WeeklyPlanPage,
    WeeklyPlanRead,
    WeeklyPlanUpdate,
)

programs = APIRouter(prefix="/api/programs", tags=["programs"])
teachers = APIRouter(prefix="/api/teachers", tags=["teachers"])

NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED


# ------------------------------------------------------------------ training programmes

ProgramIn = Annotated[BodyOf[ProgramCreate], Depends(json_or_form(ProgramCreate, files=("logo",)))]
ProgramPatch = Annotated[
    BodyOf[ProgramUpdate], Depends(json_or_form(ProgramUpdate, files=("logo",)))
]
ProgramQuery = Annotated[ListQuery, Depends(service.PROGRAM_LIST.dependency())]
PROGRAMS = "/trainingprogrames"

# An update's record is loaded (and locked) by a dependency declared after the
# role and before the body: 403, then 404, then the body's 400.


async def program_for_write(_: AdminOnly, program_id: int, session: SessionDep) -> Program:
    return await service.program_for_write(session, program_id)


ProgramForWrite = Annotated[Program, Depends(program_for_write)]


@programs.get(f"{PROGRAMS}/", response_model=ProgramPage)
@cacheable
async def list_programs(
    _: CurrentUser, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: ProgramQuery
) -> ProgramPage:
    """List training programmes (filters: name, duration_years; search: name, description)."""
    return await service.program_page(session, ctx, page, query)


@programs.post(
    f"{PROGRAMS}/",
    response_model=ProgramRead,
    status_code=CREATED,
    openapi_extra=body_openapi(ProgramCreate, files=("logo",)),
)
async def create_program(
    _: AdminOnly, ctx: CtxDep, body: ProgramIn, session: SessionDep, storage: StorageDep
) -> ProgramRead:
    """Create a training programme (JSON, or multipart/form-data with a `logo` image)."""
    return await service.create_program(session, ctx, storage, data=body.data, files=body.files)


@programs.get(f"{PROGRAMS}/{{program_id}}/", response_model=ProgramRead)
@cacheable
async def retrieve_program(
    _: CurrentUser, program_id: int, ctx: CtxDep, session: ReadSessionDep
) -> ProgramRead:
    """Retrieve a training programme."""
    return await service.program(session, ctx, program_id)


@programs.put(
    f"{PROGRAMS}/{{program_id}}/",
    response_model=ProgramRead,
    openapi_extra=body_openapi(ProgramCreate, files=("logo",)),
)
async def update_program(
    _: AdminOnly,
    program_id: int,
    found: ProgramForWrite,
    ctx: CtxDep,
    body: ProgramIn,
    session: SessionDep,
    storage: StorageDep,
) -> ProgramRead:
    """Update a training programme (full update)."""
    return await service.update_program(
        session, ctx, storage, found, data=body.data, files=body.files
    )


@programs.patch(
    f"{PROGRAMS}/{{program_id}}/",
    response_model=ProgramRead,
    openapi_extra=body_openapi(ProgramUpdate, files=("logo",)),
)
async def partial_update_program(
    _: AdminOnly,
    program_id: int,
    found: ProgramForWrite,
    ctx: CtxDep,
    body: ProgramPatch,
    session: SessionDep,
    storage: StorageDep,
) -> ProgramRead:
    """Update a training programme (partial update)."""
    return await service.update_program(
        session, ctx, storage, found, data=body.data, files=body.files
    )


@programs.delete(f"{PROGRAMS}/{{program_id}}/", status_code=NO_CONTENT)
async def delete_program(_: AdminOnly, program_id: int, session: SessionDep) -> Response:
    """Delete a training programme with its distributions, weekly plans and courses."""
    await service.delete_program(session, program_id)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ annual distributions

DistributionQuery = Annotated[ListQuery, Depends(service.DISTRIBUTION_LIST.dependency())]
DISTRIBUTIONS = "/annualcoursedistributions"


async def distribution_for_write(
    _: AdminOnly, distribution_id: int, session: SessionDep
) -> AnnualDistribution:
    return await service.distribution_for_write(session, distribution_id)


DistributionForWrite = Annotated[AnnualDistribution, Depends(distribution_for_write)]


@programs.get(f"{DISTRIBUTIONS}/", response_model=DistributionPage)
@cacheable
async def list_distributions(
    _: CurrentUser,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: DistributionQuery,
) -> DistributionPage:
    """List annual course distributions with their programme (filters: programe,
    academic_year, trainer; search: programme name, academic year)."""
    return await service.distribution_page(session, ctx, page, query)


@programs.post(f"{DISTRIBUTIONS}/", response_model=DistributionRead, status_code=CREATED)
async def create_distribution(
    _: AdminOnly, ctx: CtxDep, body: DistributionCreate, session: SessionDep
) -> DistributionRead:
    """Create an annual course distribution."""
    return await service.create_distribution(session, ctx, data=body)


@programs.get(f"{DISTRIBUTIONS}/{{distribution_id}}/", response_model=DistributionRead)
@cacheable
async def retrieve_distribution(
    _: CurrentUser, distribution_id: int, ctx: CtxDep, session: ReadSessionDep
) -> DistributionRead:
    """Retrieve an annual course distribution with its programme."""
    return await service.distribution(session, ctx, distribution_id)


@programs.put(f"{DISTRIBUTIONS}/{{distribution_id}}/", response_model=DistributionRead)
async def update_distribution(
    _: AdminOnly,
    distribution_id: int,
    found: DistributionForWrite,
    ctx: CtxDep,
    body: DistributionCreate,
    session: SessionDep,
) -> DistributionRead:
    """Update an annual course distribution (full update)."""
    return await service.update_distribution(session, ctx, found, data=body)


@programs.patch(f"{DISTRIBUTIONS}/{{distribution_id}}/", response_model=DistributionRead)
async def partial_update_distribution(
    _: AdminOnly,
    distribution_id: int,
    found: DistributionForWrite,
    ctx: CtxDep,
    body: DistributionUpdate,
    session: SessionDep,
) -> DistributionRead:
    """Update an annual course distribution (partial update)."""
    return await service.update_distribution(session, ctx, found, data=body)


@programs.delete(f"{DISTRIBUTIONS}/{{distribution_id}}/", status_code=NO_CONTENT)
async def delete_distribution(_: AdminOnly, distribution_id: int, session: SessionDep) -> Response:
    """Delete an annual course distribution with its weekly plans."""
    await service.delete_distribution(session, distribution_id)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ weekly plans

WeeklyPlanQuery = Annotated[ListQuery, Depends(service.WEEKLY_PLAN_LIST.dependency())]
PLANS = "/weeklycourseplans"


async def plan_for_write(_: AdminOnly, plan_id: int, session: SessionDep) -> WeeklyPlan:
    return await service.weekly_plan_for_write(session, plan_id)


WeeklyPlanForWrite = Annotated[WeeklyPlan, Depends(plan_for_write)]


@programs.get(f"{PLANS}/", response_model=WeeklyPlanPage)
@cacheable
async def list_weekly_plans(
    _: CurrentUser, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: WeeklyPlanQuery
) -> WeeklyPlanPage:
    """List weekly course plans with their distribution and programme (filters:
    annual_distribution, programe, academic_year, month, week_number, trainer;
    search: title, description)."""
    return await service.weekly_plan_page(session, ctx, page, query)


@programs.post(f"{PLANS}/", response_model=WeeklyPlanRead, status_code=CREATED)
async def create_weekly_plan(
    _: AdminOnly, ctx: CtxDep, body: WeeklyPlanCreate, session: SessionDep
) -> WeeklyPlanRead:
    """Create a weekly course plan."""
    return await service.create_weekly_plan(session, ctx, data=body)


@programs.get(f"{PLANS}/{{plan_id}}/", response_model=WeeklyPlanRead)
@cacheable
async def retrieve_weekly_plan(
    _: CurrentUser, plan_id: int, ctx: CtxDep, session: ReadSessionDep
) -> WeeklyPlanRead:
    """Retrieve a weekly course plan with its distribution and programme."""
    return await service.weekly_plan(session, ctx, plan_id)


@programs.put(f"{PLANS}/{{plan_id}}/", response_model=WeeklyPlanRead)
async def update_weekly_plan(
    _: AdminOnly,
    plan_id: int,
    found: WeeklyPlanForWrite,
    ctx: CtxDep,
    body: WeeklyPlanCreate,
    session: SessionDep,
) -> WeeklyPlanRead:
    """Update a weekly course plan (full update)."""
    return await service.update_weekly_plan(session, ctx, found, data=body)


@programs.patch(f"{PLANS}/{{plan_id}}/", response_model=WeeklyPlanRead)
async def partial_update_weekly_plan(
    _: AdminOnly,
    plan_id: int,
    found: WeeklyPlanForWrite,
    ctx: CtxDep,
    body: WeeklyPlanUpdate,
    session: SessionDep,
) -> WeeklyPlanRead:
    """Update a weekly course plan (partial update)."""
    return await service.update_weekly_plan(session, ctx, found, data=body)


@programs.delete(f"{PLANS}/{{plan_id}}/", status_code=NO_CONTENT)
async def delete_weekly_plan(_: AdminOnly, plan_id: int, session: SessionDep) -> Response:
    """Delete a weekly course plan."""
    await service.delete_weekly_plan(session, plan_id)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ training courses

CourseQuery = Annotated[ListQuery, Depends(service.COURSE_LIST.dependency())]
COURSES = "/trainingcourses"


async def course_for_write(_: AdminOnly, course_id: int, session: SessionDep) -> TrainingCourse:
    return await service.course_for_write(session, course_id)


CourseForWrite = Annotated[TrainingCourse, Depends(course_for_write)]


@programs.get(f"{COURSES}/", response_model=CoursePage)
@cacheable
async def list_courses(
    _: CurrentUser, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: CourseQuery
) -> CoursePage:
    """List training courses with their programme, centre and trainer (filters: program,
    center, trainer, academic_year; search: programme, centre and trainer names)."""
    return await service.course_page(session, ctx, page, query)


@programs.post(f"{COURSES}/", response_model=CourseRead, status_code=CREATED)
async def create_course(
    _: AdminOnly, ctx: CtxDep, body: CourseCreate, session: SessionDep
) -> CourseRead:
    """Create a training course (its trainer: an active trainer; its centre must exist)."""
    return await service.create_course(session, ctx, data=body)


@programs.get(f"{COURSES}/{{course_id}}/", response_model=CourseRead)
@cacheable
async def retrieve_course(
    _: CurrentUser, course_id: int, ctx: CtxDep, session: ReadSessionDep
) -> CourseRead:
    """Retrieve a training course with its programme, centre and trainer."""
    return await service.course(session, ctx, course_id)


@programs.put(f"{COURSES}/{{course_id}}/", response_model=CourseRead)
async def update_course(
    _: AdminOnly,
    course_id: int,
    found: CourseForWrite,
    ctx: CtxDep,
    body: CourseCreate,
    session: SessionDep,
) -> CourseRead:
    """Update a training course (full update)."""
    return await service.update_course(session, ctx, found, data=body)


@programs.patch(f"{COURSES}/{{course_id}}/", response_model=CourseRead)
async def partial_update_course(
    _: AdminOnly,
    course_id: int,
    found: CourseForWrite,
    ctx: CtxDep,
    body: CourseUpdate,
    session: SessionDep,
) -> CourseRead:
    """Update a training course (partial update)."""
    return await service.update_course(session, ctx, found, data=body)


@programs.delete(f"{COURSES}/{{course_id}}/", status_code=NO_CONTENT)
async def delete_course(_: AdminOnly, course_id: int, session: SessionDep) -> Response:
    """Delete a training course."""
    await service.delete_course(session, course_id)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ teachers

TeacherQuery = Annotated[ListQuery, Depends(teacher_rules.TEACHER_LIST.dependency())]


async def teacher_for_write(
    actor: policies.TeacherWriter, teacher_id: int, session: SessionDep
) -> Teacher:
    """A 404 for a teacher that does not exist or is not the supervisor's, before the
    body is read."""
    return await teacher_rules.teacher_for_write(session, actor, teacher_id)


TeacherForWrite = Annotated[Teacher, Depends(teacher_for_write)]


@teachers.get("/", response_model=TeacherPage)
@cacheable
async def list_teachers(
    actor: policies.TeacherReader,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: TeacherQuery,
) -> TeacherPage:
    """List teachers (a centre supervisor: those of their centres; a trainer: their own;
    filters: center, program, group, user, contract_with; search: names, email, centre,
    programme)."""
    return await teacher_rules.teacher_page(session, ctx, actor, page, query)


@teachers.post("/", response_model=TeacherCreated, status_code=CREATED)
async def create_teacher(
    actor: policies.TeacherWriter, ctx: CtxDep, body: TeacherCreate, session: SessionDep
) -> TeacherCreated:
    """Create a teacher and its user (role trainer): the answer shows the user's
    generated email and one-time `initial_password`, once."""
    return await teacher_rules.create_teacher(session, ctx, actor, body)


@teachers.get("/{teacher_id}/", response_model=TeacherRead)
@cacheable
async def retrieve_teacher(
    actor: policies.TeacherReader, teacher_id: int, session: ReadSessionDep
) -> TeacherRead:
    """Retrieve a teacher (a trainer: their own)."""
    return await teacher_rules.teacher(session, actor, teacher_id)


@teachers.put("/{teacher_id}/", response_model=TeacherRead)
async def update_teacher(
    actor: policies.TeacherWriter,
    teacher_id: int,
    found: TeacherForWrite,
    ctx: CtxDep,
    body: TeacherPut,
    session: SessionDep,
) -> TeacherRead:
    """Update a teacher (full update of the teacher record; the user is changed in auth)."""
    return await teacher_rules.update_teacher(session, ctx, actor, found, body)


@teachers.patch("/{teacher_id}/", response_model=TeacherRead)
async def partial_update_teacher(
    actor: policies.TeacherWriter,
    teacher_id: int,
    found: TeacherForWrite,
    ctx: CtxDep,
    body: TeacherUpdate,
    session: SessionDep,
) -> TeacherRead:
    """Update a teacher (partial update)."""
    return await teacher_rules.update_teacher(session, ctx, actor, found, body)


@teachers.delete("/{teacher_id}/", status_code=NO_CONTENT)
async def delete_teacher(
    _: AdminOnly, teacher_id: int, ctx: CtxDep, session: SessionDep
) -> Response:
    """Delete a teacher and its user account."""
    await teacher_rules.delete_teacher(session, ctx, teacher_id)
    return Response(status_code=NO_CONTENT)


@teachers.get("/{teacher_id}/courses/", response_model=CoursePage)
@cacheable
async def courses_of_teacher(
    actor: policies.CourseOfTeacherReader,
    teacher_id: int,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: CourseQuery,
) -> CoursePage:
    """List the training courses the teacher's user trains (a trainer: their own only)."""
    return await teacher_rules.courses_of_teacher(session, ctx, actor, teacher_id, page, query)
