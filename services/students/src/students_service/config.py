from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from entraide_kit.settings import ServiceSettings


class StudentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STUDENTS_")

    service_name: str = "students"
    # Students' accounts are firstname.lastname@<this> (auth's default when unset).
    email_domain: str | None = None
    # An account asked for but whose student was never saved (a crash between
    # the two) is released after this long.
    pending_account_grace: float = Field(300.0, ge=0)
    reconcile_interval: float = Field(30.0, gt=0)
    import_max_rows: int = Field(5000, ge=1)
    import_max_bytes: int = Field(5 * 1024 * 1024, ge=1024)


@lru_cache
def get_settings() -> StudentsSettings:
    return StudentsSettings()
