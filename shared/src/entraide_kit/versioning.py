"""Accept-header versioning: ``Accept: application/json; version=1.0``.

No version means 1.0; a version this service does not serve is a 406.
"""

from __future__ import annotations

SUPPORTED_VERSIONS = frozenset({"1.0", "1"})
DEFAULT_VERSION = "1.0"


def requested_version(accept: str | None) -> str | None:
    """The version asked for in an Accept header, or None when none is named."""
    if not accept:
        return None
    for media_range in accept.split(","):
        for param in media_range.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "version":
                return value.strip().strip('"')
    return None


def negotiate(accept: str | None) -> str:
    """Return the version to serve; raise ValueError when it is not served."""
    version = requested_version(accept)
    if version is None:
        return DEFAULT_VERSION
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(version)
    return DEFAULT_VERSION if version == "1" else version
