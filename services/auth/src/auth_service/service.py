"""Business rules of the auth service: tokens, users and the answers they give (accounts
given by name are in ``provisioning``). Writes through the repository; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from entraide_kit.auth import Principal, Role, TokenVerifier
from entraide_kit.context import Context
from entraide_kit.db import Database, violated_constraint
from entraide_kit.errors import (
    AuthenticationFailed,
    BadRequest,
    InvalidToken,
    NotFound,
    ValidationFailed,
)
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams, build_page
from entraide_kit.storage import Storage, media_url, read_image

from . import events, policies, repository
from .lists import USER_LIST
from .lockout import LoginGuard
from .models import User
from .passwords import (
    burn_verify,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from .schemas import (
    AccessOut,
    ChangePasswordIn,
    Detail,
    PasswordChanged,
    ProfileFields,
    RegisterIn,
    RegisterOut,
    TokenPair,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
    to_columns,
)
from .tokens import TokenIssuer

NO_ACCOUNT = "No active account found with the given credentials"
LOGGED_OUT = "Successfully logged out."
PASSWORD_CHANGED = "Password successfully changed."
PICTURES_FOLDER = "auth/profile-pictures"
NOT_NULL = {"username", "email", "role", "is_active", "must_change_password", "password"}
UNIQUE_MESSAGES = {
    "uq_users_provision_ref": ("ref", "This ref was already used."),
    "uq_users_email": ("email", "user with this email already exists."),
    "uq_users_username": ("username", "A user with that username already exists."),
}


async def _insert(session: AsyncSession, values: dict[str, Any]) -> User:
    user = await flush_unique(session, repository.add_user(session, values=values))
    await events.user_changed(session, user)
    return user  # type: ignore[no-any-return,unused-ignore]


async def _change(session: AsyncSession, user: User, values: dict[str, Any]) -> User:
    user = await flush_unique(session, repository.update_user(session, user=user, values=values))
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


async def flush_unique(session: AsyncSession, coro: Any) -> Any:
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


async def obtain_tokens(
    session: AsyncSession, issuer: TokenIssuer, guard: LoginGuard, *, email: str, password: str
) -> TokenPair:
    """An access and a refresh token for these credentials; a 429 for an account
    with too many failed logins in the window (``lockout.py``)."""
    await guard.check(email)
    try:
        user = await authenticate(session, email=email, password=password)
    except AuthenticationFailed:
        await guard.failed(email)
        raise
    return TokenPair(**issuer.pair(user))


async def refresh_access(
    session: AsyncSession, *, verifier: TokenVerifier, issuer: TokenIssuer, refresh_token: str
) -> AccessOut:
    try:
        claims = await verifier.verify(refresh_token, token_type="refresh")
    except InvalidToken:
        raise InvalidToken("Token is invalid or expired") from None
    if await repository.is_blacklisted(session, jti=str(claims["jti"])):
        raise InvalidToken("Token is blacklisted")
    user = await repository.get_user(session, user_id=int(claims["sub"]))
    if user is None or not user.is_active or user.token_version != claims.get("ver", 0):
        raise InvalidToken("Token is invalid or expired")
    return AccessOut(access=issuer.access(user).token)


async def logout(
    session: AsyncSession,
    *,
    verifier: TokenVerifier,
    principal: Principal | None,
    refresh_token: str,
) -> Detail:
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
    return Detail(detail=LOGGED_OUT)


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


async def add_user(
    session: AsyncSession,
    ctx: Context,
    storage: Storage,
    *,
    actor: Principal,
    data: UserCreate,
    files: Mapping[str, UploadFile],
) -> UserRead:
    """A user created by an admin or a supervisor, with an uploaded profile picture."""
    picture = None
    upload = files.get("profile_picture")
    if upload is not None:
        image = await read_image(upload, field="profile_picture")
        key = await storage.save(
            folder=PICTURES_FOLDER,
            data=image.data,
            content_type=image.content_type,
            extension=image.extension,
        )
        # Kept as its URL through the gateway, as other services' uploads are: user
        # events carry it to the services that show profiles.
        picture = media_url(ctx, key)
    user = await create_user(session, actor=actor, data=data, profile_picture=picture)
    return UserRead.of(user, ctx)


async def register(
    session: AsyncSession, ctx: Context, issuer: TokenIssuer, *, actor: Principal, data: RegisterIn
) -> RegisterOut:
    """A new user with its tokens."""
    user = await create_user(session, actor=actor, data=data)
    return RegisterOut(user=UserRead.of(user, ctx), **issuer.pair(user))


# --------------------------------------------------------------------------- reads


async def list_users(
    session: AsyncSession, ctx: Context, params: PageParams, query: ListQuery
) -> UserPage:
    """A page of users: lean rows (``entraide_kit.fastread``), each answer built once."""
    count, rows = await repository.read_users_page(session, params, spec=USER_LIST, query=query)
    return UserPage(**build_page(ctx, params, count, [UserRead.of(u, ctx) for u in rows]))


async def retrieve_user(session: AsyncSession, ctx: Context, *, user_id: int) -> UserRead:
    row = await repository.read_user(session, user_id=user_id)
    if row is None:
        raise NotFound()
    return UserRead.of(row, ctx)


def profile(ctx: Context, user: User) -> UserRead:
    """The caller's profile, from the row the token guard read."""
    return UserRead.of(user, ctx)


