"""Accounts given by name (students, trainers) for other services, and their
release when the asker could not save its own record."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.context import Context

from . import events, repository
from .models import User
from .passwords import hash_initial_password, new_initial_password
from .schemas import Provisioned, ProvisionIn, ProvisionOut, ProvisionPerson, ReleaseOut, to_columns
from .service import flush_unique


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def _next_free(base: str, taken: set[str], suffix: str = "") -> str:
    candidate, n = f"{base}{suffix}", 0
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}{suffix}"
    taken.add(candidate)
    return candidate


async def provision(
    session: AsyncSession,
    *,
    people: list[ProvisionPerson],
    email_domain: str,
    force_password_change: bool = True,
) -> list[tuple[User, str]]:
    """Accounts for students or trainers, by name: generated email, one-time password.

    A whole batch costs four queries and one insert: the names' locks are taken
    (concurrent batches for the same names wait for each other instead of
    picking the same email), the emails and usernames already taken are read at
    once, and one-time passwords need no argon2 (``hash_initial_password``).
    The person must change the password at first login, unless the deployment
    turned that off (``AUTH_FORCE_PASSWORD_CHANGE=false``).
    """
    bases = []
    for person in people:
        first = _ascii_slug(person.first_name) or "user"
        last = _ascii_slug(person.last_name) or "user"
        bases.append(f"{first}.{last}"[:60])
    unique_bases = sorted(set(bases))
    await repository.lock_names(session, bases=unique_bases)
    domain = re.escape(email_domain)
    taken_emails = await repository.taken_matching(
        session, column="email", patterns=[re.escape(b) + r"[0-9]*@" + domain for b in unique_bases]
    )
    taken_names = await repository.taken_matching(
        session, column="username", patterns=[re.escape(b) + r"[0-9]*" for b in unique_bases]
    )
    rows, passwords = [], []
    for person, base in zip(people, bases, strict=True):
        email = _next_free(base, taken_emails, f"@{email_domain}")
        username = _next_free(base, taken_names)
        password = new_initial_password()
        values = to_columns(person.model_dump(exclude_unset=True, exclude={"ref"}))
        values.update(
            provision_ref=person.ref,
            email=email,
            username=username,
            password=hash_initial_password(password),
            must_change_password=force_password_change,
        )
        rows.append(values)
        passwords.append(password)
    users = await flush_unique(session, repository.add_users(session, rows=rows))
    for user in users:
        await events.user_changed(session, user)
    return list(zip(users, passwords, strict=True))


async def provision_accounts(
    session: AsyncSession, ctx: Context, *, data: ProvisionIn
) -> ProvisionOut:
    """The answer of POST /provision/: the accounts with their one-time passwords."""
    settings = ctx.settings
    made = await provision(
        session,
        people=data.users,
        email_domain=data.email_domain or settings.account_email_domain,
        force_password_change=settings.force_password_change,
    )
    return ProvisionOut(
        users=[
            Provisioned(
                id=user.id or 0,
                email=user.email,
                username=user.username,
                first_name=user.first_name,
                last_name=user.last_name,
                role=user.role,
                initial_password=password,
            )
            for user, password in made
        ]
    )


async def release(session: AsyncSession, *, refs: list[str]) -> ReleaseOut:
    """Delete provisioned accounts whose asker could not save its own record.

    The refs are random keys only the asking service knows; an account that has
    been logged into is never released.
    """
    users = await repository.unused_by_refs(session, refs=refs)
    for user in users:
        await repository.delete_user(session, user=user)
        await events.user_deleted(session, user)
    return ReleaseOut(released=len(users))
