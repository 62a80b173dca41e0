"""What the content service does on other services' events.

Consumes ``entraide.programs.program.*`` into ``program_copies`` (a course's
training programme) and ``entraide.programs.trainingcourse.*`` into
``course_copies`` (which trainer teaches which programme: their write
rights), plus auth's user events for token revocation (through the kit).
Neither copy has side effects here: the kit's subscriptions keep them.
"""

from __future__ import annotations

from entraide_kit.copies.programs import courses as training_courses
from entraide_kit.copies.programs import programs

SUBSCRIPTIONS = [programs.subscription(), training_courses.subscription()]
