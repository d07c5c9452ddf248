"""Typed settings, read from the environment (``PROCURE_*``) when a command starts."""

from __future__ import annotations

import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "procure"


class Settings(BaseSettings):
    """Everything an operator can configure; defaults give a working embedded setup."""

    model_config = SettingsConfigDict(env_prefix="PROCURE_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    database_url: str | None = None
    base_currency: str = "USD"
    auto_release_limit: Decimal = Decimal("5000")
    timezone: str = "UTC"

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or an SQLite file under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'procure.db'}"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def documents_dir(self) -> Path:
        return self.home / "documents"

    def ensure_home(self) -> None:
        for folder in (self.home, self.reports_dir, self.outbox_dir, self.documents_dir):
            folder.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process, built on first use (never at import)."""
    return Settings()
