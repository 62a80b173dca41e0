"""Access tokens for tests of services other than auth: signed with a test key
that the service under test is told to trust (``app.state.verifier.set_keys``)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class TokenFactory:
    def __init__(self, *, issuer: str = "entraide-auth", audience: str = "entraide") -> None:
        self.private = Ed25519PrivateKey.generate()
        self.kid = "test-" + uuid.uuid4().hex[:8]
        self.issuer = issuer
        self.audience = audience

    def keys(self) -> dict[str, Any]:
        return {self.kid: self.private.public_key()}

    def token(self, user_id: int, role: str, *, token_type: str = "access", **claims: Any) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "user_id": user_id,
            "role": role,
            "token_type": token_type,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 3600,
            "ver": 0,
        }
        payload.update(claims)
        return jwt.encode(payload, self.private, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, user_id: int, role: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, role, **claims)}"}
