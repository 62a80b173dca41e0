"""Bulk import of students through the gateway, on the real stack.

    .venv/bin/python bench/students_import.py [--rows 1000]
    .venv/bin/python bench/students_import.py --smoke    # a sheet of 20 rows (CI)

Starts the stack (auth, centers, programs, students, gateway) in a temporary
folder on free ports, creates a centre and a programme through the API, then
imports a sheet of ``--rows`` students twice: a dry run, then for real, and
prints how long each took end to end (upload, parsing, checks, the accounts
made in auth in one call, the students saved in one transaction). Exits 1
unless both runs took every row and exactly ``--rows`` students were saved.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import httpx
from gateway_calls import created, ok
from openpyxl import Workbook

from entraide_stack import Stack, StackConfig
from students_service.importer import COLUMNS, XLSX


def sheet(rows: int) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(COLUMNS)
    for i in range(rows):
        ws.append(
            [
                f"Prenom{i}",
                f"Nom{i % 97}",
                "",
                "",
                "2024-2025",
                "2024-09-02",
                f"CIN{i:06d}",
                f"06{i:08d}",
                "2005-01-01",
                "Rabat",
                "",
                "Rabat",
                "",
            ]
        )
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--smoke", action="store_true", help="a sheet of 20 rows")
    args = parser.parse_args()
    if args.smoke:
        args.rows = 20
    root = Path(tempfile.mkdtemp(prefix="entraide-bench-import-"))
    config = StackConfig.for_tests(
        root,
        services=["auth", "centers", "programs", "students"],
        extra_env={
            "ENTRAIDE_RATE_LIMIT_ANON": "100000",
            "ENTRAIDE_RATE_LIMIT_USER": "100000",
            "ENTRAIDE_LOG_LEVEL": "WARNING",
        },
    )
    data = sheet(args.rows)
    with Stack(config) as stack, httpx.Client(base_url=stack.gateway_url, timeout=300) as gw:
        tokens = ok(
            gw.post(
                "/api/token/",
                json={"email": stack.admin_email, "password": stack.admin_password()},
            )
        )
        h = {"Authorization": f"Bearer {tokens['access']}"}
        center = created(gw, "/api/centers-app/centers/", {"name": "Bench centre"}, h)
        program = created(
            gw,
            "/api/programs/trainingprogrames/",
            {"name": "Bench programme", "description": "d", "duration_years": 2},
            h,
        )
        form = {"program": str(program["id"]), "center": str(center["id"])}
        results = {}
        for dry in ("true", "false"):
            started = time.perf_counter()
            resp = gw.post(
                "/api/students/bulk_import/",
                data={**form, "dry_run": dry},
                files={"file": ("s.xlsx", data, XLSX)},
                headers=h,
            )
            results[dry] = time.perf_counter() - started
            report = ok(resp)
            if report["successful"] != args.rows:
                sys.exit(
                    f"FAILED: dry_run={dry}: {report['successful']} of {args.rows} rows taken: "
                    f"{report['errors'][:5]}"
                )
        count = ok(gw.get("/api/students/", params={"page_size": 1}, headers=h))["count"]
    print(
        f"students import of {args.rows} rows through the gateway ({len(data) // 1024} KiB sheet):"
    )
    print(
        f"  dry run: {results['true']:.2f} s   import: {results['false']:.2f} s"
        f"   students saved: {count}"
    )
    print(f"  reproduce: .venv/bin/python bench/students_import.py --rows {args.rows}")
    if count != args.rows:
        sys.exit(f"FAILED: {count} students saved, {args.rows} imported")


if __name__ == "__main__":
    main()
