"""Business rules of the auth service. Writes through the repository; never commits."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.auth import Principal, Role, TokenVerifier
from entraide_kit.db import violated_constraint
from entraide_kit.errors import AuthenticationFailed, BadRequest, InvalidToken, ValidationFailed

from . import events, policies, repository
from .models import User
from .passwords import (
    burn_verify,
    hash_initial_password,
    hash_password,
    needs_rehash,
    new_initial_password,
    password_problems,
    verify_password,
)
from .schemas import ChangePasswordIn, ProfileFields, ProvisionPerson, UserCreate, to_columns
from .tokens import TokenIssuer

NO_ACCOUNT = "No active account found with the given credentials"
NOT_NULL = {"username", "email", "role", "is_active", "must_change_password", "password"}
UNIQUE_MESSAGES = {
    "uq_users_provision_ref": ("ref", "This ref was already used."),
    "uq_users_email": ("email", "user with this email already exists."),
    "uq_users_username": ("username", "A user with that username already exists."),
}


async def _insert(session: AsyncSession, values: dict[str, Any]) -> User:
    user = await _flush_unique(session, repository.add_user(session, values=values))
    await events.user_changed(session, user)
    return user  # type: ignore[no-any-return,unused-ignore]


async def _change(session: AsyncSession, user: User, values: dict[str, Any]) -> User:
    user = await _flush_unique(session, repository.update_user(session, user=user, values=values))
    await events.user_changed(session, user)
    return user  # type: ignore[no-any-return,unused-ignore]


def _similarity_attributes(values: dict[str, Any], user: User | None = None) -> list[str]:
    def pick(name: str, column: str) -> str:
        if values.get(name):
            return str(values[name])
        return str(getattr(user, column, "") or "") if user is not None else ""

    email = pick("email", "email")
    return [
        email,
        email.split("@")[0],
        pick("username", "username"),
        pick("first_name", "first_name"),
        pick("last_name", "last_name"),
    ]


def check_password(password: str, *, field: str, attributes: list[str]) -> None:
    problems = password_problems(password, attributes=attributes)
    if problems:
        raise ValidationFailed({field: problems})


async def _flush_unique(session: AsyncSession, coro: Any) -> Any:
    try:
        return await coro
    except IntegrityError as exc:
        name = violated_constraint(exc)
        if name in UNIQUE_MESSAGES:
            field, message = UNIQUE_MESSAGES[name]
            raise ValidationFailed({field: [message]}) from exc
        raise


async def _check_unique(
    session: AsyncSession, values: dict[str, Any], exclude_id: int | None
) -> None:
    errors: dict[str, list[str]] = {}
    if values.get("email") and await repository.email_taken(
        session, email=values["email"], exclude_id=exclude_id
    ):
        errors["email"] = [UNIQUE_MESSAGES["uq_users_email"][1]]
    if values.get("username") and await repository.username_taken(
        session, username=values["username"], exclude_id=exclude_id
    ):
        errors["username"] = [UNIQUE_MESSAGES["uq_users_username"][1]]
    if errors:
        raise ValidationFailed(errors)


async def authenticate(session: AsyncSession, *, email: str, password: str) -> User:
    """The active user with these credentials (401 otherwise, in constant-ish time)."""
    user = await repository.get_user_by_email(session, email=email)
    if user is None:
        await burn_verify(password)
        raise AuthenticationFailed(NO_ACCOUNT)
    if not await verify_password(user.password, password) or not user.is_active:
        raise AuthenticationFailed(NO_ACCOUNT)
    new_hash = await hash_password(password) if needs_rehash(user.password) else None
    assert user.id is not None
    await repository.touch_last_login(session, user_id=user.id, password_hash=new_hash)
    return user


async def refresh_access(
    session: AsyncSession, *, verifier: TokenVerifier, issuer: TokenIssuer, refresh_token: str
) -> str:
    try:
        claims = await verifier.verify(refresh_token, token_type="refresh")
    except InvalidToken:
        raise InvalidToken("Token is invalid or expired") from None
    if await repository.is_blacklisted(session, jti=str(claims["jti"])):
        raise InvalidToken("Token is blacklisted")
    user = await repository.get_user(session, user_id=int(claims["sub"]))
    if user is None or not user.is_active or user.token_version != claims.get("ver", 0):
        raise InvalidToken("Token is invalid or expired")
    return issuer.access(user).token


async def logout(
    session: AsyncSession,
    *,
    verifier: TokenVerifier,
    principal: Principal | None,
    refresh_token: str,
) -> None:
    """Blacklist the refresh token and end every earlier token of the user.

    Without an access token (the web client logs out so), the refresh token
    alone proves who logs out: it must be valid, not blacklisted, and of the
    user's current tokens.
    """
    try:
        claims = await verifier.verify(refresh_token, token_type="refresh")
    except InvalidToken:
        raise InvalidToken("Token is invalid or expired") from None
    user_id = int(claims["sub"])
    if principal is not None and user_id != principal.id:
        raise BadRequest("This refresh token belongs to another user.")
    user = await repository.get_user(session, user_id=user_id, for_update=True)
    if principal is None:
        if await repository.is_blacklisted(session, jti=str(claims["jti"])):
            raise InvalidToken("Token is blacklisted")
        if user is None or not user.is_active or user.token_version != claims.get("ver", 0):
            raise InvalidToken("Token is invalid or expired")
    await repository.blacklist(
        session,
        jti=str(claims["jti"]),
        user_id=user_id,
        expires_at=dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC),
    )
    if user is not None:
        await _change(session, user, {"token_version": user.token_version + 1})


async def create_user(
    session: AsyncSession,
    *,
    actor: Principal | None,
    data: UserCreate,
    profile_picture: str | None = None,
) -> User:
    """``profile_picture``: the URL of an uploaded picture (over the body's field)."""
    if actor is not None:
        policies.can_assign_role(actor, data.role)
    values = to_columns(data.model_dump(exclude_unset=True, exclude={"password"}))
    if profile_picture is not None:
        values["profile_picture"] = profile_picture
    values.setdefault("role", data.role.value)
    raw_password = data.password
    check_password(
        raw_password, field="password", attributes=_similarity_attributes(data.model_dump())
    )
    if not values.get("username"):
        values["username"] = await repository.free_username(
            session, base=values["email"].split("@")[0]
        )
    await _check_unique(session, values, None)
    values["password"] = await hash_password(raw_password)
    return await _insert(session, values)


def _reject_nulls(changes: dict[str, Any]) -> None:
    nulls = {
        k: ["This field may not be null."] for k in NOT_NULL if k in changes and changes[k] is None
    }
    if nulls:
        raise ValidationFailed(nulls)


async def update_user(
    session: AsyncSession, *, actor: Principal, user: User, changes: dict[str, Any]
) -> User:
    """Apply an admin's or supervisor's change to a user (PUT or PATCH)."""
    _reject_nulls(changes)
    policies.can_manage(actor, user)
    if changes.get("role") is not None:
        policies.can_assign_role(actor, changes["role"])
    policies.not_own_status(
        actor, user, role=changes.get("role"), is_active=changes.get("is_active")
    )
    values = to_columns({k: v for k, v in changes.items() if k != "password"})
    revoke = False
    if "password" in changes:
        check_password(
            changes["password"], field="password", attributes=_similarity_attributes(changes, user)
        )
        values["password"] = await hash_password(changes["password"])
        # A password an admin sets is final unless they ask for a change at next login.
        values.setdefault("must_change_password", False)
        revoke = True
    if "role" in values and values["role"] != user.role:
        revoke = True
    if "is_active" in values and values["is_active"] is False and user.is_active:
        revoke = True
    if revoke:
        values["token_version"] = user.token_version + 1
    await _check_unique(session, values, user.id)
    return await _change(session, user, values)


async def update_me(session: AsyncSession, *, user: User, data: ProfileFields) -> User:
    changes = data.model_dump(exclude_unset=True)
    _reject_nulls(changes)
    values = to_columns(changes)
    await _check_unique(session, values, user.id)
    return await _change(session, user, values)


async def delete_user(session: AsyncSession, *, actor: Principal, user: User) -> None:
    policies.can_delete(actor, user)
    await repository.delete_user(session, user=user)
    await events.user_deleted(session, user)


async def change_password(session: AsyncSession, *, user: User, data: ChangePasswordIn) -> User:
    if not await verify_password(user.password, data.old_password):
        raise BadRequest("Old password is incorrect.")
    if data.new_password == data.old_password:
        raise ValidationFailed({"new_password": ["The new password must differ from the old one."]})
    check_password(
        data.new_password, field="new_password", attributes=_similarity_attributes({}, user)
    )
    values = {
        "password": await hash_password(data.new_password),
        "must_change_password": False,
        "token_version": user.token_version + 1,
    }
    return await _change(session, user, values)


async def ensure_admin(
    session: AsyncSession, *, email: str, password: str, force: bool = False
) -> User | None:
    """Create an admin with these credentials when none exists (or always, with force)."""
    if not force and await repository.any_admin(session):
        return None
    existing = await repository.get_user_by_email(session, email=email)
    if existing is not None:
        values = {
            "role": Role.admin.value,
            "is_active": True,
            "password": await hash_password(password),
        }
        return await _change(session, existing, values)
    values = {
        "email": email.strip().lower(),
        "username": await repository.free_username(session, base=email.split("@")[0]),
        "role": Role.admin.value,
        "first_name": "Admin",
        "password": await hash_password(password),
    }
    return await _insert(session, values)


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
    users = await _flush_unique(session, repository.add_users(session, rows=rows))
    for user in users:
        await events.user_changed(session, user)
    return list(zip(users, passwords, strict=True))


async def release(session: AsyncSession, *, refs: list[str]) -> int:
    """Delete provisioned accounts whose asker could not save its own record.

    The refs are random keys only the asking service knows; an account that has
    been logged into is never released.
    """
    users = await repository.unused_by_refs(session, refs=refs)
    for user in users:
        await repository.delete_user(session, user=user)
        await events.user_deleted(session, user)
    return len(users)
