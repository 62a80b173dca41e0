"""Bulk import of students from an .xlsx sheet.

Columns (a trailing ``*`` in a header is allowed; starred ones are required):
first_name*, last_name*, arabic_first_name, arabic_last_name, academic_year*,
joining_date, cin_id, phone_number, birth_date, birth_city, address, city, and
optionally exam_id (made when absent). The programme (and optionally group,
training course, centre) is chosen for the whole file.

Every row is checked first (types, duplicates of CIN and exam id within the
file and against existing students); failing rows change nothing, the others
are all saved: their accounts are made in one call to auth, the students in
one transaction. A dry run checks and saves nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any

import anyio
from openpyxl import Workbook, load_workbook
from pydantic import BaseModel, StringConstraints, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from entraide_kit import accounts as pending
from entraide_kit.auth import Principal, Role
from entraide_kit.auth_client import provision_users
from entraide_kit.context import Context
from entraide_kit.copies import users
from entraide_kit.copies.centers import groups
from entraide_kit.copies.programs import courses
from entraide_kit.db import flush_checked
from entraide_kit.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from entraide_kit.types import AcademicYear

from . import events, repository, service
from .config import StudentsSettings
from .models import Student
from .schemas import ImportReport

COLUMNS = [
    "first_name*",
    "last_name*",
    "arabic_first_name",
    "arabic_last_name",
    "academic_year*",
    "joining_date",
    "cin_id",
    "phone_number",
    "birth_date",
    "birth_city",
    "address",
    "city",
    "exam_id",
]
REQUIRED = {c.rstrip("*") for c in COLUMNS if c.endswith("*")}
KNOWN = {c.rstrip("*") for c in COLUMNS}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Text = Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)]


class ImportRow(BaseModel):
    first_name: Annotated[
        str, StringConstraints(min_length=1, max_length=30, strip_whitespace=True)
    ]
    last_name: Annotated[str, StringConstraints(min_length=1, max_length=30, strip_whitespace=True)]
    arabic_first_name: (
        Annotated[str, StringConstraints(max_length=30, strip_whitespace=True)] | None
    ) = None
    arabic_last_name: (
        Annotated[str, StringConstraints(max_length=30, strip_whitespace=True)] | None
    ) = None
    academic_year: AcademicYear
    joining_date: dt.date | None = None
    cin_id: Annotated[str, StringConstraints(max_length=20, strip_whitespace=True)] | None = None
    phone_number: Annotated[str, StringConstraints(max_length=15, strip_whitespace=True)] | None = (
        None
    )
    birth_date: dt.date | None = None
    birth_city: Text | None = None
    address: Annotated[str, StringConstraints(max_length=255, strip_whitespace=True)] | None = None
    city: Text | None = None
    exam_id: Annotated[str, StringConstraints(max_length=20, strip_whitespace=True)] | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _cells(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value


def _parse(data: bytes, max_rows: int) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Headers and (sheet row number, values) of non-empty rows; CPU-bound, run in a thread."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise UnsupportedMediaType(
            f"The file is not a readable .xlsx workbook ({exc.__class__.__name__})."
        ) from None
    try:
        sheet = book.active
        if sheet is None:
            raise BadRequest("The workbook has no sheet.")
        rows = sheet.iter_rows(values_only=True)
        header_cells = next(rows, None)
        if header_cells is None:
            raise BadRequest("The sheet is empty.")
        headers = [
            str(h).strip().lower().rstrip("*").strip() if h is not None else ""
            for h in header_cells
        ]
        out: list[tuple[int, dict[str, Any]]] = []
        for number, cells in enumerate(rows, start=2):
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            if len(out) >= max_rows:
                raise BadRequest(f"The sheet has more than {max_rows} rows; split it.")
            out.append((number, {h: c for h, c in zip(headers, cells, strict=False) if h in KNOWN}))
        return headers, out
    finally:
        book.close()


def _row_errors(number: int, exc: ValidationError) -> list[str]:
    from entraide_kit.errors import validation_errors_to_fields

    _, fields = validation_errors_to_fields(exc.errors())
    return [f"Row {number}: {field}: {' '.join(messages)}" for field, messages in fields.items()]


def template() -> bytes:
    """An empty sheet with the expected columns."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "students"
    sheet.append(COLUMNS)
    sheet.append(
        [
            "Fatima",
            "Zahra",
            "فاطمة",
            "الزهراء",
            "2024-2025",
            "2024-09-01",
            "AB123456",
            "+212612345678",
            "2005-03-14",
            "Casablanca",
            "12 Rue Atlas",
            "Rabat",
            "",
        ]
    )
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


