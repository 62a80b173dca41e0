"""What the exams service does on other services' events (it publishes
nothing yet, so it has no ``events.py``).

Consumes users (revocation; students' roles), centres (supervisors),
programmes, training courses (who teaches what), students (names, centres)
and weekly plans (the weeks questions belong to): copies the kit keeps.
"""

from __future__ import annotations

from entraide_kit.copies import users
from entraide_kit.copies.centers import centers
from entraide_kit.copies.programs import courses, programs
from entraide_kit.copies.students import students

from .copies import weekly_plans

SUBSCRIPTIONS = [
    users.subscription(),
    centers.subscription(),
    programs.subscription(),
    courses.subscription(),
    students.subscription(),
    weekly_plans.subscription(),
]
