"""Short-lived signed links to a lesson's PDF.

The web client opens a PDF as a plain link (a new tab, a download), without an
Authorization header, so a lesson answer carries a link that proves itself:
``.../lessons/<id>/pdf_proxy/?expires=<unix time>&signature=<HMAC-SHA256>``
over the lesson id, the stored file's key and the expiry. A link for another
lesson, for a replaced file, altered or past its expiry is refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class PdfLinks:
    secret: bytes
    ttl_seconds: int = 900

    @classmethod
    def from_secret(cls, secret: str | None, ttl_seconds: int) -> PdfLinks:
        key = secret.encode() if secret else secrets.token_bytes(32)
        return cls(key, ttl_seconds)

    def _signature(self, lesson_id: int, file_key: str, expires: int) -> str:
        message = f"pdf:{lesson_id}:{file_key}:{expires}".encode()
        return _b64(hmac.new(self.secret, message, hashlib.sha256).digest())

    def sign(
        self, lesson_id: int, file_key: str, *, now: float | None = None
    ) -> tuple[str, dt.datetime]:
        """The query string of a fresh link, and when it expires."""
        expires = int(now if now is not None else time.time()) + self.ttl_seconds
        query = f"expires={expires}&signature={self._signature(lesson_id, file_key, expires)}"
        return query, dt.datetime.fromtimestamp(expires, dt.UTC)

    def valid(
        self,
        lesson_id: int,
        file_key: str,
        expires: str,
        signature: str,
        *,
        now: float | None = None,
    ) -> bool:
        try:
            when = int(expires)
        except ValueError:
            return False
        if when < int(now if now is not None else time.time()):
            return False
        expected = self._signature(lesson_id, file_key, when)
        return hmac.compare_digest(expected.encode(), signature.encode())
