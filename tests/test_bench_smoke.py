"""The smoke run of every benchmark command the README documents (issue 22).

Each script under bench/ has a ``--smoke`` mode: the same code on a tiny scale
for a few seconds, which checks its own result (no acknowledged write lost, no
server error, every figure present) and exits 1 otherwise. Here each one runs
as the README runs it, a subprocess of this (the venv's) Python, and must exit
0 with its figures in its output. About four minutes on two cores; nothing to
install (schemathesis comes with requirements-dev.txt; without wrk the load
runner makes its load with httpx).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
TIMEOUT = 420.0  # seconds for one smoke run; each takes well under a minute and a half


def clean_env(tmp: Path) -> dict[str, str]:
    """This environment without what would configure the stacks the scripts start
    (they start their own, on free ports), temporary folders under ``tmp``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ENTRAIDE_", "AUTH_PRIVATE_KEY"))
        and not k.endswith("_DATABASE_URL")
        and k not in ("NATS_URL", "REDIS_URL")
    }
    env["TMPDIR"] = str(tmp)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def smoke(script: str, tmp: Path, *args: str) -> str:
    """Run ``bench/<script> --smoke [args]``; its standard output, once it exited 0."""
    tmp.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(BENCH / script), "--smoke", *args]
    try:
        done = subprocess.run(
            argv,
            cwd=ROOT,
            env=clean_env(tmp),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        stop_stacks(tmp)  # the script was killed: its stack's processes were not
        raise
    code = done.returncode
    assert code == 0, (
        f"bench/{script} --smoke exited {code}\n"
        f"--- stdout:\n{done.stdout[-8000:]}\n--- stderr:\n{done.stderr[-8000:]}"
    )
    return done.stdout


def stop_stacks(tmp: Path) -> None:
    from entraide_stack import Stack

    for path in tmp.iterdir():
        stack = Stack.from_state(path) if path.is_dir() else None
        if stack is not None:
            stack.stop()


def has(text: str, *patterns: str) -> None:
    missing = [p for p in patterns if not re.search(p, text, flags=re.M)]
    assert not missing, f"not in the output: {missing}\n{text[-8000:]}"


@contextlib.contextmanager
def folder(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A folder for one smoke run (its stack, its reports). Not under pytest's own
    temporary root: every pytest session started meanwhile (by anyone) takes that
    back to mode 0700, and the embedded PostgreSQL runs as its own user when this
    runs as root. A stack's data is ~130 MB: kept (with its logs) only when a test
    failed."""
    failed = request.session.testsfailed
    path = Path(tempfile.mkdtemp(prefix="entraide-smoke-"))
    yield path
    if request.session.testsfailed == failed:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def work(request: pytest.FixtureRequest) -> Iterator[Path]:
    with folder(request) as path:
        yield path


@pytest.fixture(scope="module")
def seeded(request: pytest.FixtureRequest) -> Iterator[tuple[Path, str]]:
    """bench/seed.py --smoke into a folder that bench/run.py then loads, as in the README."""
    with folder(request) as tmp:
        data = tmp / "data"
        out = smoke("seed.py", tmp, "--data-dir", str(data))
        yield data, out


def test_seed(seeded: tuple[Path, str]) -> None:
    data, out = seeded
    # the XS scale, counted table by table (the script fails on any difference)
    has(
        out,
        r'"centers\.rooms": 5,',
        r'"students\.students": 50,',
        r'"schedule\.session_instances": 75,',
        r'"attendance\.attendance_records": 1000,',
        r'"exams\.exams": 10,',
        r'"content\.lessons": 8,',
        r'"content\.practice_questions": 8,',
        r'"total": \d',
        r"^seeded ",
    )
    assert (data / "seed.json").is_file()


def test_load_runner(seeded: tuple[Path, str]) -> None:
    data, _ = seeded
    out = smoke("run.py", data.parent, "--data-dir", str(data))
    number = r"[\d,.]+"
    row = rf"\| {number} \| {number} \| {number} \| 0 \| \d+% \|"  # req/s, p50, p99, errors
    has(
        out,
        rf"^\| ceiling: gateway -> auth /healthz .* \| 4 {row}",
        rf"^\| users/me \| 4 {row}",
        rf"^\| rooms list \(page_size=20\) \| 4 {row}",
        rf"^\| auth /healthz without the gateway \| 4 {row}",
        rf"^\| stats, a group over the year \| {number} \| {number} \|$",
        *(
            rf"^\| network_stats, the network per {level}, the year \| {number} \| {number} \|$"
            for level in ("association", "center", "group")
        ),
        rf"^\| generate_for_week, a new week \(\d weeks\) \| {number} \| {number} \|$",
        r"^checks passed",
    )
    assert list(data.glob("results-XS-*.json"))


def test_chaos(work: Path) -> None:
    out = smoke("chaos.py", work)
    has(
        out,
        r"\d+ acknowledged, \d+ refused or failed while something was down, "
        r"0 acknowledged writes lost",
        r"^auth +\d+\.\ds +\d+\.\ds +502x\d+",
        r"^nats +\d+\.\ds +\d+\.\ds +200x\d+",
        r"^all checks passed",
    )


def test_fuzz(work: Path) -> None:
    out = smoke("fuzz.py", work, "--out", str(work / "report"))
    has(
        out,
        r"^student +6 operations, [1-9]\d* test cases, \d+s: 0 failing .*, 0 with server errors",
        r"^admin +6 operations, [1-9]\d* test cases, \d+s: 0 failing .*, 0 with server errors",
    )


def test_propagation(work: Path) -> None:
    out = smoke("propagation.py", work)
    has(
        out,
        r"^propagation: \d+ writes at \d+/s",
        r"commit-to-copy lag: p50 [\d.]+ ms, p99 [\d.]+ ms",
        r"every copy holds its user's last version \(20 users\)",
    )


def test_students_import(work: Path) -> None:
    out = smoke("students_import.py", work)
    has(out, r"dry run: [\d.]+ s +import: [\d.]+ s +students saved: 20$")


def test_attendance_scale(work: Path) -> None:
    out = smoke("attendance_scale.py", work)
    has(
        out,
        r"^attendance at scale: 5,000 records written",
        *(
            rf"{name} +median +[\d.]+ ms +p90 +[\d.]+ ms"
            for name in (
                "stats, a group over the year",
                "stats, a trainer over the year",
                "student_stats, a group over the year",
                "report, a group over a month",
                "by_student, a year",
            )
        ),
    )
