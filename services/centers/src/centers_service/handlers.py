"""What the centers service does on other services' events.

Consumes ``entraide.auth.user.*`` into ``user_copies`` (supervisors' roles
and names) and, through the kit, token revocations.
"""

from __future__ import annotations

from entraide_kit.copies import users

SUBSCRIPTIONS = [users.subscription()]
