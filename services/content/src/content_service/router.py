"""HTTP endpoints of the content service: they parse, call one service function
and write its answer. The caller's role is checked before anything else (an
anonymous caller gets a 401, a reader writing a 403, whatever the body or id).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel

from entraide_kit import records
from entraide_kit.auth import (
    MUST_CHANGE_PASSWORD,
    AdminOnly,
    CurrentUser,
    Principal,
    require_roles,
    resolve_principal,
)
from entraide_kit.db import SessionDep
from entraide_kit.errors import NotAuthenticated, PermissionDenied
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf, body_openapi, json_or_form
from entraide_kit.pagination import PageDep, PageParams, build_page, public_base_url
from entraide_kit.storage import StorageDep

from . import lessons, policies, reads, repository, service, views
from .links import PdfLinks
from .models import Course, Lesson, Practice, Question, QuestionOption, Section, Unit
from .schemas import (
    CourseCreate,
    CourseItem,
    CoursePage,
    CourseRead,
    CourseUpdate,
    LessonCreate,
    LessonPage,
    LessonRead,
    LessonUpdate,
    OptionCreate,
    OptionPage,
    OptionRead,
    OptionUpdate,
    PracticeCreate,
    PracticePage,
    PracticeRead,
    PracticeUpdate,
    QuestionCreate,
    QuestionPage,
    QuestionRead,
    QuestionUpdate,
    SectionCreate,
    SectionPage,
    SectionRead,
    SectionUpdate,
    UnitCreate,
    UnitPage,
    UnitRead,
    UnitUpdate,
)
from .service import Owned
from .views import Reader, answer

router = APIRouter(prefix="/api/courses", tags=["courses"])

CREATED = status.HTTP_201_CREATED
NO_CONTENT = status.HTTP_204_NO_CONTENT

Writer = Annotated[Principal, Depends(require_roles(*policies.WRITERS))]


# --------------------------------------------------------------------------- callers


async def reader(principal: CurrentUser, request: Request) -> Reader:
    return Reader(
        base_url=public_base_url(request),
        storage=request.app.state.storage,
        links=request.app.state.pdf_links,
        learner=policies.is_learner(principal),
    )


async def reading(principal: CurrentUser, session: SessionDep) -> policies.Rights:
    return await service.rights(session, principal)


async def writing(principal: Writer, session: SessionDep) -> policies.Rights:
    return await service.rights(session, principal)


ReaderDep = Annotated[Reader, Depends(reader)]
Readers = Annotated[policies.Rights, Depends(reading)]
Writers = Annotated[policies.Rights, Depends(writing)]


def _page(
    request: Request, params: PageParams, found: tuple[int, list[Any]], model: type[BaseModel]
) -> Response:
    count, items = found
    return answer(model(**build_page(request, params, count, items)))


# --------------------------------------------------------------------------- courses

CourseIn = Annotated[
    BodyOf[CourseCreate], Depends(json_or_form(CourseCreate, files=("cover_image",)))
]
CoursePatch = Annotated[
    BodyOf[CourseUpdate], Depends(json_or_form(CourseUpdate, files=("cover_image",)))
]
CourseQuery = Annotated[ListQuery, Depends(repository.COURSE_LIST.dependency())]
UnitQuery = Annotated[ListQuery, Depends(repository.UNIT_LIST.dependency())]
SectionQuery = Annotated[ListQuery, Depends(repository.SECTION_LIST.dependency())]
LessonQuery = Annotated[ListQuery, Depends(repository.LESSON_LIST.dependency())]
PracticeQuery = Annotated[ListQuery, Depends(repository.PRACTICE_LIST.dependency())]
QuestionQuery = Annotated[ListQuery, Depends(repository.QUESTION_LIST.dependency())]
OptionQuery = Annotated[ListQuery, Depends(repository.OPTION_LIST.dependency())]


async def course_for_write(_: AdminOnly, course_id: int, session: SessionDep) -> Course:
    return await records.get_or_404(session, Course, course_id, for_update=True)


CourseDep = Annotated[Course, Depends(course_for_write)]


@router.get("/courses/", response_model=CoursePage)
async def list_courses(
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: CourseQuery,
) -> Response:
    """List courses, ordered by order then name (filters: is_active, program; search: name,
    description; ordering: order, name, created_at, updated_at)."""
    return _page(
        request, page, await reads.list_courses(session, r, caller, query, page), CoursePage
    )


@router.post(
    "/courses/",
    response_model=CourseItem,
    status_code=CREATED,
    openapi_extra=body_openapi(CourseCreate, files=("cover_image",)),
)
async def create_course(
    _: AdminOnly,
    r: ReaderDep,
    request: Request,
    body: CourseIn,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """Create a course (JSON, or multipart/form-data with a `cover_image` image)."""
    course = await service.save_course(
        session, storage, data=body.data, files=body.files, lookup=request
    )
    return answer(await reads.course_item(session, r, course), CREATED)


@router.get("/courses/{course_id}/", response_model=CourseRead)
async def retrieve_course(
    course_id: int, caller: Readers, r: ReaderDep, session: SessionDep
) -> Response:
    """A course with its whole content, in order: units, their sections, their lessons
    and practice, its questions and their options."""
    return answer(await reads.get_course(session, r, caller, course_id))


@router.put(
    "/courses/{course_id}/",
    response_model=CourseItem,
    openapi_extra=body_openapi(CourseCreate, files=("cover_image",)),
)
async def update_course(
    course: CourseDep,
    r: ReaderDep,
    request: Request,
    body: CourseIn,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """Update a course (full update)."""
    course = await service.save_course(
        session, storage, data=body.data, files=body.files, course=course, lookup=request
    )
    return answer(await reads.course_item(session, r, course))


@router.patch(
    "/courses/{course_id}/",
    response_model=CourseItem,
    openapi_extra=body_openapi(CourseUpdate, files=("cover_image",)),
)
async def partial_update_course(
    course: CourseDep,
    r: ReaderDep,
    request: Request,
    body: CoursePatch,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """Update a course (partial update)."""
    course = await service.save_course(
        session, storage, data=body.data, files=body.files, course=course, lookup=request
    )
    return answer(await reads.course_item(session, r, course))


@router.delete("/courses/{course_id}/", status_code=NO_CONTENT)
async def delete_course(course: CourseDep, session: SessionDep) -> Response:
    """Delete a course with its units, sections, lessons and practices."""
    await service.delete_course(session, course)
    return Response(status_code=NO_CONTENT)


@router.get("/courses/{course_id}/units/", response_model=UnitPage)
async def course_units(
    course_id: int,
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: UnitQuery,
) -> Response:
    """The units of a course, in order, with their sections."""
    found = await reads.list_units(session, r, caller, query, page, course_id=course_id)
    return _page(request, page, found, UnitPage)


# --------------------------------------------------------------------------- units


async def unit_for_write(caller: Writers, unit_id: int, session: SessionDep) -> Owned[Unit]:
    return await service.for_write(session, caller, Unit, unit_id)


UnitDep = Annotated[Owned[Unit], Depends(unit_for_write)]


@router.get("/units/", response_model=UnitPage)
async def list_units(
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: UnitQuery,
) -> Response:
    """List units with their sections (filter: course; search: name, description)."""
    return _page(request, page, await reads.list_units(session, r, caller, query, page), UnitPage)


@router.post("/units/", response_model=UnitRead, status_code=CREATED)
async def create_unit(
    caller: Writers, r: ReaderDep, body: UnitCreate, session: SessionDep
) -> Response:
    """Add a unit to a course (`order` defaults to the next free one)."""
    unit = await service.save_unit(session, caller, data=body)
    return answer(await reads.get_unit(session, r, caller, unit.id or 0), CREATED)


@router.get("/units/{unit_id}/", response_model=UnitRead)
async def retrieve_unit(
    unit_id: int, caller: Readers, r: ReaderDep, session: SessionDep
) -> Response:
    """A unit with its sections (and their lessons and practice)."""
    return answer(await reads.get_unit(session, r, caller, unit_id))


@router.put("/units/{unit_id}/", response_model=UnitRead)
async def update_unit(
    owned: UnitDep, r: ReaderDep, body: UnitCreate, session: SessionDep
) -> Response:
    """Update a unit (full update)."""
    unit = await service.save_unit(session, owned.rights, data=body, owned=owned)
    return answer(await reads.get_unit(session, r, owned.rights, unit.id or 0))


@router.patch("/units/{unit_id}/", response_model=UnitRead)
async def partial_update_unit(
    owned: UnitDep, r: ReaderDep, body: UnitUpdate, session: SessionDep
) -> Response:
    """Update a unit (partial update)."""
    unit = await service.save_unit(session, owned.rights, data=body, owned=owned)
    return answer(await reads.get_unit(session, r, owned.rights, unit.id or 0))


@router.delete("/units/{unit_id}/", status_code=NO_CONTENT)
async def delete_unit(owned: UnitDep, session: SessionDep) -> Response:
    """Delete a unit with its sections, lessons and practices."""
    await service.delete_unit(session, owned.record)
    return Response(status_code=NO_CONTENT)


@router.get("/units/{unit_id}/sections/", response_model=SectionPage)
async def unit_sections(
    unit_id: int,
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: SectionQuery,
) -> Response:
    """The sections of a unit, in order."""
    found = await reads.list_sections(session, r, caller, query, page, unit_id=unit_id)
    return _page(request, page, found, SectionPage)


# --------------------------------------------------------------------------- sections


async def section_for_write(
    caller: Writers, section_id: int, session: SessionDep
) -> Owned[Section]:
    return await service.for_write(session, caller, Section, section_id)


SectionDep = Annotated[Owned[Section], Depends(section_for_write)]


@router.get("/sections/", response_model=SectionPage)
async def list_sections(
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: SectionQuery,
) -> Response:
    """List sections with their lessons and practice (filters: unit, course or
    unit__course; search: name, description, about)."""
    found = await reads.list_sections(session, r, caller, query, page)
    return _page(request, page, found, SectionPage)


@router.post("/sections/", response_model=SectionRead, status_code=CREATED)
async def create_section(
    caller: Writers, r: ReaderDep, body: SectionCreate, session: SessionDep
) -> Response:
    """Add a section to a unit (`order` defaults to the next free one)."""
    section, _ = await service.save_section(session, caller, data=body)
    return answer(await reads.get_section(session, r, caller, section.id or 0), CREATED)


@router.get("/sections/{section_id}/", response_model=SectionRead)
async def retrieve_section(
    section_id: int, caller: Readers, r: ReaderDep, session: SessionDep
) -> Response:
    """A section with its lessons and its practice."""
    return answer(await reads.get_section(session, r, caller, section_id))


@router.put("/sections/{section_id}/", response_model=SectionRead)
async def update_section(
    owned: SectionDep, r: ReaderDep, body: SectionCreate, session: SessionDep
) -> Response:
    """Update a section (full update)."""
    section, _ = await service.save_section(session, owned.rights, data=body, owned=owned)
    return answer(await reads.get_section(session, r, owned.rights, section.id or 0))


@router.patch("/sections/{section_id}/", response_model=SectionRead)
async def partial_update_section(
    owned: SectionDep, r: ReaderDep, body: SectionUpdate, session: SessionDep
) -> Response:
    """Update a section (partial update)."""
    section, _ = await service.save_section(session, owned.rights, data=body, owned=owned)
    return answer(await reads.get_section(session, r, owned.rights, section.id or 0))


@router.delete("/sections/{section_id}/", status_code=NO_CONTENT)
async def delete_section(owned: SectionDep, session: SessionDep) -> Response:
    """Delete a section with its lessons and practice."""
    await service.delete_section(session, owned.record)
    return Response(status_code=NO_CONTENT)


@router.get("/sections/{section_id}/lessons/", response_model=LessonPage)
async def section_lessons(
    section_id: int,
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: LessonQuery,
) -> Response:
    """The lessons of a section, in order."""
    found = await reads.list_lessons(session, r, caller, query, page, section_id=section_id)
    return _page(request, page, found, LessonPage)


# --------------------------------------------------------------------------- lessons

LessonIn = Annotated[BodyOf[LessonCreate], Depends(json_or_form(LessonCreate, files=("pdf_file",)))]
LessonPatch = Annotated[
    BodyOf[LessonUpdate], Depends(json_or_form(LessonUpdate, files=("pdf_file",)))
]


async def lesson_for_write(caller: Writers, lesson_id: int, session: SessionDep) -> Owned[Lesson]:
    return await service.for_write(session, caller, Lesson, lesson_id)


LessonDep = Annotated[Owned[Lesson], Depends(lesson_for_write)]


def _max_pdf(request: Request) -> int:
    return int(request.app.state.settings.max_pdf_bytes)


@router.get("/lessons/", response_model=LessonPage)
async def list_lessons(
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: LessonQuery,
) -> Response:
    """List lessons (filters: section, lesson_type, unit or section__unit, course or
    section__unit__course; search: title, text_content)."""
    found = await reads.list_lessons(session, r, caller, query, page)
    return _page(request, page, found, LessonPage)


@router.post(
    "/lessons/",
    response_model=LessonRead,
    status_code=CREATED,
    openapi_extra=body_openapi(LessonCreate, files=("pdf_file",)),
)
async def create_lesson(
    caller: Writers,
    r: ReaderDep,
    request: Request,
    body: LessonIn,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """Add a lesson to a section: JSON for video, text and link lessons (with
    `video_url`, `text_content` or `external_url`), multipart/form-data with a
    `pdf_file` for a PDF lesson."""
    lesson = await lessons.save_lesson(
        session, caller, storage, data=body.data, files=body.files, max_pdf_bytes=_max_pdf(request)
    )
    return answer(views.lesson(r, lesson), CREATED)


@router.get("/lessons/{lesson_id}/", response_model=LessonRead)
async def retrieve_lesson(
    lesson_id: int, caller: Readers, r: ReaderDep, session: SessionDep
) -> Response:
    """A lesson; a PDF lesson's `pdf_file` is a short-lived link that needs no token."""
    return answer(await reads.get_lesson(session, r, caller, lesson_id))


