"""Who reads and who writes which content.

- Admins read and write everything.
- Trainers write the content (units and everything below) of the courses tied
  to a training programme they teach (a training course of theirs in the
  programs service), and read those courses even while inactive.
- Every authenticated role reads active courses; an inactive course is a 404
  to anyone but admins and its trainers.
- Students (learners) never see a question's explanation nor which option is
  correct, and see a multiple-choice question only once it has two options
  and a correct one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, select, true
from sqlmodel import col

from entraide_kit.auth import Principal, Role
from entraide_kit.copies.programs import courses as training_courses
from entraide_kit.errors import NotFound, PermissionDenied

from .models import Course

WRITERS = (Role.admin, Role.trainer)


def taught_programs(user_id: int) -> Select[Any]:
    """The programmes a trainer teaches (their training courses' programmes)."""
    table = training_courses.table
    return select(table.c.program).where(table.c.trainer == user_id, table.c.program.is_not(None))


def visible(principal: Principal) -> ColumnElement[bool]:
    """The courses a caller may read (the content below follows its course)."""
    if principal.role is Role.admin:
        return true()
    if principal.role is Role.trainer:
        return col(Course.is_active) | col(Course.program_id).in_(taught_programs(principal.id))
    return col(Course.is_active).is_(True)


class CourseLike(Protocol):
    """What the rights read of a course: a ``Course`` record, or a lean row of it
    (``repository.CourseRef``, a fastread row of ``courses``)."""

    @property
    def id(self) -> int | None: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def program_id(self) -> int | None: ...


C = TypeVar("C", bound=CourseLike)


def is_learner(principal: Principal) -> bool:
    return principal.role is Role.student


@dataclass(frozen=True, slots=True)
class Rights:
    """What one caller may do, with the programmes they teach loaded once."""

    principal: Principal
    taught: Collection[int] = ()

    @property
    def learner(self) -> bool:
        return is_learner(self.principal)

    def teaches(self, course: CourseLike) -> bool:
        return course.program_id is not None and course.program_id in self.taught

    def can_read(self, course: CourseLike) -> bool:
        if self.principal.role is Role.admin or course.is_active:
            return True
        return self.principal.role is Role.trainer and self.teaches(course)

    def can_write(self, course: CourseLike) -> bool:
        if self.principal.role is Role.admin:
            return True
        return self.principal.role is Role.trainer and self.teaches(course)

    def read(self, course: C | None) -> C:
        """The course, or a 404 when the caller may not see it."""
        if course is None or not self.can_read(course):
            raise NotFound()
        return course

    def write(self, course: C | None) -> C:
        """The course whose content the caller changes: 404 unseen, 403 not theirs."""
        course = self.read(course)
        if not self.can_write(course):
            raise PermissionDenied(
                "You can only change the content of courses of the programmes you teach."
            )
        return course