async def import_students(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    *,
    data: bytes,
    program: int,
    center: int | None,
    group: int | None,
    training_course: int | None,
    dry_run: bool,
) -> ImportReport:
    settings: StudentsSettings = ctx.settings
    if len(data) > settings.import_max_bytes:
        raise PayloadTooLarge(
            f"The sheet is too large; the limit is {settings.import_max_bytes // 1048576} MB."
        )
    headers, rows = await anyio.to_thread.run_sync(_parse, data, settings.import_max_rows)
    missing = sorted(REQUIRED - set(headers))
    if missing:
        raise ValidationFailed({"file": [f"Missing column(s): {', '.join(missing)}."]})

    center_id = center if center is not None else await only_center(session, actor)
    refs = {
        "center_id": center_id,
        "program_id": program,
        "group_id": group,
        "training_course_id": training_course,
    }
    center_row = await service.check_references(session, ctx, refs)
    service.policies.can_write_into(actor, center_row)

    errors: list[str] = []
    good: list[tuple[int, ImportRow]] = []
    seen_cin: dict[str, int] = {}
    seen_exam: dict[str, int] = {}
    for number, values in rows:
        try:
            row = ImportRow.model_validate(values)
        except ValidationError as exc:
            errors.extend(_row_errors(number, exc))
            continue
        dup = None
        if row.cin_id and row.cin_id in seen_cin:
            dup = f"Row {number}: cin_id: {row.cin_id} is also in row {seen_cin[row.cin_id]}."
        elif row.exam_id and row.exam_id in seen_exam:
            dup = f"Row {number}: exam_id: {row.exam_id} is also in row {seen_exam[row.exam_id]}."
        if dup:
            errors.append(dup)
            continue
        if row.cin_id:
            seen_cin[row.cin_id] = number
        if row.exam_id:
            seen_exam[row.exam_id] = number
        good.append((number, row))

    exams, cins = await repository.taken(
        session,
        exam_ids=[r.exam_id for _, r in good if r.exam_id],
        cin_ids=[r.cin_id for _, r in good if r.cin_id],
    )
    kept: list[tuple[int, ImportRow]] = []
    for number, row in good:
        if row.exam_id and row.exam_id in exams:
            errors.append(
                f"Row {number}: exam_id: a student with exam id {row.exam_id} already exists."
            )
        elif row.cin_id and row.cin_id in cins:
            errors.append(f"Row {number}: cin_id: a student with CIN {row.cin_id} already exists.")
        else:
            kept.append((number, row))

    report: dict[str, Any] = {
        "dry_run": dry_run,
        "total_rows": len(rows),
        "successful": len(kept),
        "failed": len(rows) - len(kept),
        "errors": sorted(errors, key=_row_number),
        "accounts": [],
    }
    if dry_run or not kept:
        return ImportReport(**report)

    numbers = await repository.next_exam_numbers(session, sum(1 for _, r in kept if not r.exam_id))
    refs_by_row = dict(
        zip((number for number, _ in kept), pending.new_refs(len(kept)), strict=True)
    )
    people = []
    for number, row in kept:
        profile = {
            "arabic_first_name": row.arabic_first_name,
            "arabic_last_name": row.arabic_last_name,
            "CIN_id": row.cin_id,
            "phone_number": row.phone_number,
            "birth_date": row.birth_date,
            "birth_city": row.birth_city,
            "address": row.address,
            "city": row.city,
        }
        people.append(
            service.person_for_account(row.first_name, row.last_name, profile, refs_by_row[number])
        )

    db = ctx.db
    if db is None:
        raise RuntimeError("an import needs a context with the app's database")
    await pending.remember(db, list(refs_by_row.values()))
    accounts = await provision_users(ctx, people, email_domain=settings.email_domain)
    today = dt.date.today()
    try:
        students = []
        generated = iter(numbers)
        for (_number, row), account in zip(kept, accounts, strict=True):
            exam_id = row.exam_id or f"STU{row.academic_year[:4]}{next(generated):06d}"
            students.append(
                Student(
                    user_id=account["id"],
                    exam_id=exam_id,
                    center_id=center_id,
                    program_id=program,
                    academic_year=row.academic_year,
                    joining_date=row.joining_date or today,
                    training_course_id=training_course,
                    group_id=group,
                    cin_id=row.cin_id,
                )
            )
        session.add_all(students)
        await flush_checked(session, service.CONSTRAINTS)
        for account in accounts:
            await users.upsert_user(session, account["id"], {**account, "is_active": True})
        await pending.forget(session, list(refs_by_row.values()))
        await events.OUTBOX.add(
            session,
            [
                events.OUTBOX.envelope(
                    "student", s.id or 0, s.version, events.snapshot(s, a), "upsert"
                )
                for s, a in zip(students, accounts, strict=True)
            ],
        )
    except BaseException:
        await pending.release_now(ctx, list(refs_by_row.values()))
        raise
    report["accounts"] = [
        {
            "row": number,
            "student": s.id,
            "exam_id": s.exam_id,
            "email": a["email"],
            "initial_password": a["initial_password"],
        }
        for (number, _), s, a in zip(kept, students, accounts, strict=True)
    ]
    return ImportReport(**report)


