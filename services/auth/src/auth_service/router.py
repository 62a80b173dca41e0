"""HTTP endpoints of the auth service: thin, they parse, call the service and shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from entraide_kit.auth import (
    AdminOrSupervisor,
    CurrentUser,
    CurrentUserPendingPassword,
    Principal,
    TokenVerifier,
    resolve_principal,
)
from entraide_kit.db import SessionDep
from entraide_kit.errors import NotFound
from entraide_kit.filters import ListQuery
from entraide_kit.forms import BodyOf, body_openapi, json_or_form
from entraide_kit.pagination import PageDep, paginate
from entraide_kit.storage import StorageDep, media_url, read_image

from . import repository, service
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

UserListQuery = Annotated[ListQuery, Depends(repository.USER_LIST.dependency())]
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


def get_issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.issuer
    return issuer


def get_verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier


Issuer = Annotated[TokenIssuer, Depends(get_issuer)]
Verifier = Annotated[TokenVerifier, Depends(get_verifier)]


async def current_user_row(session: SessionDep, principal: CurrentUser) -> User:
    user = await repository.get_user(session, user_id=principal.id, for_update=False)
    if user is None:
        raise NotFound()
    return user


async def target_user(_actor: AdminOrSupervisor, user_id: int, session: SessionDep) -> User:
    user = await repository.get_user(session, user_id=user_id, for_update=True)
    if user is None:
        raise NotFound()
    return user


async def pending_user_row(session: SessionDep, principal: CurrentUserPendingPassword) -> User:
    return await current_user_row(session, principal)


# The caller's row as the token guard read it, outside the request's transaction.
CHECKED_USER = "auth.checked_user"


async def caller_as_checked(request: Request, principal: CurrentUserPendingPassword) -> User:
    """The caller's row for answers that only read it: the one the token guard
    just checked (no second query, no transaction)."""
    user = request.scope.get(CHECKED_USER)
    if isinstance(user, User) and user.id == principal.id:
        return user
    async with request.app.state.db.lookup_session() as session:
        found = await repository.get_user(session, user_id=principal.id, for_update=False)
    if found is None:
        raise NotFound()
    return found


Me = Annotated[User, Depends(current_user_row)]
# Also a user who logged in with a one-time password and must change it.
MePending = Annotated[User, Depends(pending_user_row)]
MeAsChecked = Annotated[User, Depends(caller_as_checked)]
Target = Annotated[User, Depends(target_user)]

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"model": Detail}}
FORBIDDEN: dict[int | str, dict[str, Any]] = {401: {"model": Detail}, 403: {"model": Detail}}
BAD: dict[int | str, dict[str, Any]] = {400: {"description": "Field errors: {field: [message]}"}}


@tokens.post("/", response_model=TokenPair, responses={**UNAUTHORIZED, **BAD})
async def obtain_token(body: TokenObtainIn, session: SessionDep, issuer: Issuer) -> dict[str, str]:
    """Obtain an access and a refresh token with an email and a password."""
    user = await service.authenticate(session, email=body.email, password=body.password)
    return issuer.pair(user)


@tokens.post("/refresh/", response_model=AccessOut, responses={**UNAUTHORIZED, **BAD})
async def refresh_token(
    body: RefreshIn, session: SessionDep, issuer: Issuer, verifier: Verifier
) -> dict[str, str]:
    """Obtain a new access token with a refresh token."""
    access = await service.refresh_access(
        session, verifier=verifier, issuer=issuer, refresh_token=body.refresh
    )
    return {"access": access}


@tokens.get("/jwks/", response_model=JWKS)
async def jwks(issuer: Issuer) -> dict[str, Any]:
    """The public keys that verify every token this service signs."""
    return issuer.jwks()


@users.get("/", response_model=UserPage, responses=FORBIDDEN)
async def list_users(
    _actor: AdminOrSupervisor,
    request: Request,
    session: SessionDep,
    page: PageDep,
    query: UserListQuery,
) -> dict[str, Any]:
    """List users (filters: role, is_active; search: email, names; ordering: any field)."""
    stmt = repository.USER_LIST.apply(repository.users_query(), query)
    return await paginate(
        session, stmt, request=request, params=page, transform=lambda u: UserRead.of(u, request)
    )


@users.post(
    "/",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses={**FORBIDDEN, **BAD},
    openapi_extra=body_openapi(UserCreate, files=PICTURE),
)
async def create_user(
    actor: AdminOrSupervisor,
    request: Request,
    body: UserCreateBody,
    session: SessionDep,
    storage: StorageDep,
) -> UserRead:
    """Create a user (JSON, or multipart/form-data with a `profile_picture` image file)."""
    picture = None
    upload = body.files.get("profile_picture")
    if upload is not None:
        image = await read_image(upload, field="profile_picture")
        key = await storage.save(
            folder="auth/profile-pictures",
            data=image.data,
            content_type=image.content_type,
            extension=image.extension,
        )
        # Kept as its URL through the gateway, as other services' uploads are: user
        # events carry it to the services that show profiles.
        picture = media_url(request, key)
    user = await service.create_user(session, actor=actor, data=body.data, profile_picture=picture)
    return UserRead.of(user, request)


@users.post(
    "/register/",
    response_model=RegisterOut,
    status_code=status.HTTP_201_CREATED,
    responses={**FORBIDDEN, **BAD},
)
async def register(
    actor: AdminOrSupervisor,
    request: Request,
    body: RegisterIn,
    session: SessionDep,
    issuer: Issuer,
) -> dict[str, Any]:
    """Register a user and return it with its tokens."""
    user = await service.create_user(session, actor=actor, data=body)
    return {"user": UserRead.of(user, request), **issuer.pair(user)}


@users.post(
    "/provision/",
    response_model=ProvisionOut,
    status_code=status.HTTP_201_CREATED,
    responses={**FORBIDDEN, **BAD},
)
async def provision(
    _actor: AdminOrSupervisor, body: ProvisionIn, session: SessionDep, request: Request
) -> dict[str, Any]:
    """Accounts for students or trainers by name: generated emails, one-time passwords."""
    settings = request.app.state.settings
    domain = body.email_domain or settings.account_email_domain
    made = await service.provision(
        session,
        people=body.users,
        email_domain=domain,
        force_password_change=settings.force_password_change,
    )
    return {
        "users": [
            {
                "id": user.id,
                "email": user.email,
                "username": user.username,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "role": user.role,
                "initial_password": password,
            }
            for user, password in made
        ]
    }


@users.post("/release/", response_model=ReleaseOut, responses=BAD)
async def release(body: ReleaseIn, session: SessionDep) -> dict[str, int]:
    """Release accounts provisioned under these refs and never used (the asker could not
    save its record). The refs are the caller's secret: no token is needed."""
    return {"released": await service.release(session, refs=body.refs)}


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
    await service.logout(
        session, verifier=verifier, principal=principal, refresh_token=body.refresh
    )
    return Detail(detail="Successfully logged out.")


