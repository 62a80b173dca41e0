"""Token verification refuses every forgery the issue lists."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .conftest import TokenMaker


@pytest.fixture
async def client(app_client: Callable[..., Any]) -> Any:
    return await app_client(rate_limit_enabled=False)


async def _status(client: Any, token: str, path: str = "/api/probe/me/") -> int:
    resp = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    return int(resp.status_code)


async def test_a_good_token_passes(client: Any, make_token: TokenMaker) -> None:
    resp = await client.get(
        "/api/probe/me/", headers={"Authorization": f"Bearer {make_token(7, 'trainer')}"}
    )
    assert resp.status_code == 200
    assert resp.json() == {"id": 7, "role": "trainer"}


async def test_role_dependency_is_403_for_other_roles(client: Any, make_token: TokenMaker) -> None:
    assert await _status(client, make_token(role="trainer"), "/api/probe/admin/") == 403
    assert await _status(client, make_token(role="admin"), "/api/probe/admin/") == 200
    assert (await client.get("/api/probe/admin/")).status_code == 401


def _hs256(secret: bytes, payload: str) -> str:
    """The classic key-confusion forgery (PyJWT refuses to make it, so by hand)."""
    header = jwt.utils.base64url_encode(b'{"alg":"HS256","typ":"JWT","kid":"test-key"}').decode()
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{jwt.utils.base64url_encode(mac).decode()}"


def _forgeries(make_token: TokenMaker, signing_key: Ed25519PrivateKey) -> dict[str, str]:
    public_pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    valid = make_token()
    header, _payload, signature = valid.split(".")
    other = make_token(99, "admin")
    unsigned = jwt.encode({"sub": "1", "role": "admin"}, None, algorithm="none")  # type: ignore[arg-type]
    return {
        "alg none": unsigned,
        "alg none with our claims": ".".join([*make_token().split(".")[:2], ""]).replace(
            header, jwt.utils.base64url_encode(b'{"alg":"none","kid":"test-key"}').decode()
        ),
        "HS256 signed with the public key": _hs256(public_pem, make_token().split(".")[1]),
        "wrong key": make_token(key=Ed25519PrivateKey.generate()),
        "unknown kid": make_token(kid="someone-else"),
        "expired": make_token(exp=now - 10, iat=now - 100),
        "future nbf": make_token(nbf=now + 3600),
        "wrong audience": make_token(aud="another-app"),
        "wrong issuer": make_token(iss="evil"),
        "missing exp": make_token(drop=("exp",)),
        "missing jti": make_token(drop=("jti",)),
        "tampered payload": f"{header}.{other.split('.')[1]}.{signature}",
        "refresh token as access": make_token(token_type="refresh"),
        "unknown role": make_token(role="emperor"),
        "garbage": "not.a.token",
        "empty segments": "..",
    }


async def test_forged_tokens_are_401(
    client: Any, make_token: TokenMaker, signing_key: Ed25519PrivateKey
) -> None:
    for name, token in _forgeries(make_token, signing_key).items():
        resp = await client.get("/api/probe/me/", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 401, name
        assert resp.json()["code"] == "token_not_valid", name


async def test_other_schemes_are_not_authentication(client: Any, make_token: TokenMaker) -> None:
    token = make_token()
    for header in (f"Basic {token}", token, "Bearer", "Bearer "):
        resp = await client.get("/api/probe/me/", headers={"Authorization": header})
        assert resp.status_code == 401
        assert resp.json() == {"detail": "Authentication credentials were not provided."}


def test_a_verified_token_is_remembered_until_it_expires_or_the_keys_change(
    make_token: TokenMaker, signing_key: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entraide_kit import auth
    from entraide_kit.errors import InvalidToken

    verifier = auth.TokenVerifier(
        issuer="entraide-auth", audience="entraide", keys={"test-key": signing_key.public_key()}
    )
    checked: list[str] = []
    real = verifier._decode

    def counting(token: str, *, token_type: str) -> dict[str, Any]:
        checked.append(token)
        return real(token, token_type=token_type)

    monkeypatch.setattr(verifier, "_decode", counting)
    now = int(time.time())
    token = make_token(5, "trainer", exp=now + 60)
    assert verifier.decode(token)["sub"] == "5"
    assert verifier.decode(token)["sub"] == "5"
    assert len(checked) == 1, "the signature is checked once"
    # The same bytes as a refresh token are still refused (only access tokens are remembered).
    with pytest.raises(InvalidToken):
        verifier.decode(token, token_type="refresh")
    # Once expired, a remembered token is refused like any other.
    monkeypatch.setattr(auth.time, "time", lambda: now + 61)
    with pytest.raises(InvalidToken):
        verifier.decode(token)
    monkeypatch.setattr(auth.time, "time", lambda: now)
    assert verifier.decode(token)["sub"] == "5"
    # New keys (a rotation that dropped this one) forget what the old ones verified.
    verifier.set_keys({})
    with pytest.raises(auth.UnknownKey):
        verifier.decode(token)
    # Forged variants of a remembered token are not hits.
    verifier.set_keys({"test-key": signing_key.public_key()})
    verifier.decode(token)
    header, payload, signature = token.split(".")
    # One bit of the signature's first byte flipped: "...AA" at its end was no
    # forgery when the last characters already decoded to those bits (1 run in ~250).
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(InvalidToken):
        verifier.decode(f"{header}.{payload}.{forged}")
    # The memory is bounded.
    for i in range(auth.TokenVerifier.CACHE_SIZE + 10):
        verifier.decode(make_token(i))
    assert len(verifier._verified) <= auth.TokenVerifier.CACHE_SIZE
