"""The auth service: users, JWT issuing, the public key set."""

from pathlib import Path

# Migrations ship inside the package, so an installed wheel (a container
# image) migrates exactly like a source checkout.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
