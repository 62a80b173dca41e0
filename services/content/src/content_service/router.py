"""HTTP endpoints of the content service: they parse, call one service function
and write its answer. The caller's role is checked before anything else (an
anonymous caller gets a 401, a reader writing a 403, whatever the body or id),
then a change's record is loaded (locked) by a path dependency (a 404 for a
missing one or one the caller may not see), and only then is its body read.
Reads run on a read session (no transaction); writes on the request's transaction.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response, status

from entraide_kit.auth import (
    MUST_CHANGE_PASSWORD,
    AdminOnly,
    CurrentUser,
    Principal,
    require_roles,
    resolve_principal,
)
from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.errors import NotAuthenticated, PermissionDenied
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf, body_openapi, json_or_form
from entraide_kit.pagination import PageDep
from entraide_kit.storage import StorageDep

from . import access, lessons, lists, policies, reads, service
from .access import Owned
from .answers import Reader, answer
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

router = APIRouter(prefix="/api/courses", tags=["courses"])

CREATED = status.HTTP_201_CREATED
NO_CONTENT = status.HTTP_204_NO_CONTENT

Writer = Annotated[Principal, Depends(require_roles(*policies.WRITERS))]


# --------------------------------------------------------------------------- callers


async def reader(
    principal: CurrentUser, ctx: CtxDep, storage: StorageDep, request: Request
) -> Reader:
    return Reader(
        base_url=ctx.base_url,
        storage=storage,
        links=request.app.state.pdf_links,
        learner=policies.is_learner(principal),
    )


async def reading(principal: CurrentUser, session: ReadSessionDep) -> policies.Rights:
    return await access.rights(session, principal)


async def writing(principal: Writer, session: SessionDep) -> policies.Rights:
    return await access.rights(session, principal)


ReaderDep = Annotated[Reader, Depends(reader)]
Readers = Annotated[policies.Rights, Depends(reading)]
Writers = Annotated[policies.Rights, Depends(writing)]


# The record a change is about, locked, loaded after the role check and before the
# body (as DRF's get_object()): a missing record, or one of a course the caller may
# not see, is a 404 whatever the body; one of a course not theirs a 403.


async def course_for_write(_: AdminOnly, course_id: int, session: SessionDep) -> Course:
    return await service.course_for_write(session, course_id)


async def unit_for_write(caller: Writers, unit_id: int, session: SessionDep) -> Owned[Unit]:
    return await access.for_write(session, caller, Unit, unit_id)


async def section_for_write(
    caller: Writers, section_id: int, session: SessionDep
) -> Owned[Section]:
    return await access.for_write(session, caller, Section, section_id)


async def lesson_for_write(caller: Writers, lesson_id: int, session: SessionDep) -> Owned[Lesson]:
    return await access.for_write(session, caller, Lesson, lesson_id)


async def practice_for_write(
    caller: Writers, practice_id: int, session: SessionDep
) -> Owned[Practice]:
    return await access.for_write(session, caller, Practice, practice_id)


async def question_for_write(
    caller: Writers, question_id: int, session: SessionDep
) -> Owned[Question]:
    return await access.for_write(session, caller, Question, question_id)


async def option_for_write(
    caller: Writers, option_id: int, session: SessionDep
) -> Owned[QuestionOption]:
    return await access.for_write(session, caller, QuestionOption, option_id)


CourseDep = Annotated[Course, Depends(course_for_write)]
UnitDep = Annotated[Owned[Unit], Depends(unit_for_write)]
SectionDep = Annotated[Owned[Section], Depends(section_for_write)]
LessonDep = Annotated[Owned[Lesson], Depends(lesson_for_write)]
PracticeDep = Annotated[Owned[Practice], Depends(practice_for_write)]
QuestionDep = Annotated[Owned[Question], Depends(question_for_write)]
OptionDep = Annotated[Owned[QuestionOption], Depends(option_for_write)]


# --------------------------------------------------------------------------- courses

CourseIn = Annotated[
    BodyOf[CourseCreate], Depends(json_or_form(CourseCreate, files=("cover_image",)))
]
CoursePatch = Annotated[
    BodyOf[CourseUpdate], Depends(json_or_form(CourseUpdate, files=("cover_image",)))
]
CourseQuery = Annotated[ListQuery, Depends(lists.COURSE_LIST.dependency())]
UnitQuery = Annotated[ListQuery, Depends(lists.UNIT_LIST.dependency())]
SectionQuery = Annotated[ListQuery, Depends(lists.SECTION_LIST.dependency())]
LessonQuery = Annotated[ListQuery, Depends(lists.LESSON_LIST.dependency())]
PracticeQuery = Annotated[ListQuery, Depends(lists.PRACTICE_LIST.dependency())]
QuestionQuery = Annotated[ListQuery, Depends(lists.QUESTION_LIST.dependency())]
OptionQuery = Annotated[ListQuery, Depends(lists.OPTION_LIST.dependency())]


@router.get("/courses/", response_model=CoursePage)
async def list_courses(
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: CourseQuery,
) -> Response:
    """List courses, ordered by order then name (filters: is_active, program; search: name,
    description; ordering: order, name, created_at, updated_at)."""
    return answer(await reads.list_courses(session, ctx, r, caller, query, page))


@router.post(
    "/courses/",
    response_model=CourseItem,
    status_code=CREATED,
    openapi_extra=body_openapi(CourseCreate, files=("cover_image",)),
)
async def create_course(
    _: AdminOnly, r: ReaderDep, ctx: CtxDep, body: CourseIn, session: SessionDep
) -> Response:
    """Create a course (JSON, or multipart/form-data with a `cover_image` image)."""
    course = await service.save_course(session, ctx, r, data=body.data, files=body.files)
    return answer(course, CREATED)


@router.get("/courses/{course_id}/", response_model=CourseRead)
async def retrieve_course(
    course_id: int, caller: Readers, r: ReaderDep, session: ReadSessionDep
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
    _: AdminOnly,
    course: CourseDep,
    r: ReaderDep,
    ctx: CtxDep,
    body: CourseIn,
    session: SessionDep,
) -> Response:
    """Update a course (full update)."""
    return answer(
        await service.save_course(session, ctx, r, data=body.data, files=body.files, course=course)
    )


@router.patch(
    "/courses/{course_id}/",
    response_model=CourseItem,
    openapi_extra=body_openapi(CourseUpdate, files=("cover_image",)),
)
async def partial_update_course(
    _: AdminOnly,
    course: CourseDep,
    r: ReaderDep,
    ctx: CtxDep,
    body: CoursePatch,
    session: SessionDep,
) -> Response:
    """Update a course (partial update)."""
    return answer(
        await service.save_course(session, ctx, r, data=body.data, files=body.files, course=course)
    )


@router.delete("/courses/{course_id}/", status_code=NO_CONTENT)
async def delete_course(_: AdminOnly, course_id: int, session: SessionDep) -> Response:
    """Delete a course with its units, sections, lessons and practices."""
    await service.delete_course(session, course_id)
    return Response(status_code=NO_CONTENT)


@router.get("/courses/{course_id}/units/", response_model=UnitPage)
async def course_units(
    course_id: int,
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: UnitQuery,
) -> Response:
    """The units of a course, in order, with their sections."""
    return answer(await reads.list_units(session, ctx, r, caller, query, page, course_id=course_id))


# --------------------------------------------------------------------------- units


@router.get("/units/", response_model=UnitPage)
async def list_units(
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: UnitQuery,
) -> Response:
    """List units with their sections (filter: course; search: name, description)."""
    return answer(await reads.list_units(session, ctx, r, caller, query, page))


@router.post("/units/", response_model=UnitRead, status_code=CREATED)
async def create_unit(
    caller: Writers, r: ReaderDep, body: UnitCreate, session: SessionDep
) -> Response:
    """Add a unit to a course (`order` defaults to the next free one)."""
    return answer(await service.save_unit(session, r, caller, data=body), CREATED)


@router.get("/units/{unit_id}/", response_model=UnitRead)
async def retrieve_unit(
    unit_id: int, caller: Readers, r: ReaderDep, session: ReadSessionDep
) -> Response:
    """A unit with its sections (and their lessons and practice)."""
    return answer(await reads.get_unit(session, r, caller, unit_id))


@router.put("/units/{unit_id}/", response_model=UnitRead)
async def update_unit(
    caller: Writers, owned: UnitDep, r: ReaderDep, body: UnitCreate, session: SessionDep
) -> Response:
    """Update a unit (full update)."""
    return answer(await service.save_unit(session, r, caller, data=body, owned=owned))


@router.patch("/units/{unit_id}/", response_model=UnitRead)
async def partial_update_unit(
    caller: Writers, owned: UnitDep, r: ReaderDep, body: UnitUpdate, session: SessionDep
) -> Response:
    """Update a unit (partial update)."""
    return answer(await service.save_unit(session, r, caller, data=body, owned=owned))


@router.delete("/units/{unit_id}/", status_code=NO_CONTENT)
async def delete_unit(caller: Writers, unit_id: int, session: SessionDep) -> Response:
    """Delete a unit with its sections, lessons and practices."""
    await service.delete_unit(session, caller, unit_id)
    return Response(status_code=NO_CONTENT)


@router.get("/units/{unit_id}/sections/", response_model=SectionPage)
async def unit_sections(
    unit_id: int,
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: SectionQuery,
) -> Response:
    """The sections of a unit, in order."""
    return answer(await reads.list_sections(session, ctx, r, caller, query, page, unit_id=unit_id))


# --------------------------------------------------------------------------- sections


@router.get("/sections/", response_model=SectionPage)
async def list_sections(
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: SectionQuery,
) -> Response:
    """List sections with their lessons and practice (filters: unit, course or
    unit__course; search: name, description, about)."""
    return answer(await reads.list_sections(session, ctx, r, caller, query, page))


@router.post("/sections/", response_model=SectionRead, status_code=CREATED)
async def create_section(
    caller: Writers, r: ReaderDep, body: SectionCreate, session: SessionDep
) -> Response:
    """Add a section to a unit (`order` defaults to the next free one)."""
    return answer(await service.save_section(session, r, caller, data=body), CREATED)


@router.get("/sections/{section_id}/", response_model=SectionRead)
async def retrieve_section(
    section_id: int, caller: Readers, r: ReaderDep, session: ReadSessionDep
) -> Response:
    """A section with its lessons and its practice."""
    return answer(await reads.get_section(session, r, caller, section_id))


@router.put("/sections/{section_id}/", response_model=SectionRead)
async def update_section(
    caller: Writers, owned: SectionDep, r: ReaderDep, body: SectionCreate, session: SessionDep
) -> Response:
    """Update a section (full update)."""
    return answer(await service.save_section(session, r, caller, data=body, owned=owned))


@router.patch("/sections/{section_id}/", response_model=SectionRead)
async def partial_update_section(
    caller: Writers, owned: SectionDep, r: ReaderDep, body: SectionUpdate, session: SessionDep
) -> Response:
    """Update a section (partial update)."""
    return answer(await service.save_section(session, r, caller, data=body, owned=owned))


@router.delete("/sections/{section_id}/", status_code=NO_CONTENT)
async def delete_section(caller: Writers, section_id: int, session: SessionDep) -> Response:
    """Delete a section with its lessons and practice."""
    await service.delete_section(session, caller, section_id)
    return Response(status_code=NO_CONTENT)


@router.get("/sections/{section_id}/lessons/", response_model=LessonPage)
async def section_lessons(
    section_id: int,
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: LessonQuery,
) -> Response:
    """The lessons of a section, in order."""
    return answer(
        await reads.list_lessons(session, ctx, r, caller, query, page, section_id=section_id)
    )


# --------------------------------------------------------------------------- lessons

LessonIn = Annotated[BodyOf[LessonCreate], Depends(json_or_form(LessonCreate, files=("pdf_file",)))]
LessonPatch = Annotated[
    BodyOf[LessonUpdate], Depends(json_or_form(LessonUpdate, files=("pdf_file",)))
]


@router.get("/lessons/", response_model=LessonPage)
async def list_lessons(
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: LessonQuery,
) -> Response:
    """List lessons (filters: section, lesson_type, unit or section__unit, course or
    section__unit__course; search: title, text_content)."""
    return answer(await reads.list_lessons(session, ctx, r, caller, query, page))


@router.post(
    "/lessons/",
    response_model=LessonRead,
    status_code=CREATED,
    openapi_extra=body_openapi(LessonCreate, files=("pdf_file",)),
)
async def create_lesson(
    caller: Writers, r: ReaderDep, ctx: CtxDep, body: LessonIn, session: SessionDep
) -> Response:
    """Add a lesson to a section: JSON for video, text and link lessons (with
    `video_url`, `text_content` or `external_url`), multipart/form-data with a
    `pdf_file` for a PDF lesson."""
    lesson = await lessons.save_lesson(session, ctx, r, caller, data=body.data, files=body.files)
    return answer(lesson, CREATED)


@router.get("/lessons/{lesson_id}/", response_model=LessonRead)
async def retrieve_lesson(
    lesson_id: int, caller: Readers, r: ReaderDep, session: ReadSessionDep
) -> Response:
    """A lesson; a PDF lesson's `pdf_file` is a short-lived link that needs no token."""
    return answer(await reads.get_lesson(session, r, caller, lesson_id))


