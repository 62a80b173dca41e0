"""Field types several services validate the same way."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _academic_year(value: str) -> str:
    first, _, second = value.partition("-")
    if not (first.isdigit() and second.isdigit() and int(second) == int(first) + 1):
        raise ValueError(
            "Enter an academic year as YYYY-YYYY, the second year following the first."
        )
    return value


AcademicYear = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4}-[0-9]{4}$"),
    AfterValidator(_academic_year),
]
