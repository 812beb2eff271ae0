"""Settings: one object, read from ``ORBIT_*`` environment variables and ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORBIT_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./orbit.db"
    data_dir: Path = Path("./data")
    public_base_url: str = "http://127.0.0.1:8000"
    # Media backend used for live keys; test keys always use the simulator.
    live_media_backend: Literal["sim", "sip"] = "sip"
    # Signs recording URLs and anything else the server hands out and later verifies.
    signing_secret: str = PLACEHOLDER_SECRET
    webhooks_allow_private: bool = False
    webhooks_timeout_seconds: float = Field(default=10.0, gt=0)
    webhooks_poll_seconds: float = Field(default=1.0, gt=0)
    webhooks_enabled: bool = True
    sim_ring_seconds: float = Field(default=2.0, ge=0)
    sim_ring_timeout_seconds: float = Field(default=30.0, gt=0)
    cors_origins: list[str] = Field(default_factory=list)
    log_json: bool = False

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment != "development" and self.signing_secret == PLACEHOLDER_SECRET:
            raise ValueError(
                "ORBIT_SIGNING_SECRET is still the placeholder; set a random secret "
                "before running outside ORBIT_ENVIRONMENT=development"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
