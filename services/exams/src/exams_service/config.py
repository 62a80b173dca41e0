from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from entraide_kit.settings import ServiceSettings


class ExamsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMS_")

    service_name: str = "exams"


@lru_cache
def get_settings() -> ExamsSettings:
    return ExamsSettings()
