from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from entraide_kit.settings import ServiceSettings


class CentersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CENTERS_")

    service_name: str = "centers"


@lru_cache
def get_settings() -> CentersSettings:
    return CentersSettings()
