"""Absence justifications (issue 20): filed by a student (for themself), a centre
supervisor (for students of their centres) or an admin, with an optional
document; approved or rejected by a supervisor of the student's centre or an
admin; withdrawn by their author while pending.

An approval marks the student's absences in its range ``is_justified`` (one
UPDATE; each record a new version and its event), and records written later
in an approved range are justified when written (``repository``). Documents
(PDF, JPEG or PNG, checked by their content) are kept in the app's storage and
read through ``GET .../{id}/document/`` by those who may read the
justification: a medical certificate is never at a public address.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from entraide_kit import records
from entraide_kit.auth import Principal, Role
from entraide_kit.context import Context
from entraide_kit.copies.centers import centers
from entraide_kit.copies.students import students
from entraide_kit.errors import NotFound, PermissionDenied, ValidationFailed
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams, build_page
from entraide_kit.storage import Storage, read_image

from . import alerts, events, policies
from . import justification_repository as repository
from .exports import Download
from .justification_schemas import DecisionIn, JustificationIn, JustificationPage, JustificationRead
from .models import Justification

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
#: the longest range one justification covers, in days (both ends included)
MAX_DAYS = repository.MAX_DAYS
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENTS_FOLDER = "justifications"
#: where a justification's document is read (the caller's token decides)
DOCUMENT_PATH = "/api/attendance/api/justifications/{id}/document/"
DOCUMENT_TYPES = "Upload a PDF, JPEG or PNG file."

#: the list's query (filters, search, ordering), a dependency of the router's
JUSTIFICATION_QUERY = repository.JUSTIFICATION_LIST.dependency()


def _read(ctx: Context, row: Any) -> JustificationRead:
    """``row``: a row of ``justification_repository.justifications_query()``."""
    names = f"{row.student_first_name or ''} {row.student_last_name or ''}".strip()
    document = f"{ctx.base_url}{DOCUMENT_PATH.format(id=row.id)}" if row.document else None
    return JustificationRead(
        id=row.id,
        student=row.student_id,
        student_name=names,
        date_from=row.date_from,
        date_to=row.date_to,
        reason=row.reason,
        document=document,
        status=row.status,
        created_by=row.created_by,
        created_at=row.created_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        comment=row.comment,
    )


async def _answer(session: AsyncSession, ctx: Context, justification_id: int) -> JustificationRead:
    return _read(ctx, await repository.get_row(session, justification_id))


# ------------------------------------------------------------------ documents


def _is_pdf(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\x00\t\n\r\f ")
    return head.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]


def _is_image(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")


async def read_document(upload: UploadFile) -> tuple[bytes, str, str]:
    """An uploaded document as ``(data, content type, extension)``: a PDF, JPEG or PNG
    by its content (whatever its name or declared type), at most 5 MB; anything
    else a 400 on ``document``."""
    too_large = ValidationFailed({"document": ["The file is too large; the limit is 5 MB."]})
    if upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
        raise too_large
    with contextlib.suppress(Exception):
        await upload.seek(0)
    data = await upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise too_large
    if not data:
        raise ValidationFailed({"document": ["The submitted file is empty."]})
    if _is_pdf(data):
        return data, "application/pdf", "pdf"
    if _is_image(data):
        # Decoded (off the event loop) to refuse a truncated or corrupt image.
        image = await read_image(data, field="document", max_bytes=MAX_DOCUMENT_BYTES)
        return image.data, image.content_type, image.extension
    raise ValidationFailed({"document": [DOCUMENT_TYPES]})


# ------------------------------------------------------------------ rules


def _check_range(date_from: dt.date, date_to: dt.date) -> dict[str, list[str]]:
    if date_to < date_from:
        return {"date_to": ["The end date is before the start date."]}
    if (date_to - date_from).days + 1 > MAX_DAYS:
        return {"date_to": [f"A justification covers at most {MAX_DAYS} days."]}
    return {}


async def _may_file_for(session: AsyncSession, actor: Principal, student: Any) -> None:
    """A student for themself, a centre supervisor for the students of their
    centres, an admin for any student."""
    if actor.role is Role.admin:
        return
    if actor.role is Role.student and student.user == actor.id:
        return
    if actor.role is Role.center_supervisor and student.center is not None:
        center = (await centers.by_ids(session, [student.center])).get(student.center)
        if center is not None and center["supervisor"] == actor.id:
            return
    if actor.role is Role.student:
        raise PermissionDenied("You can only justify your own absences.")
    raise PermissionDenied("You can only justify the absences of students of your centres.")


async def file_justification(
    session: AsyncSession,
    ctx: Context,
    storage: Storage,
    actor: Principal,
    data: JustificationIn,
    files: Mapping[str, UploadFile],
) -> JustificationRead:
    """File a justification of a student's absences (pending until decided)."""
    errors = _check_range(data.date_from, data.date_to)
    student = await students.get(session, data.student, ctx=ctx)
    if student is None:
        errors["student"] = [f'Invalid pk "{data.student}" - object does not exist.']
    document = None
    upload = files.get("document")
    if upload is not None:
        try:
            document = await read_document(upload)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors or student is None:
        raise ValidationFailed(errors)
    await _may_file_for(session, actor, student)
    key = None
    if document is not None:
        content, content_type, extension = document
        key = await storage.save(
            folder=DOCUMENTS_FOLDER, data=content, content_type=content_type, extension=extension
        )
    justification = await records.add(
        session,
        Justification(
            student_id=data.student,
            center_id=student.center,
            group_id=student.group,
            date_from=data.date_from,
            date_to=data.date_to,
            reason=data.reason,
            document=key,
            status=PENDING,
            created_by=actor.id,
        ),
    )
    return await _answer(session, ctx, justification.id or 0)


