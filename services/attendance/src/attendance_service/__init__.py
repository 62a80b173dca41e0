"""The attendance service: records, bulk entry, queries, statistics, reports."""

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
