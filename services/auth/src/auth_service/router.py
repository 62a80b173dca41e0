"""HTTP endpoints of the auth service: they parse, call one service function and
return its answer (the service loads, checks and shapes)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from entraide_kit.answercache import cacheable
from entraide_kit.auth import (
    AdminOrSupervisor,
    CurrentUser,
    CurrentUserPendingPassword,
    Principal,
    TokenVerifier,
    resolve_principal,
)
from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf, body_openapi, json_or_form
from entraide_kit.pagination import PageDep
from entraide_kit.storage import StorageDep

from . import provisioning, service
from .lists import USER_LIST
from .lockout import LoginGuard
from .models import User
from .schemas import (
    JWKS,
    AccessOut,
    ChangePasswordIn,
    Detail,
    PasswordChanged,
    ProfileFields,
    ProvisionIn,
    ProvisionOut,
    RefreshIn,
    RegisterIn,
    RegisterOut,
    ReleaseIn,
    ReleaseOut,
    TokenObtainIn,
    TokenPair,
    UserCreate,
    UserPage,
    UserPut,
    UserRead,
    UserUpdate,
)
from .tokens import TokenIssuer

tokens = APIRouter(prefix="/api/token", tags=["auth"])
users = APIRouter(prefix="/api/accounts/users", tags=["users"])

UserListQuery = Annotated[ListQuery, Depends(USER_LIST.dependency())]
# Uploaded profile pictures are served by this service under its public prefix.
MEDIA_PATH = "/api/accounts/media"
PICTURE = ("profile_picture",)
UserCreateBody = Annotated[BodyOf[UserCreate], Depends(json_or_form(UserCreate, files=PICTURE))]
_optional_bearer = HTTPBearer(
    auto_error=False, description="JWT access token from POST /api/token/"
)


async def optional_caller(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
) -> Principal | None:
    """The caller when an access token is sent (a bad one is still a 401), else None."""
    return await resolve_principal(request)


async def get_issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.issuer
    return issuer


async def get_login_guard(request: Request) -> LoginGuard:
    guard: LoginGuard = request.app.state.login_guard
    return guard


async def get_verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier


Issuer = Annotated[TokenIssuer, Depends(get_issuer)]
Verifier = Annotated[TokenVerifier, Depends(get_verifier)]
Guard = Annotated[LoginGuard, Depends(get_login_guard)]


async def target_user(_actor: AdminOrSupervisor, user_id: int, session: SessionDep) -> User:
    """The user a change is about, locked: after the role check and before the body
    (a missing user is a 404 whatever the body, as DRF's get_object())."""
    return await service.user_for_write(session, user_id=user_id)


Target = Annotated[User, Depends(target_user)]


# The caller's row as the token guard read it, outside the request's transaction.
CHECKED_USER = "auth.checked_user"


async def caller_as_checked(request: Request, principal: CurrentUserPendingPassword) -> User:
    """The caller's row for answers that only read it: the one the token guard
    just checked (no second query, no transaction), a plain row with the user's
    columns (``main.CALLER``), read as a ``User`` is."""
    user = request.scope.get(CHECKED_USER)
    if user is not None and getattr(user, "id", None) == principal.id:
        return user
    return await service.checked_caller(request.app.state.db, user_id=principal.id)


MeAsChecked = Annotated[User, Depends(caller_as_checked)]

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"model": Detail}}
FORBIDDEN: dict[int | str, dict[str, Any]] = {401: {"model": Detail}, 403: {"model": Detail}}
BAD: dict[int | str, dict[str, Any]] = {400: {"description": "Field errors: {field: [message]}"}}


@tokens.post("/", response_model=TokenPair, responses={**UNAUTHORIZED, **BAD})
async def obtain_token(
    body: TokenObtainIn, session: SessionDep, issuer: Issuer, guard: Guard
) -> TokenPair:
    """Obtain an access and a refresh token with an email and a password (429
    for an account with too many failed logins, whatever the address)."""
    return await service.obtain_tokens(
        session, issuer, guard, email=body.email, password=body.password
    )


@tokens.post("/refresh/", response_model=AccessOut, responses={**UNAUTHORIZED, **BAD})
async def refresh_token(
    body: RefreshIn, session: SessionDep, issuer: Issuer, verifier: Verifier
) -> AccessOut:
    """Obtain a new access token with a refresh token."""
    return await service.refresh_access(
        session, verifier=verifier, issuer=issuer, refresh_token=body.refresh
    )


@tokens.get("/jwks/", response_model=JWKS)
async def jwks(issuer: Issuer) -> JWKS:
    """The public keys that verify every token this service signs."""
    return JWKS(**issuer.jwks())


@users.get("/", response_model=UserPage, responses=FORBIDDEN)
@cacheable
async def list_users(
    _actor: AdminOrSupervisor,
    ctx: CtxDep,
    session: ReadSessionDep,
    page: PageDep,
    query: UserListQuery,
) -> UserPage:
    """List users (filters: role, is_active; search: email, names; ordering: any field)."""
    return await service.list_users(session, ctx, page, query)


