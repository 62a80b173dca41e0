"""Business rules of the students service.

A student and its account live in two services: auth makes the account, this
service the student. Neither may outlive the other:

1. a random ``ref`` is recorded in ``pending_accounts`` and committed on its own;
2. auth makes the account under that ref (one call, also for a whole import);
3. the student is saved and the ref forgotten in the request's transaction.

If 3 fails, the account is released at once; if this process dies between 2
and 3, or auth made the account but died before answering, the ref is still
pending and ``reconcile()`` releases the account later. auth releases only an
account that was never logged into, and only to the holder of its ref.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit import accounts, records
from entraide_kit.auth import Principal, Role
from entraide_kit.auth_client import delete_user, provision_users, update_user
from entraide_kit.context import Context
from entraide_kit.copies import users
from entraide_kit.copies.centers import centers, groups
from entraide_kit.copies.profiles import profiles
from entraide_kit.copies.programs import courses, programs
from entraide_kit.db import flush_checked
from entraide_kit.errors import (
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams, build_page

from . import answers, events, legacy, policies, repository
from .legacy import LegacyStudentCreate, LegacyStudentCreated, LegacyStudentPage, LegacyStudentRead
from .models import Student
from .repository import STUDENT_LIST  # noqa: F401 (the routers declare its query parameters)
from .schemas import PROFILE_FIELDS, StudentCreated, StudentNew, StudentPage, StudentRead

log = logging.getLogger("students")

CONSTRAINTS = {
    "uq_students_exam_id": ("exam_id", "student with this exam id already exists."),
    "uq_students_cin_id": ("CIN_id", "A student with this CIN already exists."),
    "uq_students_user_id": ("user", "This user already has a student record."),
}
STUDENT_FIELDS = (
    "exam_id",
    "center_code",
    "center",
    "program",
    "academic_year",
    "joining_date",
    "training_course",
    "group",
)
RENAMES = {
    "center": "center_id",
    "program": "program_id",
    "training_course": "training_course_id",
    "group": "group_id",
}


def _invalid_pk(field: str, pk: Any) -> list[str]:
    return [f'Invalid pk "{pk}" - object does not exist.']


async def check_references(session: AsyncSession, ctx: Context, values: Mapping[str, Any]) -> Any:
    """Centre, programme, course and group exist (copies, then their owner once) and fit
    together; returns the centre's copy row."""
    errors: dict[str, list[str]] = {}
    center = await centers.get(session, values["center_id"], ctx=ctx)
    if center is None:
        errors["center"] = _invalid_pk("center", values["center_id"])
    if await programs.get(session, values["program_id"], ctx=ctx) is None:
        errors["program"] = _invalid_pk("program", values["program_id"])
    course_id = values.get("training_course_id")
    if course_id is not None:
        course = await courses.get(session, course_id, ctx=ctx)
        if course is None:
            errors["training_course"] = _invalid_pk("training_course", course_id)
        elif course["program"] not in (None, values["program_id"]) or course["center"] not in (
            None,
            values["center_id"],
        ):
            errors["training_course"] = [
                "The training course must be of the student's program and center."
            ]
    group_id = values.get("group_id")
    if group_id is not None:
        group = await groups.get(session, group_id, ctx=ctx)
        if group is None:
            errors["group"] = _invalid_pk("group", group_id)
        elif group["center"] != values["center_id"]:
            errors["group"] = ["The group must belong to the student's center."]
    if errors:
        raise ValidationFailed(errors)
    return center


