"""Bodies that come as JSON or as multipart/form-data (a record with an image).

``Parsed = Annotated[BodyOf[CenterCreate], Depends(json_or_form(CenterCreate, files=("logo",)))]``
gives the validated model and the uploaded files. Form values are strings;
pydantic's lax mode turns ``"3"`` and ``"true"`` into numbers and booleans,
and an empty form value is null for a field that is not text. Errors are the
contract's 400 field errors, as for JSON bodies.
"""

from __future__ import annotations

import copy
import json
import types
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from .errors import BadRequest, ValidationFailed, validation_errors_to_fields

M = TypeVar("M", bound=BaseModel)
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass
class BodyOf(Generic[M]):
    data: M
    files: dict[str, UploadFile] = field(default_factory=dict)

    @property
    def fields_set(self) -> set[str]:
        return set(self.data.model_fields_set)


def _accepts_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _accepts_text(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_accepts_text(a) for a in typing.get_args(annotation))
    return False


def _raise_validation(exc: ValidationError) -> typing.NoReturn:
    status, body = validation_errors_to_fields(exc.errors())
    raise ValidationFailed(body) if status == 400 else BadRequest(str(body))


def json_or_form(
    model: type[M], *, files: Sequence[str] = ()
) -> Callable[[Request], Awaitable[BodyOf[M]]]:
    file_fields = frozenset(files)
    text_fields = {name for name, f in model.model_fields.items() if _accepts_text(f.annotation)}

    async def parse(request: Request) -> BodyOf[M]:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        uploads: dict[str, UploadFile] = {}
        raw: dict[str, Any] = {}
        if ctype in FORM_TYPES:
            form = await request.form(max_files=len(file_fields) or 1, max_fields=200)
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key in file_fields:
                        uploads[key] = value
                    continue
                raw[key] = None if value == "" and key not in text_fields else value
        else:
            body = await request.body()
            if body.strip():
                try:
                    parsed = json.loads(body)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise BadRequest(f"JSON parse error - {exc}") from None
                if not isinstance(parsed, dict):
                    kind = type(parsed).__name__
                    message = f"Invalid data. Expected a dictionary, but got {kind}."
                    raise ValidationFailed({"non_field_errors": [message]})
                raw = parsed
        try:
            data = model.model_validate(raw)
        except ValidationError as exc:
            _raise_validation(exc)
        return BodyOf(data=data, files=uploads)

    parse.__name__ = f"parse_{model.__name__}"
    return parse


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(copy.deepcopy(defs[ref.split("/")[-1]]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def body_openapi(model: type[BaseModel], *, files: Sequence[str] = ()) -> dict[str, Any]:
    """``openapi_extra`` documenting both body encodings of an endpoint."""
    schema = _inline_refs(model.model_json_schema())
    form = copy.deepcopy(schema)
    for name in files:
        form.setdefault("properties", {})[name] = {"type": "string", "format": "binary"}
    return {
        "requestBody": {
            # A model with no required field (a PATCH) takes an empty body too.
            "required": bool(schema.get("required")),
            "content": {
                "application/json": {"schema": schema},
                "multipart/form-data": {"schema": form},
            },
        }
    }