@users.post(
    "/",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses={**FORBIDDEN, **BAD},
    openapi_extra=body_openapi(UserCreate, files=PICTURE),
)
async def create_user(
    actor: AdminOrSupervisor,
    ctx: CtxDep,
    body: UserCreateBody,
    session: SessionDep,
    storage: StorageDep,
) -> UserRead:
    """Create a user (JSON, or multipart/form-data with a `profile_picture` image file)."""
    return await service.add_user(
        session, ctx, storage, actor=actor, data=body.data, files=body.files
    )


@users.post(
    "/register/",
    response_model=RegisterOut,
    status_code=status.HTTP_201_CREATED,
    responses={**FORBIDDEN, **BAD},
)
async def register(
    actor: AdminOrSupervisor,
    ctx: CtxDep,
    body: RegisterIn,
    session: SessionDep,
    issuer: Issuer,
) -> RegisterOut:
    """Register a user and return it with its tokens."""
    return await service.register(session, ctx, issuer, actor=actor, data=body)


@users.post(
    "/provision/",
    response_model=ProvisionOut,
    status_code=status.HTTP_201_CREATED,
    responses={**FORBIDDEN, **BAD},
)
async def provision(
    _actor: AdminOrSupervisor, body: ProvisionIn, session: SessionDep, ctx: CtxDep
) -> ProvisionOut:
    """Accounts for students or trainers by name: generated emails, one-time passwords."""
    return await provisioning.provision_accounts(session, ctx, data=body)


@users.post("/release/", response_model=ReleaseOut, responses=BAD)
async def release(body: ReleaseIn, session: SessionDep) -> ReleaseOut:
    """Release accounts provisioned under these refs and never used (the asker could not
    save its record). The refs are the caller's secret: no token is needed."""
    return await provisioning.release(session, refs=body.refs)


@users.post("/logout/", response_model=Detail, responses={**UNAUTHORIZED, **BAD})
async def logout(
    body: RefreshIn,
    session: SessionDep,
    principal: Annotated[Principal | None, Depends(optional_caller)],
    verifier: Verifier,
) -> Detail:
    """Blacklist the refresh token; every earlier token of the user stops working.

    The refresh token proves who logs out: an access token is optional (when
    sent, it must be the same user's)."""
    return await service.logout(
        session, verifier=verifier, principal=principal, refresh_token=body.refresh
    )


@users.get("/me/", response_model=UserRead, responses=UNAUTHORIZED)
@cacheable
async def me(user: MeAsChecked, ctx: CtxDep) -> UserRead:
    """The caller's profile."""
    return service.profile(ctx, user)


@users.get("/profile/", response_model=UserRead, responses=UNAUTHORIZED)
@cacheable
async def profile(user: MeAsChecked, ctx: CtxDep) -> UserRead:
    """Alias of /me/."""
    return service.profile(ctx, user)


@users.put("/me/", response_model=UserRead, responses={**UNAUTHORIZED, **BAD})
async def update_me(
    body: ProfileFields, caller: CurrentUser, session: SessionDep, ctx: CtxDep
) -> UserRead:
    """Update the caller's profile (role, is_active, email and password are not changed here)."""
    return await service.update_me(session, ctx, user_id=caller.id, data=body)


@users.patch("/me/", response_model=UserRead, responses={**UNAUTHORIZED, **BAD})
async def partial_update_me(
    body: ProfileFields, caller: CurrentUser, session: SessionDep, ctx: CtxDep
) -> UserRead:
    """Partially update the caller's profile."""
    return await service.update_me(session, ctx, user_id=caller.id, data=body)


@users.post("/change_password/", response_model=PasswordChanged, responses={**UNAUTHORIZED, **BAD})
async def change_password(
    body: ChangePasswordIn, caller: CurrentUserPendingPassword, session: SessionDep, issuer: Issuer
) -> PasswordChanged:
    """Change the caller's password. Earlier tokens stop working; fresh ones are returned."""
    return await service.change_password(session, issuer, user_id=caller.id, data=body)


@users.get("/{user_id}/", response_model=UserRead, responses=FORBIDDEN)
@cacheable
async def retrieve_user(
    _actor: AdminOrSupervisor, user_id: int, session: ReadSessionDep, ctx: CtxDep
) -> UserRead:
    """Retrieve a user."""
    return await service.retrieve_user(session, ctx, user_id=user_id)


@users.put("/{user_id}/", response_model=UserRead, responses={**FORBIDDEN, **BAD})
async def update_user(
    actor: AdminOrSupervisor, user: Target, body: UserPut, session: SessionDep, ctx: CtxDep
) -> UserRead:
    """Update a user (full update: email is required)."""
    return await service.update_user(session, ctx, actor=actor, user=user, data=body)


@users.patch("/{user_id}/", response_model=UserRead, responses={**FORBIDDEN, **BAD})
async def partial_update_user(
    actor: AdminOrSupervisor, user: Target, body: UserUpdate, session: SessionDep, ctx: CtxDep
) -> UserRead:
    """Partially update a user; an admin may set another user's password here."""
    return await service.update_user(session, ctx, actor=actor, user=user, data=body)


@users.delete("/{user_id}/", status_code=status.HTTP_204_NO_CONTENT, responses=FORBIDDEN)
async def delete_user(actor: AdminOrSupervisor, user_id: int, session: SessionDep) -> Response:
    """Delete a user."""
    await service.delete_user(session, actor=actor, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