@router.put(
    "/lessons/{lesson_id}/",
    response_model=LessonRead,
    openapi_extra=body_openapi(LessonCreate, files=("pdf_file",)),
)
async def update_lesson(
    owned: LessonDep,
    r: ReaderDep,
    request: Request,
    body: LessonIn,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """Update a lesson (full update)."""
    lesson = await lessons.save_lesson(
        session,
        owned.rights,
        storage,
        data=body.data,
        files=body.files,
        max_pdf_bytes=_max_pdf(request),
        owned=owned,
    )
    return answer(views.lesson(r, lesson))


@router.patch(
    "/lessons/{lesson_id}/",
    response_model=LessonRead,
    openapi_extra=body_openapi(LessonUpdate, files=("pdf_file",)),
)
async def partial_update_lesson(
    owned: LessonDep,
    r: ReaderDep,
    request: Request,
    body: LessonPatch,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """Update a lesson (partial update; a change of type empties the old type's field)."""
    lesson = await lessons.save_lesson(
        session,
        owned.rights,
        storage,
        data=body.data,
        files=body.files,
        max_pdf_bytes=_max_pdf(request),
        owned=owned,
    )
    return answer(views.lesson(r, lesson))


@router.delete("/lessons/{lesson_id}/", status_code=NO_CONTENT)
async def delete_lesson(owned: LessonDep, session: SessionDep) -> Response:
    """Delete a lesson."""
    await lessons.delete_lesson(session, owned.record)
    return Response(status_code=NO_CONTENT)


@router.get(
    "/lessons/{lesson_id}/pdf_proxy/",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The PDF, inline."}},
    openapi_extra={"security": [{"bearerAuth": []}, {}]},
)
async def lesson_pdf(
    lesson_id: int,
    request: Request,
    session: SessionDep,
    storage: StorageDep,
    expires: str | None = None,
    signature: str | None = None,
) -> Response:
    """A PDF lesson's file, shown inline: with a bearer token, or without one through
    the signed link of the lesson's `pdf_file` (until it expires)."""
    caller: policies.Rights | None = None
    link = (expires, signature) if expires and signature else None
    if link is None:
        principal = await resolve_principal(request)
        if principal is None:
            raise NotAuthenticated()
        if principal.must_change_password:
            raise PermissionDenied(MUST_CHANGE_PASSWORD)
        caller = await service.rights(session, principal)
    links: PdfLinks = request.app.state.pdf_links
    data, title = await lessons.pdf_of(
        session, storage, lesson_id=lesson_id, caller=caller, link=link, links=links
    )
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": _inline(title),
            "Cache-Control": "private, max-age=300",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _inline(title: str) -> str:
    """``inline`` with the title as file name: ASCII for old browsers, UTF-8 for the rest."""
    name = f"{title.strip() or 'lesson'}.pdf"
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


# --------------------------------------------------------------------------- practices


async def practice_for_write(
    caller: Writers, practice_id: int, session: SessionDep
) -> Owned[Practice]:
    return await service.for_write(session, caller, Practice, practice_id)


PracticeDep = Annotated[Owned[Practice], Depends(practice_for_write)]


@router.get("/practice/", response_model=PracticePage)
async def list_practices(
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: PracticeQuery,
) -> Response:
    """List practices with their questions (filters: section, unit, course)."""
    found = await reads.list_practices(session, r, caller, query, page)
    return _page(request, page, found, PracticePage)


@router.post("/practice/", response_model=PracticeRead, status_code=CREATED)
async def create_practice(
    caller: Writers, r: ReaderDep, body: PracticeCreate, session: SessionDep
) -> Response:
    """Add the practice of a section (one per section)."""
    practice = await service.save_practice(session, caller, data=body)
    return answer(await reads.get_practice(session, r, caller, practice.id or 0), CREATED)


@router.get("/practice/{practice_id}/", response_model=PracticeRead)
async def retrieve_practice(
    practice_id: int, caller: Readers, r: ReaderDep, session: SessionDep
) -> Response:
    """A practice with its questions and their options."""
    return answer(await reads.get_practice(session, r, caller, practice_id))


@router.put("/practice/{practice_id}/", response_model=PracticeRead)
async def update_practice(
    owned: PracticeDep, r: ReaderDep, body: PracticeCreate, session: SessionDep
) -> Response:
    """Update a practice (full update)."""
    practice = await service.save_practice(session, owned.rights, data=body, owned=owned)
    return answer(await reads.get_practice(session, r, owned.rights, practice.id or 0))


@router.patch("/practice/{practice_id}/", response_model=PracticeRead)
async def partial_update_practice(
    owned: PracticeDep, r: ReaderDep, body: PracticeUpdate, session: SessionDep
) -> Response:
    """Update a practice (partial update)."""
    practice = await service.save_practice(session, owned.rights, data=body, owned=owned)
    return answer(await reads.get_practice(session, r, owned.rights, practice.id or 0))


@router.delete("/practice/{practice_id}/", status_code=NO_CONTENT)
async def delete_practice(owned: PracticeDep, session: SessionDep) -> Response:
    """Delete a practice with its questions."""
    await service.remove(session, owned.record)
    return Response(status_code=NO_CONTENT)


@router.get("/practice/{practice_id}/questions/", response_model=QuestionPage)
async def practice_questions(
    practice_id: int,
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: QuestionQuery,
) -> Response:
    """The questions of a practice, in order, with their options."""
    found = await reads.list_questions(session, r, caller, query, page, practice_id=practice_id)
    return _page(request, page, found, QuestionPage)


# --------------------------------------------------------------------------- questions


async def question_for_write(
    caller: Writers, question_id: int, session: SessionDep
) -> Owned[Question]:
    return await service.for_write(session, caller, Question, question_id)


QuestionDep = Annotated[Owned[Question], Depends(question_for_write)]


@router.get("/questions/", response_model=QuestionPage)
async def list_questions(
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: QuestionQuery,
) -> Response:
    """List questions with their options (filters: practice, question_type, section,
    course; search: question_text)."""
    found = await reads.list_questions(session, r, caller, query, page)
    return _page(request, page, found, QuestionPage)


@router.post("/questions/", response_model=QuestionRead, status_code=CREATED)
async def create_question(
    caller: Writers, r: ReaderDep, body: QuestionCreate, session: SessionDep
) -> Response:
    """Add a question to a practice (`order` defaults to the next free one)."""
    question = await service.save_question(session, caller, data=body)
    return answer(await reads.get_question(session, r, caller, question.id or 0), CREATED)


@router.get("/questions/{question_id}/", response_model=QuestionRead)
async def retrieve_question(
    question_id: int, caller: Readers, r: ReaderDep, session: SessionDep
) -> Response:
    """A question with its options."""
    return answer(await reads.get_question(session, r, caller, question_id))


@router.put("/questions/{question_id}/", response_model=QuestionRead)
async def update_question(
    owned: QuestionDep, r: ReaderDep, body: QuestionCreate, session: SessionDep
) -> Response:
    """Update a question (full update)."""
    question = await service.save_question(session, owned.rights, data=body, owned=owned)
    return answer(await reads.get_question(session, r, owned.rights, question.id or 0))


@router.patch("/questions/{question_id}/", response_model=QuestionRead)
async def partial_update_question(
    owned: QuestionDep, r: ReaderDep, body: QuestionUpdate, session: SessionDep
) -> Response:
    """Update a question (partial update)."""
    question = await service.save_question(session, owned.rights, data=body, owned=owned)
    return answer(await reads.get_question(session, r, owned.rights, question.id or 0))


@router.delete("/questions/{question_id}/", status_code=NO_CONTENT)
async def delete_question(owned: QuestionDep, session: SessionDep) -> Response:
    """Delete a question with its options."""
    await service.remove(session, owned.record)
    return Response(status_code=NO_CONTENT)


@router.get("/questions/{question_id}/options/", response_model=OptionPage)
async def question_options(
    question_id: int,
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: OptionQuery,
) -> Response:
    """The options of a question, in order."""
    found = await reads.list_options(session, r, caller, query, page, question_id=question_id)
    return _page(request, page, found, OptionPage)


# --------------------------------------------------------------------------- options


async def option_for_write(
    caller: Writers, option_id: int, session: SessionDep
) -> Owned[QuestionOption]:
    return await service.for_write(session, caller, QuestionOption, option_id)


OptionDep = Annotated[Owned[QuestionOption], Depends(option_for_write)]
OPTIONS = "/question-options"


@router.get(f"{OPTIONS}/", response_model=OptionPage)
async def list_options(
    caller: Readers,
    r: ReaderDep,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: OptionQuery,
) -> Response:
    """List question options (filter: question; search: option_text)."""
    found = await reads.list_options(session, r, caller, query, page)
    return _page(request, page, found, OptionPage)


@router.post(f"{OPTIONS}/", response_model=OptionRead, status_code=CREATED)
async def create_option(
    caller: Writers, r: ReaderDep, body: OptionCreate, session: SessionDep
) -> Response:
    """Add an option to a question (`order` defaults to the next free one)."""
    option = await service.save_option(session, caller, data=body)
    return answer(views.option(r, option), CREATED)


@router.get(f"{OPTIONS}/{{option_id}}/", response_model=OptionRead)
async def retrieve_option(
    option_id: int, caller: Readers, r: ReaderDep, session: SessionDep
) -> Response:
    """A question option."""
    return answer(await reads.get_option(session, r, caller, option_id))


@router.put(f"{OPTIONS}/{{option_id}}/", response_model=OptionRead)
async def update_option(
    owned: OptionDep, r: ReaderDep, body: OptionCreate, session: SessionDep
) -> Response:
    """Update a question option (full update)."""
    option = await service.save_option(session, owned.rights, data=body, owned=owned)
    return answer(views.option(r, option))


@router.patch(f"{OPTIONS}/{{option_id}}/", response_model=OptionRead)
async def partial_update_option(
    owned: OptionDep, r: ReaderDep, body: OptionUpdate, session: SessionDep
) -> Response:
    """Update a question option (partial update)."""
    option = await service.save_option(session, owned.rights, data=body, owned=owned)
    return answer(views.option(r, option))


@router.delete(f"{OPTIONS}/{{option_id}}/", status_code=NO_CONTENT)
async def delete_option(owned: OptionDep, session: SessionDep) -> Response:
    """Delete a question option."""
    await service.remove(session, owned.record)
    return Response(status_code=NO_CONTENT)
