"""The schedule service: weekly templates, session instances, timetables and calendar feeds."""

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
