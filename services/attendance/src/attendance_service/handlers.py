"""What the attendance service does on other services' events.

Consumes users (token revocation; names, the Arabic ones for the exports, and
trainers' names in a training course's name), centres (supervisors, their
association), associations and groups (the network roll-ups' names), students,
programs' training courses (programme and name of a session's course), and
schedule's templates and instances (copies: student_details,
session_template_details and session_instance_details come from them; an
instance's new trainer or group follows into its records' scope).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.copies import users
from entraide_kit.copies.centers import associations, centers, groups
from entraide_kit.copies.programs import courses
from entraide_kit.copies.students import students
from entraide_kit.events import Envelope

from . import service
from .copies import instances, sessions


async def instance_followed(session: AsyncSession, envelope: Envelope) -> None:
    """An instance's new trainer, group or centre follows into its records' scope
    (new versions of those records, and their events)."""
    if envelope.op == "upsert":
        instance = instances.read(envelope)
        await service.follow_instance(
            session,
            instance.id,
            {
                "trainer_id": instance.effective_trainer,
                "group_id": instance.group,
                "center_id": instance.center,
            },
        )


SUBSCRIPTIONS = [
    # user_copies holds the students' Arabic names (student_stats and its exports).
    users.subscription(),
    centers.subscription(),
    # Names and the tree of the network roll-ups (records/network_stats).
    associations.subscription(),
    groups.subscription(),
    students.subscription(),
    # A template's training course: its programme's name and the course's name.
    courses.subscription(),
    sessions.subscription(),
    instances.subscription(then=instance_followed),
]
