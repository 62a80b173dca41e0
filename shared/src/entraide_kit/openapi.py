"""The OpenAPI document as the API really answers.

FastAPI documents a 422 "Validation Error" on every operation; our services
answer 400 with field errors instead (errors.py). This rewrites the document:
no 422, and every operation lists the errors it can give in the contract's
shapes, so clients (and contract fuzzers) read the truth.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

DETAIL = {
    "title": "Detail",
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "title": "FieldErrors",
    "description": (
        'Field errors: {"field": ["message"], "non_field_errors": [...]}, or {"detail": "..."}'
    ),
    "type": "object",
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
    },
}
ERRORS = {
    "400": ("Invalid input", "FieldErrors"),
    "401": ("Not authenticated, or a bad token", "Detail"),
    "403": ("Not allowed for this role", "Detail"),
    "404": ("Not found", "Detail"),
    "406": ("Unsupported API version in the Accept header", "Detail"),
    "413": ("Request body too large", "Detail"),
    "415": ("Unsupported media type", "Detail"),
    "429": ("Rate limit exceeded", "Detail"),
}
PUBLIC_ERRORS = ("400", "404", "406", "413", "415", "429")


def _error(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _local_times(node: Any) -> None:
    """Times of day are local ("08:30:00"): JSON Schema's ``time`` format demands a UTC
    offset, so they are documented as OpenAPI's registered ``partial-time``."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            node["format"] = "partial-time"
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Detail"] = DETAIL
        schemas["FieldErrors"] = FIELD_ERRORS
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                secured = bool(operation.get("security"))
                for status, (description, schema) in ERRORS.items():
                    if status in responses:
                        continue
                    if secured or status in PUBLIC_ERRORS:
                        responses[status] = _error(description, schema)
        _local_times(doc)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
