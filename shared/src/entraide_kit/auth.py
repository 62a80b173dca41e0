"""Who is calling: JWT verification with the auth service's public keys.

Services never hold the signing key. Tokens are EdDSA-signed JWTs with a key
id; the algorithm is pinned, and ``exp``, ``iat``, ``iss``, ``aud``, ``sub``
and ``jti`` are required. A token is refused when it is malformed, signed by
an unknown key, expired, of the wrong type (a refresh token is no access
token), or revoked (``app.state.token_guard``, see issue 3's revocation).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .errors import InvalidToken, NotAuthenticated, PermissionDenied

log = logging.getLogger("entraide.auth")

ALGORITHM = "EdDSA"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti", "token_type"]


class Role(StrEnum):
    admin = "admin"
    center_supervisor = "center_supervisor"
    association_supervisor = "association_supervisor"
    trainer = "trainer"
    student = "student"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as the access token describes them."""

    id: int
    role: Role
    jti: str
    token_version: int
    claims: Mapping[str, Any] = field(repr=False)
    # Logged in with a one-time password: may only change it (and see who they are).
    must_change_password: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class UnknownKey(Exception):
    """The token names a key id this verifier has not seen (yet)."""


class TokenVerifier:
    """Verifies tokens against a key set, fetched from the auth service's JWKS URL."""

    REFETCH_INTERVAL = 30.0
    #: verified tokens remembered (a client sends the same access token with
    #: every request of its session: its signature is checked once)
    CACHE_SIZE = 4096

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        keys: Mapping[str, Any] | None = None,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self._keys: dict[str, Any] = dict(keys or {})
        self._last_fetch = 0.0
        self._lock = asyncio.Lock()
        # access token -> its verified claims. The key is the whole signed token,
        # so a hit is exactly the bytes that verified; only the expiry can change.
        self._verified: dict[str, dict[str, Any]] = {}

    def set_keys(self, keys: Mapping[str, Any]) -> None:
        self._keys = dict(keys)
        self._verified.clear()

    @staticmethod
    def keys_from_jwks(document: Mapping[str, Any]) -> dict[str, Any]:
        keys: dict[str, Any] = {}
        for entry in document.get("keys", []):
            if entry.get("kid") and entry.get("kty") == "OKP":
                keys[entry["kid"]] = jwt.PyJWK(dict(entry), algorithm=ALGORITHM).key
        return keys

    async def refresh(self) -> bool:
        """Fetch the key set again (at most every REFETCH_INTERVAL seconds)."""
        if not self.jwks_url:
            return False
        async with self._lock:
            if time.monotonic() - self._last_fetch < self.REFETCH_INTERVAL and self._keys:
                return False
            self._last_fetch = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=3.0) as client:
                    resp = await client.get(self.jwks_url)
                    resp.raise_for_status()
                    self.set_keys(self.keys_from_jwks(resp.json()))
                return True
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("could not fetch the key set from %s: %s", self.jwks_url, exc)
                return False

    def decode(self, token: str, *, token_type: str = "access") -> dict[str, Any]:
        """Verify a token synchronously; raise InvalidToken or UnknownKey."""
        if token_type != "access":  # refresh tokens: rare, and checked against a blacklist
            return self._decode(token, token_type=token_type)
        cached = self._verified.get(token)
        if cached is not None:
            if cached["exp"] > time.time():
                return cached
            del self._verified[token]
            raise InvalidToken()
        claims = self._decode(token, token_type=token_type)
        if len(self._verified) >= self.CACHE_SIZE:
            # Forget the oldest half (dicts keep insertion order).
            for old in list(self._verified)[: self.CACHE_SIZE // 2]:
                del self._verified[old]
        self._verified[token] = claims
        return claims

    def _decode(self, token: str, *, token_type: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken()
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken()
        key = self._keys.get(kid)
        if key is None:
            raise UnknownKey(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        if claims.get("token_type") != token_type:
            raise InvalidToken()
        return claims

    async def verify(self, token: str, *, token_type: str = "access") -> dict[str, Any]:
        try:
            return self.decode(token, token_type=token_type)
        except UnknownKey:
            # A rotated key or a verifier that started before auth: fetch once more.
            if await self.refresh():
                try:
                    return self.decode(token, token_type=token_type)
                except UnknownKey:
                    pass
            raise InvalidToken() from None


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    try:
        return Principal(
            id=int(claims["sub"]),
            role=Role(claims["role"]),
            jti=str(claims["jti"]),
            token_version=int(claims.get("ver", 0)),
            claims=claims,
            must_change_password=bool(claims.get("pwd_change", False)),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidToken() from exc


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


TokenGuard = Callable[[Request, Principal], Awaitable[None]]
AUTH_STATE_KEY = "entraide.principal"

_bearer = HTTPBearer(auto_error=False, description="JWT access token from POST /api/token/")


async def resolve_principal(request: Request) -> Principal | None:
    """The caller of this request, verified once and cached on the request."""
    # Cached in the ASGI scope itself (one per request; scope["state"] may be
    # shared between requests by some servers and test harnesses).
    scope = request.scope
    if AUTH_STATE_KEY in scope:
        cached = scope[AUTH_STATE_KEY]
        if isinstance(cached, Exception):
            raise cached
        return cached  # type: ignore[no-any-return,unused-ignore]
    token = bearer_token(request.headers.get("authorization"))
    result: Principal | Exception | None
    if token is None:
        result = None
    else:
        verifier: TokenVerifier = request.app.state.verifier
        try:
            result = principal_from_claims(await verifier.verify(token))
            guard: TokenGuard | None = getattr(request.app.state, "token_guard", None)
            if guard is not None:
                await guard(request, result)
        except InvalidToken as exc:
            result = exc
    scope[AUTH_STATE_KEY] = result
    if isinstance(result, Exception):
        raise result
    return result


MUST_CHANGE_PASSWORD = (
    "You must change your one-time password before using the API "
    "(POST /api/accounts/users/change_password/)."
)


async def get_principal_pending_password(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, even one who still has to change a one-time password."""
    principal = await resolve_principal(request)
    if principal is None:
        raise NotAuthenticated()
    return principal


async def get_principal(
    principal: Annotated[Principal, Depends(get_principal_pending_password)],
) -> Principal:
    if principal.must_change_password:
        raise PermissionDenied(MUST_CHANGE_PASSWORD)
    return principal


CurrentUser = Annotated[Principal, Depends(get_principal)]
# For the few endpoints a one-time password allows: change it, see oneself, log out.
CurrentUserPendingPassword = Annotated[Principal, Depends(get_principal_pending_password)]


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency letting through only the given roles (403 for the others)."""
    allowed = frozenset(roles)

    async def dependency(principal: CurrentUser) -> Principal:
        if principal.role not in allowed:
            raise PermissionDenied()
        return principal

    dependency.__name__ = "require_" + "_or_".join(r.value for r in roles)
    return dependency


AdminOnly = Annotated[Principal, Depends(require_roles(Role.admin))]
AdminOrSupervisor = Annotated[Principal, Depends(require_roles(Role.admin, Role.center_supervisor))]
