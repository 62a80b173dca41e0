"""Who reaches which record: the caller's rights, and the lookups every rule
starts from. Every read of a record goes through its course (a record of a course
the caller may not see is a 404), every write through the course's write rights
(a 403 for a visible course that is not theirs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from entraide_kit.auth import Principal, Role
from entraide_kit.errors import NotFound, ValidationFailed

from . import repository
from .models import Course
from .policies import CourseLike, Rights

T = TypeVar("T", bound=SQLModel)


def invalid_pk(field: str, pk: Any) -> ValidationFailed:
    return ValidationFailed({field: [f'Invalid pk "{pk}" - object does not exist.']})


async def rights(session: AsyncSession, principal: Principal) -> Rights:
    """The caller's rights, with the programmes a trainer teaches loaded once."""
    taught: set[int] = set()
    if principal.role is Role.trainer:
        taught = await repository.taught_programs(session, principal.id)
    return Rights(principal, taught)


@dataclass(frozen=True, slots=True)
class Owned(Generic[T]):
    """A record about to change, locked, with its course (whose rights it follows)."""

    record: T
    course: Course
    rights: Rights


async def for_write(session: AsyncSession, caller: Rights, model: type[T], pk: int) -> Owned[T]:
    found = await repository.get_with_course(session, model, pk, for_update=True)
    if found is None:
        raise NotFound()
    record, course = found
    caller.write(course)
    return Owned(record, course, caller)


async def readable(
    session: AsyncSession, caller: Rights, model: type[SQLModel], pk: int
) -> tuple[Any, CourseLike]:
    """A record to show (a lean row of its table, ``entraide_kit.fastread``) and its
    course's rights fields: a 404 when the caller may not see it."""
    found = await repository.read_with_course(session, model, pk)
    if found is None:
        raise NotFound()
    caller.read(found[1])
    return found


async def parent_of(
    session: AsyncSession, caller: Rights, model: type[T], pk: int, field: str
) -> tuple[T, Course]:
    """The parent a body names: 400 when it does not exist (for this caller), 403
    when its course's content is not theirs to change."""
    found = await repository.get_with_course(session, model, pk)
    if found is None or not caller.can_read(found[1]):
        raise invalid_pk(field, pk)
    caller.write(found[1])
    return found