async def list_justifications(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> JustificationPage:
    """A page of the justifications the caller may read; count and page in one statement."""
    stmt = repository.justifications_query().where(policies.justification_scope(actor))
    count, rows = await repository.page(session, params, stmt, query)
    return JustificationPage.model_construct(
        **build_page(ctx, params, count, [_read(ctx, r) for r in rows])
    )


async def get_justification(
    session: AsyncSession, ctx: Context, actor: Principal, justification_id: int
) -> JustificationRead:
    """A justification the caller may read, else 404."""
    row = await repository.get_row(session, justification_id, policies.justification_scope(actor))
    if row is None:
        raise NotFound()
    return _read(ctx, row)


async def _pending(
    session: AsyncSession, actor: Principal, justification_id: int, doing: str
) -> Justification:
    """The pending justification to decide or withdraw, locked; 404 out of the
    caller's scope, 400 once decided."""
    found = await repository.lock(session, justification_id, policies.justification_scope(actor))
    if found is None:
        raise NotFound()
    _only_pending(found, doing)
    return found


def _only_pending(justification: Justification, doing: str) -> None:
    if justification.status != PENDING:
        message = f"This justification is {justification.status}: only a pending one can be"
        raise ValidationFailed({"status": [f"{message} {doing}."]})


async def decide(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    justification_id: int,
    body: DecisionIn,
    *,
    approve: bool,
) -> JustificationRead:
    """Approve or reject a pending justification (a supervisor of the student's centre,
    or an admin: the router lets no one else in, the scope keeps supervisors to
    their centres). An approval justifies the student's absences in its range."""
    justification = await _pending(
        session, actor, justification_id, "approved" if approve else "rejected"
    )
    await records.save_unflushed(
        justification,
        {
            "status": APPROVED if approve else REJECTED,
            "decided_by": actor.id,
            "decided_at": dt.datetime.now(dt.UTC),
            "comment": body.comment,
        },
    )
    await session.flush()
    if approve:
        changed = await repository.justify_absences(
            session, justification.student_id, justification.date_from, justification.date_to
        )
        await events.records_changed(session, changed)
        await alerts.recheck(session, {justification.student_id})
    return await _answer(session, ctx, justification.id or 0)


async def withdraw(
    session: AsyncSession, storage: Storage, actor: Principal, justification_id: int
) -> None:
    """Delete a pending justification: its author only; its document goes with it."""
    justification = await repository.lock(
        session, justification_id, policies.justification_scope(actor)
    )
    if justification is None:
        raise NotFound()
    if justification.created_by != actor.id:
        raise PermissionDenied("Only the author of a justification may withdraw it.")
    _only_pending(justification, "withdrawn")
    key = justification.document
    await records.remove(session, justification)
    if key:
        await storage.delete(key)


async def document_of(
    session: AsyncSession, storage: Storage, actor: Principal, justification_id: int
) -> Download:
    """A justification's document, to a caller who may read the justification; 404
    when it has none."""
    row = await repository.get_row(session, justification_id, policies.justification_scope(actor))
    if row is None or not row.document:
        raise NotFound()
    found = await storage.load(row.document)
    if found is None:
        raise NotFound()
    content, content_type = found
    extension = row.document.rsplit(".", 1)[-1]
    return Download(content, content_type, f"justification-{row.id}.{extension}")