def person_for_account(
    first_name: str, last_name: str, profile: Mapping[str, Any], ref: str
) -> dict[str, Any]:
    person: dict[str, Any] = {
        "first_name": first_name,
        "last_name": last_name,
        "role": "student",
        "ref": ref,
    }
    for name in PROFILE_FIELDS:
        value = profile.get(name)
        if value is not None:
            person[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return person


async def generate_exam_id(session: AsyncSession, center_id: int) -> str:
    """ "C" + centre id + "/" + 3-digit sequence in the centre + "/" + 2-digit year, as
    the original backend made them; a number some student already holds is skipped."""
    year = dt.date.today().strftime("%y")
    for _ in range(50):
        (number,) = await repository.next_center_numbers(session, center_id, 1)
        candidate = f"C{center_id}/{number:03d}/{year}"
        taken, _ = await repository.taken(session, exam_ids=[candidate], cin_ids=[])
        if not taken:
            return candidate
    raise ServiceUnavailable("No free exam id could be generated for this centre; try again.")


async def _create(
    session: AsyncSession, ctx: Context, actor: Principal, data: StudentNew
) -> tuple[Student, dict[str, Any]]:
    """Create a student and its account; without an exam id (the web client's path) one
    is generated in the centre's sequence, and a blank centre code is "C-" + centre id."""
    values = {RENAMES.get(k, k): v for k, v in data.model_dump(include=set(STUDENT_FIELDS)).items()}
    values["center_code"] = values.get("center_code") or f"C-{data.center}"
    center = await check_references(session, ctx, values)
    policies.can_write_into(actor, center)
    exams, cins = await repository.taken(
        session,
        exam_ids=[data.exam_id] if data.exam_id else [],
        cin_ids=[data.CIN_id] if data.CIN_id else [],
    )
    if exams:
        raise ValidationFailed({"exam_id": [CONSTRAINTS["uq_students_exam_id"][1]]})
    if cins:
        raise ValidationFailed({"CIN_id": [CONSTRAINTS["uq_students_cin_id"][1]]})

    db = ctx.db
    if db is None:
        raise RuntimeError("creating a student needs a context with the app's database")
    (ref,) = accounts.new_refs(1)
    await accounts.remember(db, [ref])
    profile = data.model_dump(include=set(PROFILE_FIELDS))
    person = person_for_account(data.first_name, data.last_name, profile, ref)
    (account,) = await provision_users(ctx, [person], email_domain=ctx.setting("email_domain"))
    try:
        if not values.get("exam_id"):
            values["exam_id"] = await generate_exam_id(session, data.center)
        student = Student(**values, user_id=account["id"], cin_id=data.CIN_id or None)
        session.add(student)
        await flush_checked(session, CONSTRAINTS)
        await session.refresh(student)
        await users.upsert_user(session, account["id"], {**person, **account, "is_active": True})
        await profiles.upsert_answer(session, account["id"], {**person, **account})
        await accounts.forget(session, [ref])
        await events.student_changed(session, student, account)
    except BaseException:
        await accounts.release_now(ctx, [ref])
        raise
    return student, account


async def _update(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    student: Student,
    changes: dict[str, Any],
    account_changes: Mapping[str, Any] | None = None,
) -> Student:
    """Apply changes to a student and (the web client's edit and deactivate) to its
    account in auth: the student's changes are checked and written first, auth is asked
    last, so that if auth refuses the request fails and nothing changes here."""
    for name in ("exam_id", "center", "program", "academic_year", "joining_date"):
        if name in changes and changes[name] is None:
            raise ValidationFailed({name: ["This field may not be null."]})
    values = {RENAMES.get(k, k): v for k, v in changes.items()}
    if "center_code" in values:
        values["center_code"] = values["center_code"] or ""
    merged = {
        "center_id": values.get("center_id", student.center_id),
        "program_id": values.get("program_id", student.program_id),
        "training_course_id": values.get("training_course_id", student.training_course_id),
        "group_id": values.get("group_id", student.group_id),
    }
    center = await check_references(session, ctx, merged)
    if merged["center_id"] != student.center_id:
        policies.can_write_into(actor, center)
    if account_changes and "CIN_id" in account_changes:
        values["cin_id"] = account_changes["CIN_id"] or None
    await records.save_unflushed(student, values)
    await flush_checked(session, CONSTRAINTS)
    if account_changes:
        answer = await update_user(
            ctx,
            student.user_id,
            account_changes,
            field_names=ACCOUNT_FIELD_NAMES,
            what="The student's account",
        )
        await users.upsert_user(session, student.user_id, answer)
        await profiles.upsert_answer(session, student.user_id, answer)
    user = (await users.users_by_id(session, [student.user_id])).get(student.user_id)
    await events.student_changed(session, student, dataclasses.asdict(user) if user else None)
    return student


ACCOUNT_FIELD_NAMES = {"arabic_first_name": "Arabic_first_name"}


async def delete_student(
    session: AsyncSession, ctx: Context, actor: Principal, student_id: int
) -> None:
    """The account goes first: if auth cannot delete it, nothing changes."""
    student = await _readable(session, actor, student_id, for_update=True)
    if not await delete_user(ctx, student.user_id):
        raise ServiceUnavailable(
            "The student's account could not be deleted; nothing was changed. Try again."
        )
    await events.student_deleted(session, student)
    await records.remove(session, student)


# ------------------------------------------------------------------ reads
# The documented paths and the web client's (legacy.py) read the same rows of
# ``repository.students_query()``; only the shape differs. GETs read them on
# asyncpg (flat rows: ``row.user_id``, ``row.center_name``); writes lock the
# Student through the ORM first.


async def _readable(
    session: AsyncSession, actor: Principal, student_id: int, *, for_update: bool = False
) -> Student:
    """The student, if the actor may read it (404 otherwise, as for no such student)."""
    student = await repository.students.require(session, student_id, for_update=for_update)
    center = (await centers.by_ids(session, [student.center_id])).get(student.center_id)
    teaches = actor.role is Role.trainer and await repository.teaches(
        session, actor.id, student.group_id
    )
    policies.can_read(actor, student, center, teaches_group=teaches)
    return student


async def student_for_write(session: AsyncSession, actor: Principal, student_id: int) -> Student:
    """The student an update changes, locked: a 404 if it does not exist or the actor
    may not read it (the router asks before the body is read)."""
    return await _readable(session, actor, student_id, for_update=True)


async def _readable_row(session: AsyncSession, actor: Principal, student_id: int) -> Any:
    """The student's ``students_query()`` row, if the actor may read it (404 otherwise),
    in one statement (two for a trainer)."""
    row = await repository.get_row(session, student_id)
    if row is None:
        raise NotFound()
    center = {"supervisor": row.center_supervisor} if row.center_supervisor is not None else None
    teaches = actor.role is Role.trainer and await repository.teaches(
        session, actor.id, row.group_id
    )
    policies.can_read(actor, row, center, teaches_group=teaches)
    return row


async def _rows(
    session: AsyncSession, actor: Principal, params: PageParams, query: ListQuery
) -> tuple[int, list[Any]]:
    """(count, the page's rows) of the students the actor may see."""
    stmt = policies.scope(repository.students_query(), actor)
    return await repository.page_rows(session, params, stmt, query)


async def _row(session: AsyncSession, student_id: int) -> Any:
    return await repository.get_row(session, student_id)


async def _legacy(session: AsyncSession, ctx: Context, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Many students' fields in the original representation: their users and profiles
    in one statement."""
    found = await repository.users_with_profiles(session, [row.user_id for row in rows])
    fields = []
    for row in rows:
        user, profile = found.get(row.user_id, (None, None))
        fields.append(legacy.student_fields(row, user, profile, ctx.base_url))
    return fields


async def _legacy_one(session: AsyncSession, ctx: Context, student_id: int) -> dict[str, Any]:
    (fields,) = await _legacy(session, ctx, [await _row(session, student_id)])
    return fields


async def student_page(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> StudentPage:
    count, rows = await _rows(session, actor, params, query)
    results = [answers.student(r) for r in rows]
    return StudentPage.model_construct(**build_page(ctx, params, count, results))


async def legacy_student_page(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> LegacyStudentPage:
    count, rows = await _rows(session, actor, params, query)
    results = [LegacyStudentRead(**f) for f in await _legacy(session, ctx, rows)]
    return LegacyStudentPage.model_construct(**build_page(ctx, params, count, results))


async def student(session: AsyncSession, actor: Principal, student_id: int) -> StudentRead:
    return answers.student(await _readable_row(session, actor, student_id))


async def legacy_student(
    session: AsyncSession, ctx: Context, actor: Principal, student_id: int
) -> LegacyStudentRead:
    row = await _readable_row(session, actor, student_id)
    (fields,) = await _legacy(session, ctx, [row])
    return LegacyStudentRead(**fields)


# ------------------------------------------------------------------ writes' answers


async def create_student(
    session: AsyncSession, ctx: Context, actor: Principal, data: StudentNew
) -> StudentCreated:
    """A student and its account; the answer shows its one-time password, once."""
    made, account = await _create(session, ctx, actor, data)
    return answers.student_created(await _row(session, made.id or 0), account["initial_password"])


async def legacy_create_student(
    session: AsyncSession, ctx: Context, actor: Principal, body: LegacyStudentCreate
) -> LegacyStudentCreated:
    """The web client's create (exam_id and center_code generated), answered in the
    original representation."""
    made, account = await _create(session, ctx, actor, legacy.to_new(body))
    fields = await _legacy_one(session, ctx, made.id or 0)
    return LegacyStudentCreated(**fields, initial_password=account["initial_password"])


async def update_student(
    session: AsyncSession, ctx: Context, actor: Principal, found: Student, body: BaseModel
) -> StudentRead:
    """A full (PUT) or partial (PATCH) update of the (locked) student: ``body`` holds
    the fields sent."""
    found = await _update(session, ctx, actor, found, body.model_dump(exclude_unset=True))
    return answers.student(await _row(session, found.id or 0))


async def legacy_update_student(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    found: Student,
    body: legacy.LegacyStudentPatch,
) -> LegacyStudentRead:
    """The web client's update (PUT or PATCH) of the (locked) student: its fields and
    its account's (``{"user": {"is_active": false}}`` deactivates it)."""
    changes, account = legacy.split(body)
    found = await _update(session, ctx, actor, found, changes, account)
    return LegacyStudentRead(**await _legacy_one(session, ctx, found.id or 0))
