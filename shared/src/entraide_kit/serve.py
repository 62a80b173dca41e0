"""``python -m entraide_kit.serve [uvicorn options]``: uvicorn, given its share of
``ENTRAIDE_SHUTDOWN_TIMEOUT`` as ``--timeout-graceful-shutdown`` (the images'
command: a Dockerfile's CMD cannot compute it from the environment).

Everything else is uvicorn's: options, and ``UVICORN_*`` variables (the app,
host and port of the images).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from .settings import shutdown_budget, shutdown_timeout_from


def uvicorn_args(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> list[str]:
    requests, _ = shutdown_budget(shutdown_timeout_from(environ))
    return ["--timeout-graceful-shutdown", str(requests), *argv]


def main(argv: Sequence[str] | None = None) -> None:
    from uvicorn.main import main as uvicorn_main

    args = uvicorn_args(sys.argv[1:] if argv is None else argv)
    uvicorn_main(args=args, prog_name="uvicorn")


if __name__ == "__main__":
    main()