@users.get("/me/", response_model=UserRead, responses=UNAUTHORIZED)
async def me(user: MeAsChecked, request: Request) -> UserRead:
    """The caller's profile."""
    return UserRead.of(user, request)


@users.get("/profile/", response_model=UserRead, responses=UNAUTHORIZED)
async def profile(user: MeAsChecked, request: Request) -> UserRead:
    """Alias of /me/."""
    return UserRead.of(user, request)


@users.put("/me/", response_model=UserRead, responses={**UNAUTHORIZED, **BAD})
async def update_me(
    body: ProfileFields, user: Me, session: SessionDep, request: Request
) -> UserRead:
    """Update the caller's profile (role, is_active, email and password are not changed here)."""
    return UserRead.of(await service.update_me(session, user=user, data=body), request)


@users.patch("/me/", response_model=UserRead, responses={**UNAUTHORIZED, **BAD})
async def partial_update_me(
    body: ProfileFields, user: Me, session: SessionDep, request: Request
) -> UserRead:
    """Partially update the caller's profile."""
    return UserRead.of(await service.update_me(session, user=user, data=body), request)


@users.post("/change_password/", response_model=PasswordChanged, responses={**UNAUTHORIZED, **BAD})
async def change_password(
    body: ChangePasswordIn, user: MePending, session: SessionDep, issuer: Issuer
) -> dict[str, str]:
    """Change the caller's password. Earlier tokens stop working; fresh ones are returned."""
    user = await service.change_password(session, user=user, data=body)
    return {"detail": "Password successfully changed.", **issuer.pair(user)}


@users.get("/{user_id}/", response_model=UserRead, responses=FORBIDDEN)
async def retrieve_user(user: Target, request: Request) -> UserRead:
    """Retrieve a user."""
    return UserRead.of(user, request)


@users.put("/{user_id}/", response_model=UserRead, responses={**FORBIDDEN, **BAD})
async def update_user(
    actor: AdminOrSupervisor, body: UserPut, user: Target, session: SessionDep, request: Request
) -> UserRead:
    """Update a user (full update: email is required)."""
    changes = body.model_dump(exclude_unset=True)
    user = await service.update_user(session, actor=actor, user=user, changes=changes)
    return UserRead.of(user, request)


@users.patch("/{user_id}/", response_model=UserRead, responses={**FORBIDDEN, **BAD})
async def partial_update_user(
    actor: AdminOrSupervisor, body: UserUpdate, user: Target, session: SessionDep, request: Request
) -> UserRead:
    """Partially update a user; an admin may set another user's password here."""
    changes = body.model_dump(exclude_unset=True)
    user = await service.update_user(session, actor=actor, user=user, changes=changes)
    return UserRead.of(user, request)


@users.delete("/{user_id}/", status_code=status.HTTP_204_NO_CONTENT, responses=FORBIDDEN)
async def delete_user(actor: AdminOrSupervisor, user: Target, session: SessionDep) -> Response:
    """Delete a user."""
    await service.delete_user(session, actor=actor, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
