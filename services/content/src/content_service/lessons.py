"""Lessons: the field each type needs, PDF uploads checked by their content, and
the PDF served to a reader or to the holder of a signed link."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from starlette.datastructures import UploadFile

from entraide_kit import records
from entraide_kit.auth import Principal
from entraide_kit.context import Context
from entraide_kit.errors import NotFound, PayloadTooLarge, PermissionDenied, ValidationFailed
from entraide_kit.storage import Storage

from . import answers, events, repository
from .access import Owned, for_write, parent_of, rights
from .answers import PDF_FOLDER, Reader
from .links import PdfLinks
from .models import Lesson, Section
from .policies import Rights
from .schemas import LessonRead
from .service import CONSTRAINTS, columns, default_order, target_of

# The field each lesson type needs; the others stay empty.
LESSON_FIELDS = {
    "video": "video_url",
    "pdf": "pdf_file",
    "text": "text_content",
    "link": "external_url",
}
PDF_ERROR = "Upload a valid PDF file. The file you uploaded is not a PDF document."


def _is_pdf(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\x00\t\n\r\f ")
    return head.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]


async def read_pdf(upload: UploadFile, *, max_bytes: int) -> bytes:
    """An uploaded PDF: 413 past ``max_bytes``, 400 on ``pdf_file`` when empty or not a PDF
    (by its content, whatever its name or declared type)."""
    if upload.size is not None and upload.size > max_bytes:
        raise PayloadTooLarge(
            f'The file in "pdf_file" is too large; the limit is {max_bytes // (1024 * 1024)} MB.'
        )
    with contextlib.suppress(Exception):
        await upload.seek(0)
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f'The file in "pdf_file" is too large; the limit is {max_bytes // (1024 * 1024)} MB.'
        )
    if not data:
        raise ValidationFailed({"pdf_file": ["The submitted file is empty."]})
    if not _is_pdf(data):
        raise ValidationFailed({"pdf_file": [PDF_ERROR]})
    return data


def _lesson_content(values: dict[str, Any], lesson: Lesson | None, uploading: bool) -> None:
    """The field the lesson's type needs is set, the others are empty: a field of
    another type sent with content is a 400; on a change of type, the old type's
    field is emptied."""
    kind: str = values.get("lesson_type") or (lesson.lesson_type if lesson else "")
    errors: dict[str, list[str]] = {}
    for other_kind, field in LESSON_FIELDS.items():
        if other_kind == kind:
            continue
        sent = uploading if field == "pdf_file" else bool(values.get(field))
        if sent:
            errors[field] = [f"Leave this empty for a {kind} lesson."]
        elif lesson is not None and getattr(lesson, field):
            values[field] = None if field == "pdf_file" else ""
    needed = LESSON_FIELDS[kind]
    if needed == "pdf_file":
        present = uploading or (lesson is not None and bool(lesson.pdf_file))
    elif needed in values:
        present = bool(values[needed])
    else:
        present = lesson is not None and bool(getattr(lesson, needed))
    if not present:
        what = "A PDF file" if needed == "pdf_file" else "This field"
        errors[needed] = [f"{what} is required for a {kind} lesson."]
    if errors:
        raise ValidationFailed(errors)


async def save_lesson(
    session: AsyncSession,
    ctx: Context,
    r: Reader,
    caller: Rights,
    *,
    data: BaseModel,
    files: Mapping[str, UploadFile],
    owned: Owned[Lesson] | None = None,
) -> LessonRead:
    """Add a lesson to a section, or change one (PUT or PATCH: the fields sent; a
    change of type empties the old type's field; ``owned`` as ``access.for_write``
    locked it)."""
    values = columns(data)
    lesson = owned.record if owned else None
    target = target_of(values, "section_id", lesson.section_id if lesson else None)
    section: Section | None = None
    course = owned.course if owned else None
    if lesson is None or target != lesson.section_id:
        section, course = await parent_of(session, caller, Section, target, "section")
    assert course is not None
    upload = files.get("pdf_file")
    _lesson_content(values, lesson, upload is not None)
    if upload is not None:
        pdf = await read_pdf(upload, max_bytes=int(ctx.setting("max_pdf_bytes")))
        values["pdf_file"] = await r.storage.save(
            folder=PDF_FOLDER, data=pdf, content_type="application/pdf", extension="pdf"
        )
    await default_order(session, values, lesson, col(Lesson.section_id), target)
    lesson = await records.write(session, Lesson, values, record=lesson, constraints=CONSTRAINTS)
    if section is None:
        section = await repository.sections.require(session, lesson.section_id)
    await events.lesson_changed(session, lesson, section.unit_id, course.id or 0)
    return answers.lesson(r, lesson)


async def delete_lesson(session: AsyncSession, caller: Rights, lesson_id: int) -> None:
    lesson = (await for_write(session, caller, Lesson, lesson_id)).record
    await events.deleted(session, "lesson", lesson.id or 0, lesson.version)
    await records.remove(session, lesson)


async def pdf_of(
    session: AsyncSession,
    storage: Storage,
    *,
    lesson_id: int,
    principal: Principal | None,
    link: tuple[str, str] | None = None,
    links: PdfLinks | None = None,
) -> tuple[bytes, str]:
    """A PDF lesson's file and title: to a caller who may read the lesson, or (no
    caller) to the holder of a valid signed link ``(expires, signature)``."""
    caller = None if principal is None else await rights(session, principal)
    found = await repository.read_with_course(session, Lesson, lesson_id)
    if caller is not None:
        if found is None:
            raise NotFound()
        caller.read(found[1])
    elif (
        found is None
        or link is None
        or links is None
        or not found[0].pdf_file
        or not links.valid(lesson_id, found[0].pdf_file, *link)
    ):
        raise PermissionDenied("This link has expired or is not valid for this lesson.")
    lesson = found[0]
    if lesson.lesson_type != "pdf" or not lesson.pdf_file:
        raise NotFound()
    stored = await storage.load(lesson.pdf_file)
    if stored is None:
        raise NotFound()
    return stored[0], lesson.title
