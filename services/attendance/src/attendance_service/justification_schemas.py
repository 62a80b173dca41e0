"""Input and response shapes of absence justifications (issue 20)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from entraide_kit.pagination import Page

JustificationStatus = Literal["pending", "approved", "rejected"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class JustificationIn(BaseModel):
    """A justification as filed (JSON, or multipart/form-data with a ``document`` file)."""

    student: int = Field(description="The student's id (a student files for themself only).")
    date_from: dt.date = Field(description="The first day justified (YYYY-MM-DD).")
    date_to: dt.date = Field(
        description="The last day justified, inclusive: at most 60 days after date_from."
    )
    reason: Reason = Field(description="Why the student was absent (at most 2,000 characters).")


class DecisionIn(BaseModel):
    """An approval or a rejection, with an optional comment."""

    comment: Comment = ""


class JustificationRead(BaseModel):
    id: int
    student: int
    # "first_name last_name" from the student copy ("" while it is missing).
    student_name: str
    date_from: dt.date
    date_to: dt.date
    reason: str
    # The document's URL (the caller's token reads it), or null.
    document: str | None
    status: JustificationStatus
    created_by: int
    created_at: dt.datetime
    decided_by: int | None
    decided_at: dt.datetime | None
    comment: str


JustificationPage = Page[JustificationRead]
