"""The Entraide kit: what every service shares (see docs/architecture.md)."""
