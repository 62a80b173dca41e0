"""The event envelope every service publishes and consumes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

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
