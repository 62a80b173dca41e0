"""The exams service: question bank, exams, submissions with grading, results."""

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
