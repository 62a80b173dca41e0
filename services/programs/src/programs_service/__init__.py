"""The programs service: training programmes, annual and weekly plans, training courses
and teachers."""

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