def _row_number(message: str) -> int:
    try:
        return int(message.split(":")[0].removeprefix("Row "))
    except ValueError:
        return 0


async def only_center(session: AsyncSession, actor: Principal) -> int:
    """Without a centre, a supervisor of exactly one centre imports into it."""
    if actor.role is Role.center_supervisor:
        found = await repository.supervised_center_ids(session, actor.id, limit=2)
        if len(found) == 1:
            return found[0]
    raise ValidationFailed({"center": ["This field is required."]})


async def center_for_client(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    group: int | None,
    training_course: int | None,
) -> int:
    """The centre of the web client's import: the chosen group's, else the training
    course's, else the only centre the caller supervises."""
    if group is not None:
        row = await groups.get(session, group, ctx=ctx)
        if row is None:
            raise ValidationFailed({"group_id": [f'Invalid pk "{group}" - object does not exist.']})
        return int(row["center"])
    if training_course is not None:
        row = await courses.get(session, training_course, ctx=ctx)
        if row is None:
            raise ValidationFailed(
                {"training_course_id": [f'Invalid pk "{training_course}" - object does not exist.']}
            )
        if row["center"] is not None:
            return int(row["center"])
    try:
        return await only_center(session, actor)
    except ValidationFailed:
        raise ValidationFailed(
            {"group_id": ["Choose a group or a training course: the centre is theirs."]}
        ) from None


async def import_file(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    upload: UploadFile,
    *,
    program: int,
    center: int | None,
    group: int | None,
    training_course: int | None,
    dry_run: bool,
) -> ImportReport:
    """``import_students`` of an uploaded sheet (read up to one byte past the limit)."""
    settings: StudentsSettings = ctx.settings
    data = await upload.read(settings.import_max_bytes + 1)
    return await import_students(
        session,
        ctx,
        actor,
        data=data,
        program=program,
        center=center,
        group=group,
        training_course=training_course,
        dry_run=dry_run,
    )


async def import_for_client(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    upload: UploadFile,
    *,
    program: int,
    group: int | None,
    training_course: int | None,
) -> ImportReport:
    """The web client's import: into the centre of its group, else of its training
    course, else the caller's only centre."""
    center = await center_for_client(session, ctx, actor, group, training_course)
    return await import_file(
        session,
        ctx,
        actor,
        upload,
        program=program,
        center=center,
        group=group,
        training_course=training_course,
        dry_run=False,
    )
