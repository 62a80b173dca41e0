"""Field types several services validate the same way."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    PlainSerializer,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)


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


def _as_sent(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Checked as an http(s) URL, kept exactly as sent (pydantic's URL type would
    normalise it, e.g. add a trailing slash to ``https://alamal.ma``)."""
    handler(value)
    return value.strip() if isinstance(value, str) else str(value)


#: An http(s) URL returned exactly as it was sent.
Url = Annotated[AnyHttpUrl, WrapValidator(_as_sent), PlainSerializer(str, return_type=str)]
