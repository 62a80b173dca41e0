from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from entraide_kit.settings import ServiceSettings


class ScheduleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULE_")

    service_name: str = "schedule"
    # The wall clock of the centres: calendar feeds give session times in it.
    timezone: str = "Africa/Casablanca"
    # The longest period a timetable (JSON or calendar feed) may span.
    timetable_max_days: int = Field(400, ge=1)


@lru_cache
def get_settings() -> ScheduleSettings:
    return ScheduleSettings()
