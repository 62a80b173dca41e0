from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from entraide_kit.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_")

    service_name: str = "auth"
    # The Ed25519 signing key, as a PEM file or PEM text. Without either, a
    # development process makes a throwaway key; production refuses to start.
    private_key_file: str | None = None
    private_key: str | None = None
    access_token_lifetime: int = Field(24 * 3600, ge=60)
    refresh_token_lifetime: int = Field(7 * 24 * 3600, ge=60)
    admin_email: str | None = Field(None, validation_alias="ENTRAIDE_ADMIN_EMAIL")
    admin_password: str | None = Field(None, validation_alias="ENTRAIDE_ADMIN_PASSWORD")
    # Accounts provisioned for students and trainers get firstname.lastname@<this>.
    account_email_domain: str = "entraide.ma"
    # Accounts provisioned with a one-time password (students, trainers) must
    # change it at first login: their tokens carry `pwd_change` and every other
    # service refuses them until then. False (AUTH_FORCE_PASSWORD_CHANGE=false)
    # for deployments whose client has no change-password screen (the existing
    # web client): one-time passwords are still generated and returned once,
    # but no token carries the flag.
    force_password_change: bool = True
    # Failed logins per account (lockout.py): past this many in the window,
    # that email gets a 429 until the window ends.
    login_failure_limit: int = Field(10, ge=1)
    login_failure_window: int = Field(900, ge=1)
    # Hashing is CPU-bound: at most this many hashes run at once, in threads.
    hash_concurrency: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _signing_key_in_production(self) -> AuthSettings:
        if self.environment == "production" and not (self.private_key_file or self.private_key):
            raise ValueError("production needs AUTH_PRIVATE_KEY_FILE or AUTH_PRIVATE_KEY")
        return self


@lru_cache
def get_settings() -> AuthSettings:
    return AuthSettings()
