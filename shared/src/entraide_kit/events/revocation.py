"""Token revocation in every service, fed by auth's user events.

auth bumps a user's ``token_version`` when they log out, change their password
or role, or are deactivated, and publishes the user. Every other service keeps
``token_revocations`` from those events and refuses an access token whose
``ver`` claim is older, or whose user is inactive or deleted. A short
in-process cache keeps this off the database for most requests; its lifetime
bounds how late a revocation can be seen (well within the 2 s promised).
"""

from __future__ import annotations

import time

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..contracts import User
from ..errors import InvalidToken
from .consumer import Subscription
from .envelope import Envelope
from .tables import token_revocations

USER_SUBJECT = "entraide.auth.user.*"
CACHE_SECONDS = 0.5


async def apply_user_event(session: AsyncSession, envelope: Envelope) -> None:
    deleted = envelope.op == "delete"
    user = None if deleted else envelope.payload(User)
    values = {
        "user_id": int(envelope.id),
        "token_version": user.token_version if user else 0,
        "is_active": user.is_active if user else False,
        "deleted": deleted,
    }
    stmt = insert(token_revocations).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_={k: stmt.excluded[k] for k in ("token_version", "is_active", "deleted")},
        )
    )


async def wipe(session: AsyncSession) -> None:
    await session.execute(token_revocations.delete())


def revocation_subscription() -> Subscription:
    return Subscription(USER_SUBJECT, apply_user_event, wipe)


class RevocationGuard:
    """The ``token_guard`` of services other than auth."""

    def __init__(self, cache_seconds: float = CACHE_SECONDS) -> None:
        self.cache_seconds = cache_seconds
        self._cache: dict[int, tuple[float, tuple[int, bool, bool] | None]] = {}

    async def __call__(self, request: Request, principal: Principal) -> None:
        now = time.monotonic()
        hit = self._cache.get(principal.id)
        if hit is not None and now - hit[0] < self.cache_seconds:
            state = hit[1]
        else:
            async with request.app.state.db.lookup_session() as session:
                row = (
                    await session.execute(
                        select(
                            token_revocations.c.token_version,
                            token_revocations.c.is_active,
                            token_revocations.c.deleted,
                        ).where(token_revocations.c.user_id == principal.id)
                    )
                ).first()
            state = (row.token_version, row.is_active, row.deleted) if row else None
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[principal.id] = (now, state)
        if state is None:
            return  # no event about this user yet: the signature is all we know
        token_version, is_active, deleted = state
        if deleted or not is_active or principal.token_version < token_version:
            raise InvalidToken()
