"""One way in, in every service: router (HTTP) -> service (rules) -> repository
(statements). Read from the source, so a new module is held to it the day it
lands (issue 18):

- no router module imports its service's repository, runs a statement
  (``.execute(``) or reads a record through ``entraide_kit.records``;
- no function outside the routers and the app's ``main`` takes a ``Request``
  (what it needs comes as plain arguments or an ``entraide_kit.context.Context``),
  in the services and in the kit's request-independent modules;
- event reactions live in ``handlers.py``, apart from what ``events.py``
  publishes, and neither imports the other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p for p in (ROOT / "services").glob("*/src/*_service") if p.is_dir())
#: kit modules that are HTTP plumbing by nature: they may take a Request
KIT_HTTP_MODULES = {
    "app.py",
    "auth.py",
    "context.py",
    "db.py",
    "errors.py",
    "forms.py",
    "metrics.py",
    "middleware.py",
    "storage.py",
    "openapi.py",
    "revocation.py",
}


def _modules(package: Path) -> Iterator[Path]:
    for path in sorted(package.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _is_router(path: Path) -> bool:
    return path.stem == "router" or path.stem.endswith("_router") or path.parent.name == "routers"


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _takes_request(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    for arg in args:
        if arg.annotation is not None and "Request" in ast.unparse(arg.annotation).replace(
            "RequestValidationError", ""
        ):
            return True
    return False


def _imports(tree: ast.Module) -> Iterator[tuple[str, list[str]]]:
    """(module, names) of every import, relative ones with their leading dots."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or ""), [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_there_are_packages_to_check() -> None:
    assert len(PACKAGES) >= 8, PACKAGES


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_routers_only_translate_http(package: Path) -> None:
    found: list[str] = []
    for path in _modules(package):
        if not _is_router(path):
            continue
        tree = _tree(path)
        for module, names in _imports(tree):
            if module.endswith("repository") or "repository" in names:
                found.append(f"{_rel(path)} imports the repository ({module} {names})")
            if module.endswith("entraide_kit.records") or (
                module == "entraide_kit" and "records" in names
            ):
                found.append(f"{_rel(path)} reads records itself ({module} {names})")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "scalars", "scalar")
            ):
                found.append(f"{_rel(path)}:{node.lineno} runs a statement (.{node.func.attr})")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_no_service_function_takes_a_request(package: Path) -> None:
    found: list[str] = []
    for path in _modules(package):
        if _is_router(path) or path.name == "main.py":
            continue
        for fn in _functions(_tree(path)):
            if _takes_request(fn):
                found.append(f"{_rel(path)}:{fn.lineno} {fn.name}() takes a Request")
    assert not found, "\n".join(found)


def test_kit_functions_take_a_context_not_a_request() -> None:
    kit = ROOT / "shared" / "src" / "entraide_kit"
    found: list[str] = []
    for path in sorted(kit.rglob("*.py")):
        if path.name in KIT_HTTP_MODULES or "migrations" in path.parts:
            continue
        for fn in _functions(_tree(path)):
            if _takes_request(fn):
                found.append(f"{_rel(path)}:{fn.lineno} {fn.name}() takes a Request")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_event_reactions_apart_from_publishing(package: Path) -> None:
    events, handlers = package / "events.py", package / "handlers.py"
    found: list[str] = []
    if events.exists():
        for module, names in _imports(_tree(events)):
            if module.endswith("handlers") or "handlers" in names:
                found.append(f"{_rel(events)} imports the handlers")
            if module in (".service", ".router") or {"service", "router"} & set(names):
                found.append(f"{_rel(events)} imports {module} {names}: publishing needs no rules")
    if handlers.exists():
        for module, names in _imports(_tree(handlers)):
            if module.endswith("router") or "router" in names:
                found.append(f"{_rel(handlers)} imports a router")
    assert not found, "\n".join(found)
