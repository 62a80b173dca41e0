from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from entraide_kit.settings import ServiceSettings


class ContentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONTENT_")

    service_name: str = "content"
    # Signs the short-lived links to a lesson's PDF (opened without a token, in a
    # new browser tab). Unset outside production: a random key per process, so
    # links die with a restart. Every replica of one deployment needs the same.
    link_secret: SecretStr | None = None
    # How long a PDF link works after the lesson was read.
    link_ttl_seconds: int = Field(900, ge=10, le=86400)
    max_pdf_bytes: int = Field(10 * 1024 * 1024, ge=1024)

    @model_validator(mode="after")
    def _link_secret_in_production(self) -> ContentSettings:
        if self.environment == "production" and not (
            self.link_secret and len(self.link_secret.get_secret_value()) >= 32
        ):
            raise ValueError("production needs CONTENT_LINK_SECRET (32 characters or more)")
        return self


@lru_cache
def get_settings() -> ContentSettings:
    return ContentSettings()
