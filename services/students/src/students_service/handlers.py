"""What the students service does on events of other services.

Consumes users (names, token revocation; a deleted user takes their student
record with them) and their profiles (the web client's user objects), centres,
groups, programmes and training courses (copies used to check references and
show names), and the schedule's weekly templates (which trainer teaches which
group).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit import records
from entraide_kit.copies import users
from entraide_kit.copies.centers import centers, groups
from entraide_kit.copies.profiles import profiles
from entraide_kit.copies.programs import courses, programs
from entraide_kit.events import Envelope, Subscription

from . import events, repository
from .copies import sessions


async def user_event(session: AsyncSession, envelope: Envelope) -> None:
    """Keep the user's copy; the student of a deleted user goes with it, the one of a
    changed user is re-published (names and email are part of its snapshot)."""
    await users.apply_user(session, envelope)
    student = await repository.by_user(session, int(envelope.id))
    if student is None:
        return
    if envelope.op == "delete":
        # The account is gone (deleted in auth by anyone): so is the student.
        await events.student_deleted(session, student)
        await records.remove(session, student)
    else:
        # Names and email are part of what students publish.
        student = await records.save(session, student, {})
        await events.student_changed(session, student, users.copy.read(envelope).model_dump())


SUBSCRIPTIONS = [
    Subscription("entraide.auth.user.*", user_event, users.wipe),
    profiles.subscription(),
    centers.subscription(),
    groups.subscription(),
    programs.subscription(),
    courses.subscription(),
    sessions.subscription(),
]
