"""README commands run against the running stack, as a user types them."""

from __future__ import annotations

import os
import subprocess
import sys

from entraide_stack import Stack


def test_rebuild_copies_replays_with_the_services_own_environment(full_stack: Stack) -> None:
    """`./dev rebuild-copies SERVICE` (the stack's `rebuild-copies`): the service's
    database is the stack's, with its generated password (the command once ran
    with the default URL and was refused by PostgreSQL)."""
    done = subprocess.run(
        [sys.executable, "-m", "entraide_stack", "rebuild-copies", "schedule"],
        env={**os.environ, "ENTRAIDE_DATA_DIR": str(full_stack.config.data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "schedule: replayed" in done.stdout
