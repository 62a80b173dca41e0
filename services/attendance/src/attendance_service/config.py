from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from entraide_kit.settings import ServiceSettings


class AttendanceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ATTENDANCE_")

    service_name: str = "attendance"


@lru_cache
def get_settings() -> AttendanceSettings:
    return AttendanceSettings()
