"""The Entraide gateway's docs app (Traefik's own configuration lives beside this package)."""
