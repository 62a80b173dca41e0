"""What the programs service does on events of other services.

Consumes ``entraide.auth.user.*`` into ``user_copies`` (trainers' names and
roles; token revocation through the kit), the same events into
``user_profile_copies`` (phone, picture, identity card...: the web client's
whole user objects, see legacy.py), ``entraide.centers.center.*`` into
``center_copies`` and ``entraide.centers.group.*`` into ``group_copies``.
A centre renamed re-publishes its training courses; a group deleted leaves the
teachers who had it (re-published).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import records
from entraide_kit.copies import users
from entraide_kit.copies.centers import centers, groups
from entraide_kit.copies.profiles import profiles
from entraide_kit.events import Envelope, Subscription

from . import events, repository
from .models import TrainingCourse
from .service import republish_courses


async def apply_center(session: AsyncSession, envelope: Envelope) -> None:
    """Keep the centre's copy; a renamed centre re-publishes its training courses."""
    center_id = int(envelope.id)
    before = (await centers.by_ids(session, [center_id])).get(center_id)
    await centers.apply(session, envelope)
    name = None if envelope.op == "delete" else centers.read(envelope).name
    # A centre not in the copy has no course in normal operation (a course needs
    # the copy, or the owner's answer, which is kept); after a rebuild emptied the
    # copies it may have some, whose published centre name may be stale.
    if before is None or name is None or before["name"] != name:
        courses = await repository.courses_where(
            session, col(TrainingCourse.center_id) == center_id
        )
        await republish_courses(session, courses)


async def group_applied(session: AsyncSession, envelope: Envelope) -> None:
    """A group deleted in the centers service leaves the teachers who had it."""
    if envelope.op != "delete":
        return
    group_id = int(envelope.id)
    teachers = await repository.teachers_in_group(session, group_id)
    await repository.remove_group(session, group_id)
    for teacher in teachers:
        await records.save(session, teacher, {})
        await events.teacher_changed(
            session, teacher, await repository.group_ids(session, teacher.id or 0)
        )


SUBSCRIPTIONS = [
    users.subscription(),
    # The same user events again, for the profile half the web client's pages show.
    profiles.subscription(),
    Subscription(centers.subject, apply_center, centers.wipe),
    groups.subscription(then=group_applied),
]
