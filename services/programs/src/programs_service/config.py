from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from entraide_kit.settings import ServiceSettings


class ProgramsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROGRAMS_")

    service_name: str = "programs"
    # The centers service, asked once about a centre or group whose event has not
    # arrived yet (a centre created a moment ago) before a reference is refused.
    centers_url: str | None = Field(None, validation_alias="ENTRAIDE_CENTERS_URL")
    # Teachers' accounts are firstname.lastname@<this> (auth's default when unset).
    email_domain: str | None = None
    # A user asked of auth for a teacher that was never saved (a crash between the
    # two) is released after this long.
    pending_account_grace: float = Field(300.0, ge=0)
    reconcile_interval: float = Field(30.0, gt=0)


@lru_cache
def get_settings() -> ProgramsSettings:
    return ProgramsSettings()
