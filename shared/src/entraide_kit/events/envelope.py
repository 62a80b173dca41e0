"""The event envelope every service publishes and consumes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, PrivateAttr

from ..contracts import Payload

P = TypeVar("P", bound=Payload)

STREAM = "ENTRAIDE"
SUBJECT_PREFIX = "entraide"
DLQ_STREAM = "ENTRAIDE_DLQ"
DLQ_PREFIX = "entraide_dlq"


def subject_for(service: str, entity: str, entity_id: int | str) -> str:
    """``entraide.<service>.<entity>.<id>``: one subject per record."""
    return f"{SUBJECT_PREFIX}.{service}.{entity}.{entity_id}"


class Envelope(BaseModel):
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    subject: str
    producer: str
    entity: str
    id: int | str
    op: Literal["upsert", "delete"]
    version: int
    occurred_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    data: dict[str, Any] | None = None
    # ``data`` as its contract's model, once validated (``payload``).
    _payload: Payload | None = PrivateAttr(default=None)

    def payload(self, model: type[P]) -> P:
        """An upsert's ``data`` as its subject's contract model, to read by attribute:
        the instance the consumer made when it checked the event (``keep_payload``),
        else validated now (an envelope made by hand). Raises ValidationError when
        ``data`` does not match."""
        kept = self._payload
        if isinstance(kept, model):
            return kept
        made = model.model_validate(self.data or {})
        self._payload = made
        return made

    def keep_payload(self, payload: Payload | None) -> None:
        """The consumer's validated ``data`` (``contracts.check``), for ``payload``."""
        self._payload = payload
