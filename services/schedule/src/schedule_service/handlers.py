"""What the schedule service does on other services' events.

Consumes ``entraide.auth.user.*`` (trainers' names and roles; token
revocation through the kit), centres (who supervises what), rooms, groups and
training courses into the kit's copies; a training course moved to another
centre moves its templates (and re-publishes them and their instances).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.copies import users
from entraide_kit.copies.centers import centers, groups, rooms
from entraide_kit.copies.programs import courses
from entraide_kit.events import Envelope, Subscription

from . import service


async def course_changed(session: AsyncSession, envelope: Envelope) -> None:
    """Keep the course's copy; a course moved to another centre moves its templates."""
    await courses.apply(session, envelope)
    if envelope.op == "delete":
        return
    course = courses.read(envelope)
    await service.move_course_templates(session, course.id, course.center)


SUBSCRIPTIONS = [
    users.subscription(),
    centers.subscription(),
    rooms.subscription(),
    groups.subscription(),
    Subscription(courses.subject, course_changed, courses.wipe),
]
