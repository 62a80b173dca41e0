"""Signing tokens with the service's Ed25519 key, and the public key set (JWKS)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from entraide_kit.auth import ALGORITHM

from .config import AuthSettings
from .models import User

log = logging.getLogger("auth.tokens")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    kid: str

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def jwk(self) -> dict[str, str]:
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64(raw),
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }


def _kid(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(hashlib.sha256(raw).digest())[:16]


def load_signing_key(settings: AuthSettings) -> SigningKey:
    pem: bytes | None = None
    if settings.private_key:
        pem = settings.private_key.encode()
    elif settings.private_key_file:
        pem = Path(settings.private_key_file).read_bytes()
    if pem is None:
        log.warning(
            "no signing key configured: using a throwaway key (tokens die with this process)"
        )
        private = Ed25519PrivateKey.generate()
    else:
        loaded = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError("the auth signing key must be an Ed25519 private key")
        private = loaded
    return SigningKey(private=private, kid=_kid(private.public_key()))


def generate_private_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: dt.datetime


class TokenIssuer:
    def __init__(self, key: SigningKey, settings: AuthSettings) -> None:
        self.key = key
        self.settings = settings

    def _issue(self, user: User, token_type: str, lifetime: int) -> IssuedToken:
        now = dt.datetime.now(dt.UTC)
        exp = now + dt.timedelta(seconds=lifetime)
        jti = uuid.uuid4().hex
        claims: dict[str, Any] = {
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "sub": str(user.id),
            "user_id": user.id,
            "role": user.role,
            "token_type": token_type,
            "jti": jti,
            "iat": int(now.timestamp()),
            "exp": int(exp.timestamp()),
            "ver": user.token_version,
        }
        if user.must_change_password and self.settings.force_password_change:
            claims["pwd_change"] = True
        token = jwt.encode(
            claims, self.key.private, algorithm=ALGORITHM, headers={"kid": self.key.kid}
        )
        return IssuedToken(token=token, jti=jti, expires_at=exp)

    def access(self, user: User) -> IssuedToken:
        return self._issue(user, "access", self.settings.access_token_lifetime)

    def refresh(self, user: User) -> IssuedToken:
        return self._issue(user, "refresh", self.settings.refresh_token_lifetime)

    def pair(self, user: User) -> dict[str, str]:
        return {"refresh": self.refresh(user).token, "access": self.access(user).token}

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.key.jwk()]}