async def checked_caller(db: Database, *, user_id: int) -> User:
    """The caller's row, read outside any transaction (when the token guard kept none)."""
    async with db.lookup_session() as session:
        found = await repository.get_user(session, user_id=user_id, for_update=False)
    if found is None:
        raise NotFound()
    return found


# --------------------------------------------------------------------------- changes


def _reject_nulls(changes: dict[str, Any]) -> None:
    nulls = {
        k: ["This field may not be null."] for k in NOT_NULL if k in changes and changes[k] is None
    }
    if nulls:
        raise ValidationFailed(nulls)


async def user_for_write(session: AsyncSession, *, user_id: int) -> User:
    """The user about to change, locked (a 404 before the body is read)."""
    return await repository.users.require(session, user_id, for_update=True)


async def update_user(
    session: AsyncSession, ctx: Context, *, actor: Principal, user: User, data: UserUpdate
) -> UserRead:
    """Apply an admin's or supervisor's change to a user (PUT or PATCH: only the
    fields sent change); ``user`` as ``user_for_write`` locked it."""
    changes = data.model_dump(exclude_unset=True)
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
    return UserRead.of(await _change(session, user, values), ctx)


async def update_me(
    session: AsyncSession, ctx: Context, *, user_id: int, data: ProfileFields
) -> UserRead:
    """The caller's change to their own profile (PUT or PATCH: only the fields sent change)."""
    user = await repository.users.require(session, user_id, for_update=True)
    changes = data.model_dump(exclude_unset=True)
    _reject_nulls(changes)
    values = to_columns(changes)
    await _check_unique(session, values, user.id)
    return UserRead.of(await _change(session, user, values), ctx)


async def delete_user(session: AsyncSession, *, actor: Principal, user_id: int) -> None:
    user = await repository.users.require(session, user_id, for_update=True)
    policies.can_delete(actor, user)
    await repository.delete_user(session, user=user)
    await events.user_deleted(session, user)


async def change_password(
    session: AsyncSession, issuer: TokenIssuer, *, user_id: int, data: ChangePasswordIn
) -> PasswordChanged:
    """The caller's new password; earlier tokens stop working, fresh ones are returned."""
    user = await repository.users.require(session, user_id, for_update=True)
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
    user = await _change(session, user, values)
    return PasswordChanged(detail=PASSWORD_CHANGED, **issuer.pair(user))


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
