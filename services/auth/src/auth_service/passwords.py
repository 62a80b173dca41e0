"""Password hashing (argon2id, off the event loop) and the password rules.

The rules are Django's four validators, which the first implementation used:
at least 8 characters, not entirely numeric, not a common password, and not
too similar to the user's own attributes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum for argon2id: m=19 MiB, t=2, p=1.
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
MIN_LENGTH = 8
MAX_SIMILARITY = 0.7
T = TypeVar("T")

# The hashes run in a pool of their own, as many threads as may hash at once (and
# never more): each argon2 hash takes 19 MiB, which the C allocator keeps in the
# arena of the thread that hashed, so every new thread would keep another 19 MiB
# (a shared pool of 40 threads grew auth past 300 MB under repeated logins).
_executor: ThreadPoolExecutor | None = None


def _hashing_pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        from .config import get_settings

        _executor = ThreadPoolExecutor(
            max_workers=get_settings().hash_concurrency, thread_name_prefix="argon2"
        )
    return _executor


async def _in_pool(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool(), fn, *args)


async def hash_password(password: str) -> str:
    return await _in_pool(HASHER.hash, password)


# One-time initial passwords are random (96 bits), not chosen by a person:
# a salted SHA-256 is as safe for them as argon2 and costs microseconds, so
# provisioning a thousand accounts does not cost a thousand argon2 hashes.
# The account must change it at first login, and then gets an argon2 hash.
ONE_TIME_PREFIX = "otp_sha256$"


def new_initial_password() -> str:
    return secrets.token_urlsafe(12)


def hash_initial_password(password: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}${password}".encode()).hexdigest()
    return f"{ONE_TIME_PREFIX}{salt}${digest}"


def _verify(hashed: str, password: str) -> bool:
    if hashed.startswith(ONE_TIME_PREFIX):
        salt, _, digest = hashed.removeprefix(ONE_TIME_PREFIX).partition("$")
        candidate = hashlib.sha256(f"{salt}${password}".encode()).hexdigest()
        return hmac.compare_digest(candidate, digest)
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(hashed: str, password: str) -> bool:
    if hashed.startswith(ONE_TIME_PREFIX):
        return _verify(hashed, password)
    return await _in_pool(_verify, hashed, password)


# Verified against when the email is unknown, so both cases take the same time.
_DUMMY_HASH = HASHER.hash("entraide-timing-equalizer")


async def burn_verify(password: str) -> None:
    await verify_password(_DUMMY_HASH, password)


def needs_rehash(hashed: str) -> bool:
    if hashed.startswith(ONE_TIME_PREFIX):
        return False  # replaced by the password the user must choose
    try:
        return HASHER.check_needs_rehash(hashed)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("auth_service").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, *, attributes: Iterable[str] = ()) -> list[str]:
    """Every rule the password breaks, in the words shown to the user."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(
            f"This password is too short. It must contain at least {MIN_LENGTH} characters."
        )
    if password.isdigit():
        problems.append("This password is entirely numeric.")
    if password.lower().strip() in common_passwords():
        problems.append("This password is too common.")
    lowered = password.lower()
    for value in attributes:
        if not value:
            continue
        value = value.lower()
        parts = {value, *re.split(r"\W+", value)}
        for part in parts:
            if len(part) < 3:
                continue
            if SequenceMatcher(a=lowered, b=part).quick_ratio() >= MAX_SIMILARITY and (
                SequenceMatcher(a=lowered, b=part).ratio() >= MAX_SIMILARITY
            ):
                problems.append("The password is too similar to your personal information.")
                break
        else:
            continue
        break
    return problems
