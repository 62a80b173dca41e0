"""The students service: students with their accounts, and bulk import from Excel."""

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
