"""Attendance statistics and reports at a million records.

    .venv/bin/python bench/attendance_scale.py [--records 1000000] [--repeat 50]
    .venv/bin/python bench/attendance_scale.py --smoke   # 5,000 records, 3 requests each (CI)

Starts its own embedded PostgreSQL, migrates the attendance service's
database, fills it with ``--records`` attendance records (one academic year,
3,000 students in 100 groups, 60 trainers, 20 centres; written with
generate_series, then VACUUM ANALYZE, as autovacuum would), and measures each query endpoint through the
service's own HTTP stack (in process, no gateway): the median and p90 of
``--repeat`` requests. Exits 1 when fewer records were written than asked,
or a query answered anything but 200.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from attendance_service.config import AttendanceSettings
from attendance_service.main import build_app
from entraide_stack.embedded import EmbeddedPostgres, free_port
from entraide_stack.testing import TokenFactory, create_database
from entraide_stack.testing.apps import client, started

FILL = """
INSERT INTO attendance_records
    (date, student_id, session_template_id, status, notes, group_id, trainer_id, center_id)
SELECT date '2024-09-02' + ((g / 3000) % 280),
       1 + g % 3000,
       1 + (g / 3000 + g) % 500,
       (ARRAY['present','present','present','present','present','present','present','absent','late','present'])[1 + (g * 7) % 10],
       '',
       1 + (g % 3000) / 30,
       1 + g % 60,
       1 + (g % 3000) / 150
FROM generate_series(0, :n - 1) AS g
ON CONFLICT DO NOTHING
"""
STUDENTS = """
INSERT INTO student_copies (id, "user", first_name, last_name, email, exam_id, "group", center, academic_year)
SELECT s, 10000 + s, 'First' || s, 'Last' || s, 's' || s || '@e.ma', 'STU' || s, 1 + (s - 1) / 30, 1 + (s - 1) / 150, '2024-2025'
FROM generate_series(1, 3000) AS s
"""


class BenchError(RuntimeError):
    pass


async def run(records: int, repeat: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="entraide-bench-att-"))
    pg = EmbeddedPostgres(
        root / "pg", free_port(), password_file=root / "pw", log_file=root / "pg.log"
    ).start()
    try:
        settings = AttendanceSettings(
            database_url=await create_database(pg.url(), "attendance"),
            environment="test",
            events_enabled=False,
            rate_limit_enabled=False,
            log_level="WARNING",
        )
        tokens = TokenFactory()
        app = build_app(settings)
        async with started(app, tokens=tokens):
            started_fill = time.perf_counter()
            async with app.state.db.engine.begin() as conn:
                await conn.execute(text(STUDENTS))
                await conn.execute(text(FILL), {"n": records})
            async with app.state.db.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE"))
                count = (
                    await conn.execute(text("SELECT count(*) FROM attendance_records"))
                ).scalar_one()
            print(
                f"attendance at scale: {count:,} records written in {time.perf_counter() - started_fill:.1f} s"
            )
            if count != records:
                raise BenchError(f"{count:,} records written, {records:,} asked")
            headers = tokens.headers(1, "admin")
            base = "/api/attendance/api/records/"
            cases: dict[str, tuple[str, dict[str, Any]]] = {
                "stats, a group over the year": (
                    "stats/",
                    {"start_date": "2024-09-01", "end_date": "2025-07-31", "group_id": 7},
                ),
                "stats, a trainer over the year": (
                    "stats/",
                    {"start_date": "2024-09-01", "end_date": "2025-07-31", "trainer_id": 7},
                ),
                "student_stats, a group over the year": (
                    "student_stats/",
                    {"group_id": 7, "start_date": "2024-09-01", "end_date": "2025-07-31"},
                ),
                "report, a group over a month": (
                    "report/",
                    {"start_date": "2024-10-01", "end_date": "2024-10-31", "group_id": 7},
                ),
                "by_student, a year": ("by_student/", {"student_id": 211}),
            }
            async with client(app) as http:
                for name, (path, params) in cases.items():
                    times = []
                    for _ in range(repeat):
                        t0 = time.perf_counter()
                        resp = await http.get(base + path, params=params, headers=headers)
                        times.append((time.perf_counter() - t0) * 1000)
                        if resp.status_code != 200:
                            raise BenchError(f"{name}: {resp.status_code} {resp.text[:300]}")
                    times.sort()
                    p90 = times[int(0.9 * (len(times) - 1))]
                    print(
                        f"  {name:40s} median {statistics.median(times):7.1f} ms   p90 {p90:7.1f} ms"
                    )
        print(
            f"  reproduce: .venv/bin/python bench/attendance_scale.py --records {records} --repeat {repeat}"
        )
    finally:
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--smoke", action="store_true", help="5,000 records, 3 requests each")
    args = parser.parse_args()
    if args.smoke:
        args.records, args.repeat = 5000, 3
    try:
        asyncio.run(run(args.records, args.repeat))
    except BenchError as exc:
        print(f"FAILED: {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()
