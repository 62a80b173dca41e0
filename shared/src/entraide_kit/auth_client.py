"""Calls to the auth service's API from other services, with the caller's own token.

Used when a service must act now on accounts (students, teachers): auth makes
the users (emails generated as firstname.lastname@<domain>, one-time
passwords that must be changed at first login), and deletes them again when
the record they were made for cannot be saved, or is deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from . import http
from .context import Context
from .errors import (
    APIError,
    BadRequest,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    ValidationFailed,
)

log = logging.getLogger("entraide.auth_client")
PROVISION_TIMEOUT = 60.0  # a batch of a thousand accounts is one call
DELETE_TIMEOUT = 10.0
UPDATE_TIMEOUT = 10.0
NOTHING_CHANGED = "nothing was changed"


class UserCreationFailed(APIError):
    """400 ``{"user_creation_error": "Failed to create user account: ..."}`` (the contract's)."""

    status_code = 400

    def body(self) -> dict[str, Any]:
        return {"user_creation_error": f"Failed to create user account: {self.detail}"}


def _auth(ctx: Context) -> tuple[str, dict[str, str]]:
    url = ctx.setting("auth_url")
    if not url:
        raise UserCreationFailed("the auth service is not configured (ENTRAIDE_AUTH_URL).")
    headers = {"Authorization": ctx.authorization or "", **ctx.call_headers()}
    return url.rstrip("/"), headers


def _reason(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return f"auth answered {resp.status_code}"
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])
    return str(body)


async def provision_users(
    ctx: Context,
    people: Sequence[Mapping[str, Any]],
    *,
    email_domain: str | None = None,
) -> list[dict[str, Any]]:
    """Accounts for these people (``first_name``, ``last_name``, ``role`` and profile
    fields), in one call: ``[{"id", "email", "username", "initial_password", ...}]``."""
    url, headers = _auth(ctx)
    body: dict[str, Any] = {"users": [dict(p) for p in people]}
    if email_domain:
        body["email_domain"] = email_domain
    try:
        async with http.client(ctx, url, timeout=PROVISION_TIMEOUT) as client:
            resp = await client.post(
                f"{url}/api/accounts/users/provision/", json=body, headers=headers
            )
    except httpx.HTTPError as exc:
        raise UserCreationFailed(
            f"the auth service did not answer ({exc.__class__.__name__})."
        ) from exc
    if resp.status_code != 201:
        raise UserCreationFailed(_reason(resp))
    users: list[dict[str, Any]] = resp.json()["users"]
    return users


async def update_user(
    ctx: Context,
    user_id: int,
    changes: Mapping[str, Any],
    *,
    field_names: Mapping[str, str] | None = None,
    what: str = "The user account",
) -> dict[str, Any]:
    """Change an account (``PATCH /api/accounts/users/{id}/``); the user as auth answers.

    Auth decides (admins and centre supervisors may); its refusal is this request's:
    its field errors a 400 (names mapped by ``field_names``, e.g. to the web client's
    ``Arabic_first_name``), its 403 and 404 as they are, an unreachable or failing
    auth a 503. The caller makes this call last, so that its own transaction rolls
    back with any refusal: nothing is changed anywhere.
    """
    base = ctx.setting("auth_url")
    if not base:
        raise ServiceUnavailable(
            f"The auth service is not configured (ENTRAIDE_AUTH_URL): {NOTHING_CHANGED}."
        )
    url, headers = _auth(ctx)
    body = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in changes.items()}
    try:
        async with http.client(ctx, url, timeout=UPDATE_TIMEOUT) as client:
            resp = await client.patch(
                f"{url}/api/accounts/users/{user_id}/", json=body, headers=headers
            )
    except httpx.HTTPError as exc:
        log.error("could not update user %s in auth: %s", user_id, exc)
        raise ServiceUnavailable(
            f"The auth service did not answer ({exc.__class__.__name__}): {NOTHING_CHANGED}."
        ) from exc
    try:
        answer = resp.json()
    except ValueError:
        answer = None
    if resp.status_code == 200 and isinstance(answer, dict):
        return answer
    detail = answer.get("detail") if isinstance(answer, dict) else None
    if resp.status_code == 400 and isinstance(answer, dict) and detail is None:
        names = field_names or {}
        raise ValidationFailed({names.get(str(k), str(k)): v for k, v in answer.items()})
    if resp.status_code == 400:
        raise BadRequest(f"auth refused the change: {detail}; {NOTHING_CHANGED}.")
    if resp.status_code == 403:
        raise PermissionDenied(f"auth refused the change: {detail}; {NOTHING_CHANGED}.")
    if resp.status_code == 404:
        raise NotFound(f"{what} does not exist; {NOTHING_CHANGED}.")
    log.error("auth refused to update user %s: %s %s", user_id, resp.status_code, resp.text[:200])
    raise ServiceUnavailable(
        f"The auth service could not change the account ({resp.status_code}): {NOTHING_CHANGED}."
    )


async def delete_user(ctx: Context, user_id: int) -> bool:
    """Delete an account; True when it is gone (also when it was already gone)."""
    url, headers = _auth(ctx)
    try:
        async with http.client(ctx, url, timeout=DELETE_TIMEOUT) as client:
            resp = await client.delete(f"{url}/api/accounts/users/{user_id}/", headers=headers)
    except httpx.HTTPError as exc:
        log.error("could not delete user %s in auth: %s", user_id, exc)
        return False
    if resp.status_code in (204, 404):
        return True
    log.error("auth refused to delete user %s: %s %s", user_id, resp.status_code, resp.text[:200])
    return False


async def release_accounts(
    auth_url: str, refs: Sequence[str], *, transports: Mapping[str, Any] | None = None
) -> int | None:
    """Release accounts provisioned under these refs and never used; the number
    released, or None when auth could not be reached (try again later)."""
    try:
        transport = (transports or {}).get(auth_url.rstrip("/"))
        async with httpx.AsyncClient(timeout=DELETE_TIMEOUT, transport=transport) as client:
            resp = await client.post(
                f"{auth_url.rstrip('/')}/api/accounts/users/release/", json={"refs": list(refs)}
            )
    except httpx.HTTPError as exc:
        log.warning("could not release %d pending accounts: %s", len(refs), exc)
        return None
    if resp.status_code != 200:
        log.warning("auth refused to release accounts: %s %s", resp.status_code, resp.text[:200])
        return None
    return int(resp.json()["released"])
