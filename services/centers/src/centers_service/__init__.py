"""The centers service: associations, centres, rooms, equipment and groups."""

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
