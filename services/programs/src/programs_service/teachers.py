"""Business rules of teachers: the documented ``/api/teachers/`` paths and the web
client's ``/api/teachers/teachers/`` (legacy.py's shapes) read the same rows and go
through the same checks and writes.

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

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from starlette.datastructures import UploadFile

from entraide_kit import accounts, records
from entraide_kit.auth import Principal, Role
from entraide_kit.auth_client import delete_user, provision_users, update_user
from entraide_kit.context import Context
from entraide_kit.copies import users
from entraide_kit.copies.centers import groups
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
from entraide_kit.pagination import PageParams
from entraide_kit.storage import Storage, media_url, read_image

from . import answers, events, legacy, policies, repository
from .models import Teacher, TrainingCourse
from .repository import TEACHER_LIST, GroupOf
from .schemas import USER_FIELDS, CoursePage, TeacherCreated, TeacherPage, TeacherRead
from .service import CONSTRAINTS, center_ref, columns, course_page, not_null, page_of, program_ref

log = logging.getLogger("entraide.programs")

# ------------------------------------------------------------------ reads
# The documented paths and the web client's read the same rows: a teachers_query
# row and the teacher's groups; only the shape differs.


async def _rows(
    session: AsyncSession, actor: Principal, params: PageParams, query: ListQuery
) -> tuple[int, list[Any], dict[int, list[GroupOf]]]:
    """(count, the page's teachers_query rows, their groups) of the teachers the actor
    may see."""
    stmt = policies.scope_teachers(repository.teachers_query(), actor)
    count, rows = await repository.page_rows(session, params, stmt, TEACHER_LIST, query)
    groups = await repository.groups_of_teachers(session, [r.id for r in rows])
    return count, rows, groups


async def _row(session: AsyncSession, teacher_id: int) -> tuple[Any, list[GroupOf]]:
    """One teacher's row and groups."""
    row = await repository.teacher_row(session, teacher_id)
    if row is None:
        raise NotFound()
    groups = await repository.groups_of_teachers(session, [teacher_id])
    return row, groups.get(teacher_id, [])


async def teacher_for_write(session: AsyncSession, actor: Principal, teacher_id: int) -> Teacher:
    """The teacher an update changes, locked, if the actor may read it (404 otherwise,
    as for no such teacher; the router asks before the body is read)."""
    teacher = await repository.teachers.require(session, teacher_id, for_update=True)
    await policies.can_read_teacher(session, actor, teacher)
    return teacher


async def _readable_row(
    session: AsyncSession, actor: Principal, teacher_id: int
) -> tuple[Any, list[GroupOf]]:
    """The teacher's row and groups, if the actor may read it (404 otherwise, as for no
    such teacher)."""
    row = await repository.teacher_row(session, teacher_id)
    if row is None:
        raise NotFound()
    await policies.can_read_teacher(session, actor, row)
    groups = await repository.groups_of_teachers(session, [teacher_id])
    return row, groups.get(teacher_id, [])


async def _legacy(
    session: AsyncSession, ctx: Context, rows: Sequence[Any], groups: dict[int, list[GroupOf]]
) -> list[dict[str, Any]]:
    """Many teachers' fields in the original representation; their users' profiles in
    one query."""
    found = await repository.profiles_by_ids(session, [r.user_id for r in rows])
    return [
        legacy.teacher_fields(ctx.base_url, r, groups.get(r.id, []), found.get(r.user_id))
        for r in rows
    ]


async def _legacy_one(session: AsyncSession, ctx: Context, teacher_id: int) -> dict[str, Any]:
    row, groups = await _row(session, teacher_id)
    (fields,) = await _legacy(session, ctx, [row], {teacher_id: groups})
    return fields


async def teacher_page(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> TeacherPage:
    count, rows, groups = await _rows(session, actor, params, query)
    results = [answers.teacher_row(r, groups.get(r.id, [])) for r in rows]
    return page_of(TeacherPage, ctx, params, count, results)


async def legacy_teacher_page(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> legacy.LegacyTeacherPage:
    count, rows, groups = await _rows(session, actor, params, query)
    results = [legacy.LegacyTeacher(**f) for f in await _legacy(session, ctx, rows, groups)]
    return page_of(legacy.LegacyTeacherPage, ctx, params, count, results)


async def teacher(session: AsyncSession, actor: Principal, teacher_id: int) -> TeacherRead:
    return answers.teacher_row(*await _readable_row(session, actor, teacher_id))


async def legacy_teacher(
    session: AsyncSession, ctx: Context, actor: Principal, teacher_id: int
) -> legacy.LegacyTeacher:
    row, groups = await _readable_row(session, actor, teacher_id)
    (fields,) = await _legacy(session, ctx, [row], {teacher_id: groups})
    return legacy.LegacyTeacher(**fields)


async def courses_of_teacher(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    teacher_id: int,
    params: PageParams,
    query: ListQuery,
) -> CoursePage:
    """The training courses the teacher's user trains."""
    found = await repository.plain_teacher(session, teacher_id)
    if found is None:
        raise NotFound()
    await policies.can_read_courses_of(session, actor, found)
    return await course_page(
        session, ctx, params, query, col(TrainingCourse.trainer_id) == found.user_id
    )


# ------------------------------------------------------------------ writes


@dataclass
class NewTeacher:
    teacher: Teacher
    user: dict[str, Any]
    initial_password: str


def _check_contract(start: Any, end: Any) -> None:
    if start and end and end < start:
        raise ValidationFailed({"contract_end_date": ["The contract cannot end before it starts."]})


async def _check_groups(
    session: AsyncSession, ctx: Context, group_ids: Sequence[int], center_id: int
) -> None:
    """Groups must exist (copy, else the centers service once) and be of the centre."""
    errors = []
    for group_id in group_ids:
        group = await groups.get(session, group_id, ctx=ctx)
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
    ctx: Context,
    actor: Principal,
    data: BaseModel,
    teacher: Teacher | None,
) -> tuple[dict[str, Any], list[int] | None]:
    """Checked columns of a teacher, and its groups when they are set."""
    values = columns(data, skip=frozenset((*USER_FIELDS, "groups", "user")))
    not_null(values, "center_id", "program_id", "contract_with")
    if teacher is not None and values.get("center_id", teacher.center_id) != teacher.center_id:
        # Moving a teacher out of a centre needs the right to that centre too.
        await _can_leave(session, actor, teacher)
    center_id = int(values.get("center_id", teacher.center_id if teacher else 0))
    center = await center_ref(session, ctx, center_id)
    policies.can_write_in_center(actor, center)
    if "program_id" in values:
        await program_ref(session, "program", values["program_id"])
    start = values.get("contract_start_date", teacher.contract_start_date if teacher else None)
    end = values.get("contract_end_date", teacher.contract_end_date if teacher else None)
    _check_contract(start, end)

    chosen: list[int] | None = None
    if "groups" in data.model_fields_set:
        chosen = sorted(set(getattr(data, "groups") or []))  # noqa: B009
    if chosen is not None:
        await _check_groups(session, ctx, chosen, center_id)
    elif teacher is not None and center_id != teacher.center_id:
        # Moved without new groups: the ones it has must be of the new centre too.
        await _check_groups(
            session, ctx, await repository.group_ids(session, teacher.id or 0), center_id
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


async def _create(
    session: AsyncSession, ctx: Context, actor: Principal, data: BaseModel
) -> NewTeacher:
    """Check the teacher, have auth make its user (role trainer), save the teacher."""
    values, chosen = await _teacher_values(session, ctx, actor, data, None)
    db: Database | None = ctx.db
    if db is None:
        raise RuntimeError("creating a teacher needs a context with the app's database")
    (ref,) = accounts.new_refs(1)
    await accounts.remember(db, [ref])
    person = person_for_user(data, ref)
    (made,) = await provision_users(ctx, [person], email_domain=ctx.setting("email_domain"))
    try:
        teacher = Teacher(**values, user_id=int(made["id"]))
        session.add(teacher)
        await flush_checked(session, CONSTRAINTS)
        await session.refresh(teacher)
        await repository.set_groups(session, teacher.id or 0, chosen or [])
        # The new user is in the copies at once (its event brings the same later).
        await users.upsert_user(session, int(made["id"]), {**person, **made, "is_active": True})
        await profiles.upsert_answer(session, int(made["id"]), {**person, **made})
        await accounts.forget(session, [ref])
        await events.teacher_changed(session, teacher, chosen or [])
    except BaseException:
        await accounts.release_now(ctx, [ref])
        raise
    return NewTeacher(teacher=teacher, user=made, initial_password=str(made["initial_password"]))


async def create_teacher(
    session: AsyncSession, ctx: Context, actor: Principal, data: BaseModel
) -> TeacherCreated:
    """A teacher and its user; the answer shows the user's one-time password, once."""
    made = await _create(session, ctx, actor, data)
    row, found = await _row(session, made.teacher.id or 0)
    return answers.teacher_created(row, found, made.initial_password)


async def legacy_create_teacher(
    session: AsyncSession, ctx: Context, actor: Principal, data: BaseModel
) -> legacy.LegacyTeacherCreated:
    """``create_teacher``, field errors and answer in the original representation."""
    try:
        made = await _create(session, ctx, actor, data)
    except ValidationFailed as exc:
        raise legacy.their_errors(exc) from None
    fields = await _legacy_one(session, ctx, made.teacher.id or 0)
    return legacy.LegacyTeacherCreated(**fields, initial_password=made.initial_password)


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


async def _update(
    session: AsyncSession,
    ctx: Context,
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
    values, chosen = await _teacher_values(session, ctx, actor, data, teacher)
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
        changes["profile_picture"] = media_url(ctx, key)
    if changes:
        try:
            user = await update_user(
                ctx, teacher.user_id, changes, what="The teacher's user account"
            )
        except BaseException:
            if key is not None and storage is not None:
                await storage.delete(key)
            raise
        # The copies show the change at once (the user's event brings the same later).
        await users.upsert_user(session, teacher.user_id, user)
        await profiles.upsert_answer(session, teacher.user_id, user)
    return teacher


async def update_teacher(
    session: AsyncSession, ctx: Context, actor: Principal, found: Teacher, data: BaseModel
) -> TeacherRead:
    """A full (PUT) or partial (PATCH) update of the (locked) teacher record (the user's
    fields are changed in auth): ``data`` holds the fields sent."""
    await _update(session, ctx, actor, data=data, teacher=found)
    return answers.teacher_row(*await _row(session, found.id or 0))


async def legacy_update_teacher(
    session: AsyncSession,
    ctx: Context,
    actor: Principal,
    found: Teacher,
    data: BaseModel,
    *,
    storage: Storage,
    picture: UploadFile | None,
) -> legacy.LegacyTeacher:
    """The web client's PATCH of the (locked) teacher: its fields, the user's and a
    picture; field errors and answer in the original representation."""
    try:
        await _update(
            session, ctx, actor, data=data, teacher=found, storage=storage, picture=picture
        )
    except ValidationFailed as exc:
        raise legacy.their_errors(exc) from None
    return legacy.LegacyTeacher(**await _legacy_one(session, ctx, found.id or 0))


async def delete_teacher(session: AsyncSession, ctx: Context, teacher_id: int) -> None:
    """The user goes first: if auth cannot delete it, nothing changes."""
    teacher = await repository.teachers.require(session, teacher_id, for_update=True)
    try:
        gone = await delete_user(ctx, teacher.user_id)
    except APIError as exc:  # auth not configured
        log.error("could not delete user %s of a teacher: %s", teacher.user_id, exc.detail)
        gone = False
    if not gone:
        raise ServiceUnavailable(
            "The teacher's user account could not be deleted; nothing was changed. Try again."
        )
    await events.deleted(session, "teacher", teacher.id or 0, teacher.version)
    await records.remove(session, teacher)
