"""Merge the OpenAPI documents of several services into one.

Paths are taken as they are (each service owns its own prefixes). Components
are merged by kind; a name defined differently by two services is renamed in
the later one to ``<Service><Name>`` and every ``$ref`` of that service is
rewritten. HTTP bearer security schemes of the services are folded into one
``bearerAuth`` scheme, declared and applied globally, so Swagger UI's Authorize
button works for every operation.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

TITLE = "Entraide National API"
VERSION = "1.0"
BEARER = "bearerAuth"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_REF_PREFIX = "#/components/"


def _walk_refs(node: Any, renames: dict[str, dict[str, str]]) -> Any:
    """Rewrite ``$ref`` values according to ``renames[kind][old] = new``."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX):
                kind, _, name = value[len(_REF_PREFIX) :].partition("/")
                new = renames.get(kind, {}).get(name)
                out[key] = f"{_REF_PREFIX}{kind}/{new}" if new else value
            else:
                out[key] = _walk_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_walk_refs(item, renames) for item in node]
    return node


def _prefix(service: str) -> str:
    return "".join(part.capitalize() for part in service.replace("-", "_").split("_"))


def _bearer_schemes(doc: dict[str, Any]) -> set[str]:
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    names = set()
    for name, scheme in schemes.items():
        if not isinstance(scheme, dict):
            continue
        kind = scheme.get("type")
        is_bearer = kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer"
        if is_bearer or kind == "oauth2":  # FastAPI's OAuth2PasswordBearer: a bearer JWT too
            names.add(name)
    return names


def _fold_security(requirements: Any, bearer: set[str]) -> Any:
    if not isinstance(requirements, list):
        return requirements
    folded: list[dict[str, Any]] = []
    for req in requirements:
        if not isinstance(req, dict):
            continue
        new = {(BEARER if name in bearer else name): scopes for name, scopes in req.items()}
        if new not in folded:
            folded.append(new)
    return folded


def _renames(
    service: str, src: dict[str, Any], components: dict[str, dict[str, Any]]
) -> dict[str, dict[str, str]]:
    """``renames[kind][name] = new`` for the components of ``src`` that clash with
    those already merged. Two definitions are compared as they will be merged, with
    their refs rewritten: a page of this service's ``QuestionRead`` is not another
    service's page of its own ``QuestionRead``, though both are spelled alike. A
    rename can make another clash appear, so this runs until nothing changes."""
    renames: dict[str, dict[str, str]] = {}
    while True:
        rewritten = _walk_refs(src, renames)
        added = False
        for kind, items in rewritten.items():
            if kind == "securitySchemes" or not isinstance(items, dict):
                continue
            target = components.get(kind, {})
            taken = renames.setdefault(kind, {})
            for name, value in items.items():
                if name in taken or name not in target or target[name] == value:
                    continue
                new, n = f"{_prefix(service)}{name}", 2
                while new in target or new in taken.values():
                    new, n = f"{_prefix(service)}{name}{n}", n + 1
                taken[name] = new
                added = True
        if not added:
            return {kind: names for kind, names in renames.items() if names}


def merge_openapi(documents: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One OpenAPI 3.1 document from ``(service name, document)`` pairs, in order."""
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "All Entraide services behind one gateway. Obtain a token with "
            "`POST /api/token/`, then use **Authorize** with the `access` token.",
        },
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {
                BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{BEARER: []}],
        "tags": [],
    }
    components: dict[str, dict[str, Any]] = merged["components"]
    tag_names: set[str] = set()
    operation_ids: set[str] = set()

    for service, original in documents:
        doc = copy.deepcopy(original)
        bearer = _bearer_schemes(doc)
        src_components: dict[str, Any] = doc.get("components") or {}
        renames = _renames(service, src_components, components)
        # rewrite refs first, then insert under the final names
        doc = _walk_refs(doc, renames)
        src_components = doc.get("components") or {}
        for kind, items in src_components.items():
            if not isinstance(items, dict):
                continue
            if kind == "securitySchemes":
                for name, value in items.items():
                    if name not in bearer:
                        components["securitySchemes"].setdefault(name, value)
                continue
            target = components.setdefault(kind, {})
            for name, value in items.items():
                target[renames.get(kind, {}).get(name) or str(name)] = value

        for path, item in (doc.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            dest = merged["paths"].setdefault(path, {})
            for method, operation in item.items():
                if method in HTTP_METHODS and isinstance(operation, dict):
                    if "security" in operation:
                        operation["security"] = _fold_security(operation["security"], bearer)
                    op_id = operation.get("operationId")
                    if isinstance(op_id, str):
                        if op_id in operation_ids:
                            op_id = f"{service}_{op_id}"
                            operation["operationId"] = op_id
                        operation_ids.add(op_id)
                    operation.setdefault("tags", [service])
                dest[method] = operation

        for tag in doc.get("tags") or []:
            if isinstance(tag, dict) and tag.get("name") not in tag_names:
                tag_names.add(str(tag.get("name")))
                merged["tags"].append(tag)

    if not merged["tags"]:
        del merged["tags"]
    merged["paths"] = dict(sorted(merged["paths"].items()))
    return merged