@router.put(
    "/lessons/{lesson_id}/",
    response_model=LessonRead,
    openapi_extra=body_openapi(LessonCreate, files=("pdf_file",)),
)
async def update_lesson(
    caller: Writers,
    owned: LessonDep,
    r: ReaderDep,
    ctx: CtxDep,
    body: LessonIn,
    session: SessionDep,
) -> Response:
    """Update a lesson (full update)."""
    return answer(
        await lessons.save_lesson(
            session, ctx, r, caller, data=body.data, files=body.files, owned=owned
        )
    )


@router.patch(
    "/lessons/{lesson_id}/",
    response_model=LessonRead,
    openapi_extra=body_openapi(LessonUpdate, files=("pdf_file",)),
)
async def partial_update_lesson(
    caller: Writers,
    owned: LessonDep,
    r: ReaderDep,
    ctx: CtxDep,
    body: LessonPatch,
    session: SessionDep,
) -> Response:
    """Update a lesson (partial update; a change of type empties the old type's field)."""
    return answer(
        await lessons.save_lesson(
            session, ctx, r, caller, data=body.data, files=body.files, owned=owned
        )
    )


@router.delete("/lessons/{lesson_id}/", status_code=NO_CONTENT)
async def delete_lesson(caller: Writers, lesson_id: int, session: SessionDep) -> Response:
    """Delete a lesson."""
    await lessons.delete_lesson(session, caller, lesson_id)
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
    session: ReadSessionDep,
    storage: StorageDep,
    expires: str | None = None,
    signature: str | None = None,
) -> Response:
    """A PDF lesson's file, shown inline: with a bearer token, or without one through
    the signed link of the lesson's `pdf_file` (until it expires)."""
    principal: Principal | None = None
    link = (expires, signature) if expires and signature else None
    if link is None:
        principal = await resolve_principal(request)
        if principal is None:
            raise NotAuthenticated()
        if principal.must_change_password:
            raise PermissionDenied(MUST_CHANGE_PASSWORD)
    links: PdfLinks = request.app.state.pdf_links
    data, title = await lessons.pdf_of(
        session, storage, lesson_id=lesson_id, principal=principal, link=link, links=links
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


@router.get("/practice/", response_model=PracticePage)
async def list_practices(
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: PracticeQuery,
) -> Response:
    """List practices with their questions (filters: section, unit, course)."""
    return answer(await reads.list_practices(session, ctx, r, caller, query, page))


@router.post("/practice/", response_model=PracticeRead, status_code=CREATED)
async def create_practice(
    caller: Writers, r: ReaderDep, body: PracticeCreate, session: SessionDep
) -> Response:
    """Add the practice of a section (one per section)."""
    return answer(await service.save_practice(session, r, caller, data=body), CREATED)


@router.get("/practice/{practice_id}/", response_model=PracticeRead)
async def retrieve_practice(
    practice_id: int, caller: Readers, r: ReaderDep, session: ReadSessionDep
) -> Response:
    """A practice with its questions and their options."""
    return answer(await reads.get_practice(session, r, caller, practice_id))


@router.put("/practice/{practice_id}/", response_model=PracticeRead)
async def update_practice(
    caller: Writers, owned: PracticeDep, r: ReaderDep, body: PracticeCreate, session: SessionDep
) -> Response:
    """Update a practice (full update)."""
    return answer(await service.save_practice(session, r, caller, data=body, owned=owned))


@router.patch("/practice/{practice_id}/", response_model=PracticeRead)
async def partial_update_practice(
    caller: Writers, owned: PracticeDep, r: ReaderDep, body: PracticeUpdate, session: SessionDep
) -> Response:
    """Update a practice (partial update)."""
    return answer(await service.save_practice(session, r, caller, data=body, owned=owned))


@router.delete("/practice/{practice_id}/", status_code=NO_CONTENT)
async def delete_practice(caller: Writers, practice_id: int, session: SessionDep) -> Response:
    """Delete a practice with its questions."""
    await service.remove(session, caller, Practice, practice_id)
    return Response(status_code=NO_CONTENT)


@router.get("/practice/{practice_id}/questions/", response_model=QuestionPage)
async def practice_questions(
    practice_id: int,
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: QuestionQuery,
) -> Response:
    """The questions of a practice, in order, with their options."""
    return answer(
        await reads.list_questions(session, ctx, r, caller, query, page, practice_id=practice_id)
    )


# --------------------------------------------------------------------------- questions


@router.get("/questions/", response_model=QuestionPage)
async def list_questions(
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: QuestionQuery,
) -> Response:
    """List questions with their options (filters: practice, question_type, section,
    course; search: question_text)."""
    return answer(await reads.list_questions(session, ctx, r, caller, query, page))


@router.post("/questions/", response_model=QuestionRead, status_code=CREATED)
async def create_question(
    caller: Writers, r: ReaderDep, body: QuestionCreate, session: SessionDep
) -> Response:
    """Add a question to a practice (`order` defaults to the next free one)."""
    return answer(await service.save_question(session, r, caller, data=body), CREATED)


@router.get("/questions/{question_id}/", response_model=QuestionRead)
async def retrieve_question(
    question_id: int, caller: Readers, r: ReaderDep, session: ReadSessionDep
) -> Response:
    """A question with its options."""
    return answer(await reads.get_question(session, r, caller, question_id))


@router.put("/questions/{question_id}/", response_model=QuestionRead)
async def update_question(
    caller: Writers, owned: QuestionDep, r: ReaderDep, body: QuestionCreate, session: SessionDep
) -> Response:
    """Update a question (full update)."""
    return answer(await service.save_question(session, r, caller, data=body, owned=owned))


@router.patch("/questions/{question_id}/", response_model=QuestionRead)
async def partial_update_question(
    caller: Writers, owned: QuestionDep, r: ReaderDep, body: QuestionUpdate, session: SessionDep
) -> Response:
    """Update a question (partial update)."""
    return answer(await service.save_question(session, r, caller, data=body, owned=owned))


@router.delete("/questions/{question_id}/", status_code=NO_CONTENT)
async def delete_question(caller: Writers, question_id: int, session: SessionDep) -> Response:
    """Delete a question with its options."""
    await service.remove(session, caller, Question, question_id)
    return Response(status_code=NO_CONTENT)


@router.get("/questions/{question_id}/options/", response_model=OptionPage)
async def question_options(
    question_id: int,
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: OptionQuery,
) -> Response:
    """The options of a question, in order."""
    return answer(
        await reads.list_options(session, ctx, r, caller, query, page, question_id=question_id)
    )


# --------------------------------------------------------------------------- options

OPTIONS = "/question-options"


@router.get(f"{OPTIONS}/", response_model=OptionPage)
async def list_options(
    caller: Readers,
    r: ReaderDep,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: OptionQuery,
) -> Response:
    """List question options (filter: question; search: option_text)."""
    return answer(await reads.list_options(session, ctx, r, caller, query, page))


@router.post(f"{OPTIONS}/", response_model=OptionRead, status_code=CREATED)
async def create_option(
    caller: Writers, r: ReaderDep, body: OptionCreate, session: SessionDep
) -> Response:
    """Add an option to a question (`order` defaults to the next free one)."""
    return answer(await service.save_option(session, r, caller, data=body), CREATED)


@router.get(f"{OPTIONS}/{{option_id}}/", response_model=OptionRead)
async def retrieve_option(
    option_id: int, caller: Readers, r: ReaderDep, session: ReadSessionDep
) -> Response:
    """A question option."""
    return answer(await reads.get_option(session, r, caller, option_id))


@router.put(f"{OPTIONS}/{{option_id}}/", response_model=OptionRead)
async def update_option(
    caller: Writers, owned: OptionDep, r: ReaderDep, body: OptionCreate, session: SessionDep
) -> Response:
    """Update a question option (full update)."""
    return answer(await service.save_option(session, r, caller, data=body, owned=owned))


@router.patch(f"{OPTIONS}/{{option_id}}/", response_model=OptionRead)
async def partial_update_option(
    caller: Writers, owned: OptionDep, r: ReaderDep, body: OptionUpdate, session: SessionDep
) -> Response:
    """Update a question option (partial update)."""
    return answer(await service.save_option(session, r, caller, data=body, owned=owned))


@router.delete(f"{OPTIONS}/{{option_id}}/", status_code=NO_CONTENT)
async def delete_option(caller: Writers, option_id: int, session: SessionDep) -> Response:
    """Delete a question option."""
    await service.remove(session, caller, QuestionOption, option_id)
    return Response(status_code=NO_CONTENT)
