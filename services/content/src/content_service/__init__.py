"""The course-content service: courses, units, sections, lessons, practice questions."""

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
