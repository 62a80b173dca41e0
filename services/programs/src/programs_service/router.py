"""HTTP endpoints of the programs service: thin; they parse, call the service, shape the answer.

The caller's role is checked before anything else (an anonymous caller gets a
401 and a reader a 403, whatever the body or the id).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import AdminOnly, CurrentUser
from entraide_kit.db import SessionDep
from entraide_kit.errors import NotFound
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf, body_openapi, json_or_form
from entraide_kit.pagination import PageDep, paginate
from entraide_kit.storage import StorageDep

from . import policies, repository, service, views
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


def _found(obj: Any) -> Any:
    if obj is None:
        raise NotFound()
    return obj


# ------------------------------------------------------------------ training programmes

ProgramIn = Annotated[BodyOf[ProgramCreate], Depends(json_or_form(ProgramCreate, files=("logo",)))]
ProgramPatch = Annotated[
    BodyOf[ProgramUpdate], Depends(json_or_form(ProgramUpdate, files=("logo",)))
]
ProgramQuery = Annotated[ListQuery, Depends(repository.PROGRAM_LIST.dependency())]
PROGRAMS = "/trainingprogrames"


async def program_for_write(_: AdminOnly, program_id: int, session: SessionDep) -> Program:
    return _found(await records.get(session, Program, program_id, for_update=True))


ProgramDep = Annotated[Program, Depends(program_for_write)]


@programs.get(f"{PROGRAMS}/", response_model=ProgramPage)
async def list_programs(
    _: CurrentUser, request: Request, session: SessionDep, page: PageDep, query: ProgramQuery
) -> dict[str, Any]:
    """List training programmes (filters: name, duration_years; search: name, description)."""
    stmt = repository.PROGRAM_LIST.apply(repository.programs_query(), query)
    return await paginate(
        session, stmt, request=request, params=page, transform=lambda p: views.program(request, p)
    )


@programs.post(
    f"{PROGRAMS}/",
    response_model=ProgramRead,
    status_code=CREATED,
    openapi_extra=body_openapi(ProgramCreate, files=("logo",)),
)
async def create_program(
    _: AdminOnly, request: Request, body: ProgramIn, session: SessionDep, storage: StorageDep
) -> ProgramRead:
    """Create a training programme (JSON, or multipart/form-data with a `logo` image)."""
    p = await service.save_program(session, storage, data=body.data, files=body.files)
    return views.program(request, p)


@programs.get(f"{PROGRAMS}/{{program_id}}/", response_model=ProgramRead)
async def retrieve_program(
    _: CurrentUser, program_id: int, request: Request, session: SessionDep
) -> ProgramRead:
    """Retrieve a training programme."""
    return views.program(request, _found(await records.get(session, Program, program_id)))


@programs.put(
    f"{PROGRAMS}/{{program_id}}/",
    response_model=ProgramRead,
    openapi_extra=body_openapi(ProgramCreate, files=("logo",)),
)
async def update_program(
    p: ProgramDep, request: Request, body: ProgramIn, session: SessionDep, storage: StorageDep
) -> ProgramRead:
    """Update a training programme (full update)."""
    p = await service.save_program(session, storage, data=body.data, files=body.files, program=p)
    return views.program(request, p)


@programs.patch(
    f"{PROGRAMS}/{{program_id}}/",
    response_model=ProgramRead,
    openapi_extra=body_openapi(ProgramUpdate, files=("logo",)),
)
async def partial_update_program(
    p: ProgramDep, request: Request, body: ProgramPatch, session: SessionDep, storage: StorageDep
) -> ProgramRead:
    """Update a training programme (partial update)."""
    p = await service.save_program(session, storage, data=body.data, files=body.files, program=p)
    return views.program(request, p)


@programs.delete(f"{PROGRAMS}/{{program_id}}/", status_code=NO_CONTENT)
async def delete_program(p: ProgramDep, session: SessionDep) -> Response:
    """Delete a training programme with its distributions, weekly plans and courses."""
    await service.delete_program(session, p)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ annual distributions

DistributionQuery = Annotated[ListQuery, Depends(repository.DISTRIBUTION_LIST.dependency())]
DISTRIBUTIONS = "/annualcoursedistributions"


async def distribution_for_write(
    _: AdminOnly, distribution_id: int, session: SessionDep
) -> AnnualDistribution:
    return _found(await records.get(session, AnnualDistribution, distribution_id, for_update=True))


DistributionDep = Annotated[AnnualDistribution, Depends(distribution_for_write)]


async def _distribution_answer(
    request: Request, session: SessionDep, distribution_id: int
) -> DistributionRead:
    row = _found(await repository.distribution_row(session, distribution_id))
    return views.distribution_row(request, row)


@programs.get(f"{DISTRIBUTIONS}/", response_model=DistributionPage)
async def list_distributions(
    _: CurrentUser, request: Request, session: SessionDep, page: PageDep, query: DistributionQuery
) -> dict[str, Any]:
    """List annual course distributions with their programme (filters: programe,
    academic_year, trainer; search: programme name, academic year)."""
    stmt = repository.DISTRIBUTION_LIST.apply(repository.distributions_query(), query)
    return await paginate(
        session,
        stmt,
        request=request,
        params=page,
        scalars=False,
        transform=lambda r: views.distribution_row(request, r),
    )


@programs.post(f"{DISTRIBUTIONS}/", response_model=DistributionRead, status_code=CREATED)
async def create_distribution(
    _: AdminOnly, request: Request, body: DistributionCreate, session: SessionDep
) -> DistributionRead:
    """Create an annual course distribution."""
    d = await service.save_distribution(session, request, data=body)
    return await _distribution_answer(request, session, d.id or 0)


@programs.get(f"{DISTRIBUTIONS}/{{distribution_id}}/", response_model=DistributionRead)
async def retrieve_distribution(
    _: CurrentUser, distribution_id: int, request: Request, session: SessionDep
) -> DistributionRead:
    """Retrieve an annual course distribution with its programme."""
    return await _distribution_answer(request, session, distribution_id)


@programs.put(f"{DISTRIBUTIONS}/{{distribution_id}}/", response_model=DistributionRead)
async def update_distribution(
    d: DistributionDep, request: Request, body: DistributionCreate, session: SessionDep
) -> DistributionRead:
    """Update an annual course distribution (full update)."""
    d = await service.save_distribution(session, request, data=body, distribution=d)
    return await _distribution_answer(request, session, d.id or 0)


@programs.patch(f"{DISTRIBUTIONS}/{{distribution_id}}/", response_model=DistributionRead)
async def partial_update_distribution(
    d: DistributionDep, request: Request, body: DistributionUpdate, session: SessionDep
) -> DistributionRead:
    """Update an annual course distribution (partial update)."""
    d = await service.save_distribution(session, request, data=body, distribution=d)
    return await _distribution_answer(request, session, d.id or 0)


@programs.delete(f"{DISTRIBUTIONS}/{{distribution_id}}/", status_code=NO_CONTENT)
async def delete_distribution(d: DistributionDep, session: SessionDep) -> Response:
    """Delete an annual course distribution with its weekly plans."""
    await service.delete_distribution(session, d)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ weekly plans

WeeklyPlanQuery = Annotated[ListQuery, Depends(repository.WEEKLY_PLAN_LIST.dependency())]
PLANS = "/weeklycourseplans"


async def plan_for_write(_: AdminOnly, plan_id: int, session: SessionDep) -> WeeklyPlan:
    return _found(await records.get(session, WeeklyPlan, plan_id, for_update=True))


WeeklyPlanDep = Annotated[WeeklyPlan, Depends(plan_for_write)]


async def _plan_answer(request: Request, session: SessionDep, plan_id: int) -> WeeklyPlanRead:
    return views.weekly_plan_row(
        request, _found(await repository.weekly_plan_row(session, plan_id))
    )


@programs.get(f"{PLANS}/", response_model=WeeklyPlanPage)
async def list_weekly_plans(
    _: CurrentUser, request: Request, session: SessionDep, page: PageDep, query: WeeklyPlanQuery
) -> dict[str, Any]:
    """List weekly course plans with their distribution and programme (filters:
    annual_distribution, programe, academic_year, month, week_number, trainer;
    search: title, description)."""
    stmt = repository.WEEKLY_PLAN_LIST.apply(repository.weekly_plans_query(), query)
    return await paginate(
        session,
        stmt,
        request=request,
        params=page,
        scalars=False,
        transform=lambda r: views.weekly_plan_row(request, r),
    )


@programs.post(f"{PLANS}/", response_model=WeeklyPlanRead, status_code=CREATED)
async def create_weekly_plan(
    _: AdminOnly, request: Request, body: WeeklyPlanCreate, session: SessionDep
) -> WeeklyPlanRead:
    """Create a weekly course plan."""
    plan = await service.save_weekly_plan(session, request, data=body)
    return await _plan_answer(request, session, plan.id or 0)


@programs.get(f"{PLANS}/{{plan_id}}/", response_model=WeeklyPlanRead)
async def retrieve_weekly_plan(
    _: CurrentUser, plan_id: int, request: Request, session: SessionDep
) -> WeeklyPlanRead:
    """Retrieve a weekly course plan with its distribution and programme."""
    return await _plan_answer(request, session, plan_id)


@programs.put(f"{PLANS}/{{plan_id}}/", response_model=WeeklyPlanRead)
async def update_weekly_plan(
    plan: WeeklyPlanDep, request: Request, body: WeeklyPlanCreate, session: SessionDep
) -> WeeklyPlanRead:
    """Update a weekly course plan (full update)."""
    plan = await service.save_weekly_plan(session, request, data=body, plan=plan)
    return await _plan_answer(request, session, plan.id or 0)


@programs.patch(f"{PLANS}/{{plan_id}}/", response_model=WeeklyPlanRead)
async def partial_update_weekly_plan(
    plan: WeeklyPlanDep, request: Request, body: WeeklyPlanUpdate, session: SessionDep
) -> WeeklyPlanRead:
    """Update a weekly course plan (partial update)."""
    plan = await service.save_weekly_plan(session, request, data=body, plan=plan)
    return await _plan_answer(request, session, plan.id or 0)


@programs.delete(f"{PLANS}/{{plan_id}}/", status_code=NO_CONTENT)
async def delete_weekly_plan(plan: WeeklyPlanDep, session: SessionDep) -> Response:
    """Delete a weekly course plan."""
    await service.delete_weekly_plan(session, plan)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ training courses

CourseQuery = Annotated[ListQuery, Depends(repository.COURSE_LIST.dependency())]
COURSES = "/trainingcourses"


async def course_for_write(_: AdminOnly, course_id: int, session: SessionDep) -> TrainingCourse:
    return _found(await records.get(session, TrainingCourse, course_id, for_update=True))


CourseDep = Annotated[TrainingCourse, Depends(course_for_write)]


async def _course_answer(request: Request, session: SessionDep, course_id: int) -> CourseRead:
    return views.course_row(request, _found(await repository.course_row(session, course_id)))


async def _course_page(
    request: Request, session: SessionDep, page: PageDep, query: ListQuery, *where: Any
) -> dict[str, Any]:
    stmt = repository.COURSE_LIST.apply(repository.courses_query().where(*where), query)
    return await paginate(
        session,
        stmt,
        request=request,
        params=page,
        scalars=False,
        transform=lambda r: views.course_row(request, r),
    )


@programs.get(f"{COURSES}/", response_model=CoursePage)
async def list_courses(
    _: CurrentUser, request: Request, session: SessionDep, page: PageDep, query: CourseQuery
) -> dict[str, Any]:
    """List training courses with their programme, centre and trainer (filters: program,
    center, trainer, academic_year; search: programme, centre and trainer names)."""
    return await _course_page(request, session, page, query)


@programs.post(f"{COURSES}/", response_model=CourseRead, status_code=CREATED)
async def create_course(
    _: AdminOnly, request: Request, body: CourseCreate, session: SessionDep
) -> CourseRead:
    """Create a training course (its trainer: an active trainer; its centre must exist)."""
    course = await service.save_course(session, request, data=body)
    return await _course_answer(request, session, course.id or 0)


@programs.get(f"{COURSES}/{{course_id}}/", response_model=CourseRead)
async def retrieve_course(
    _: CurrentUser, course_id: int, request: Request, session: SessionDep
) -> CourseRead:
    """Retrieve a training course with its programme, centre and trainer."""
    return await _course_answer(request, session, course_id)


@programs.put(f"{COURSES}/{{course_id}}/", response_model=CourseRead)
async def update_course(
    course: CourseDep, request: Request, body: CourseCreate, session: SessionDep
) -> CourseRead:
    """Update a training course (full update)."""
    course = await service.save_course(session, request, data=body, course=course)
    return await _course_answer(request, session, course.id or 0)


@programs.patch(f"{COURSES}/{{course_id}}/", response_model=CourseRead)
async def partial_update_course(
    course: CourseDep, request: Request, body: CourseUpdate, session: SessionDep
) -> CourseRead:
    """Update a training course (partial update)."""
    course = await service.save_course(session, request, data=body, course=course)
    return await _course_answer(request, session, course.id or 0)


@programs.delete(f"{COURSES}/{{course_id}}/", status_code=NO_CONTENT)
async def delete_course(course: CourseDep, session: SessionDep) -> Response:
    """Delete a training course."""
    await service.delete_course(session, course)
    return Response(status_code=NO_CONTENT)


# ------------------------------------------------------------------ teachers

TeacherQuery = Annotated[ListQuery, Depends(repository.TEACHER_LIST.dependency())]


async def _teacher(session: SessionDep, teacher_id: int, *, for_update: bool = False) -> Teacher:
    return _found(await records.get(session, Teacher, teacher_id, for_update=for_update))


async def _teacher_answer(session: SessionDep, teacher_id: int) -> TeacherRead:
    row, groups = await service.teacher_read(session, teacher_id)
    return views.teacher_row(row, groups)


@teachers.get("/", response_model=TeacherPage)
async def list_teachers(
    actor: policies.TeacherReader,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: TeacherQuery,
) -> dict[str, Any]:
    """List teachers (a centre supervisor: those of their centres; a trainer: their own;
    filters: center, program, group, user, contract_with; search: names, email, centre,
    programme)."""
    result, groups = await service.teacher_page(session, request, actor, page, query)
    result["results"] = [views.teacher_row(r, groups.get(r[0].id, [])) for r in result["results"]]
    return result


@teachers.post("/", response_model=TeacherCreated, status_code=CREATED)
async def create_teacher(
    actor: policies.TeacherWriter, request: Request, body: TeacherCreate, session: SessionDep
) -> TeacherCreated:
    """Create a teacher and its user (role trainer): the answer shows the user's
    generated email and one-time `initial_password`, once."""
    made = await service.create_teacher(session, request, actor, data=body)
    row, groups = await service.teacher_read(session, made.teacher.id or 0)
    return views.teacher_created(row, groups, made.initial_password)


@teachers.get("/{teacher_id}/", response_model=TeacherRead)
async def retrieve_teacher(
    actor: policies.TeacherReader, teacher_id: int, session: SessionDep
) -> TeacherRead:
    """Retrieve a teacher (a trainer: their own)."""
    await service.readable_teacher(session, actor, teacher_id)
    return await _teacher_answer(session, teacher_id)


@teachers.put("/{teacher_id}/", response_model=TeacherRead)
async def update_teacher(
    actor: policies.TeacherWriter,
    teacher_id: int,
    request: Request,
    body: TeacherPut,
    session: SessionDep,
) -> TeacherRead:
    """Update a teacher (full update of the teacher record; the user is changed in auth)."""
    teacher = await service.readable_teacher(session, actor, teacher_id, for_update=True)
    await service.update_teacher(session, request, actor, data=body, teacher=teacher)
    return await _teacher_answer(session, teacher_id)


@teachers.patch("/{teacher_id}/", response_model=TeacherRead)
async def partial_update_teacher(
    actor: policies.TeacherWriter,
    teacher_id: int,
    request: Request,
    body: TeacherUpdate,
    session: SessionDep,
) -> TeacherRead:
    """Update a teacher (partial update)."""
    teacher = await service.readable_teacher(session, actor, teacher_id, for_update=True)
    await service.update_teacher(session, request, actor, data=body, teacher=teacher)
    return await _teacher_answer(session, teacher_id)


@teachers.delete("/{teacher_id}/", status_code=NO_CONTENT)
async def delete_teacher(
    _: AdminOnly, teacher_id: int, request: Request, session: SessionDep
) -> Response:
    """Delete a teacher and its user account."""
    teacher = await _teacher(session, teacher_id, for_update=True)
    await service.delete_teacher(session, request, teacher)
    return Response(status_code=NO_CONTENT)


@teachers.get("/{teacher_id}/courses/", response_model=CoursePage)
async def courses_of_teacher(
    actor: policies.CourseOfTeacherReader,
    teacher_id: int,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: CourseQuery,
) -> dict[str, Any]:
    """List the training courses the teacher's user trains (a trainer: their own only)."""
    teacher = await _teacher(session, teacher_id)
    await policies.can_read_courses_of(session, actor, teacher)
    return await _course_page(
        request, session, page, query, col(TrainingCourse.trainer_id) == teacher.user_id
    )
