"""Typed settings, read from the environment (``PROCURE_*``) when a command starts."""

from __future__ import annotations

import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from purchasing.errors import ConfigurationError


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
    # How outbox messages leave: "file" drops one .eml per message; "smtp" sends by mail.
    outbox_transport: Literal["file", "smtp"] = "file"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, gt=0, lt=65536)
    smtp_sender: str = "procure@localhost"
    # Where buyers drop supplier files (default: ``home/drop``), and how long a file must keep
    # the same size and time before it counts as completely written.
    drop_folder: Path | None = None
    drop_settle_seconds: float = Field(default=2.0, ge=0)
    # The supplier feeds to poll (default: ``home/feeds.toml``) and who hears about failures.
    feeds_config: Path | None = None
    buyers_address: str = "buyers"
    feed_snapshots: Path | None = None
    # The upload page: a secret signs session cookies; buyers sign in with a key or a password.
    web_secret: SecretStr | None = None
    web_api_keys: dict[str, SecretStr] = Field(default_factory=dict)
    web_users: dict[str, SecretStr] = Field(default_factory=dict)
    web_max_upload_mb: int = Field(default=50, gt=0, le=1024)
    prefect_ui_url: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        # Checked here so a typo fails when the command starts, not halfway through a run.
        try:
            ZoneInfo(value)
        except (ValueError, KeyError) as error:
            raise ValueError(f"no time zone {value!r} (a name such as Europe/Berlin)") from error
        return value

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
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    @property
    def drop_path(self) -> Path:
        return self.drop_folder or self.home / "drop"

    @property
    def feeds_config_path(self) -> Path:
        return self.feeds_config or self.home / "feeds.toml"

    @property
    def feeds_dir(self) -> Path:
        """Every distinct payload a supplier feed returned, kept by fingerprint."""
        return self.home / "feeds"

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
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigurationError(_explain(error)) from None
    except SettingsError as error:
        # A list or mapping setting whose value is not JSON; the message names the field.
        raise ConfigurationError(f"settings rejected: {error} (expected JSON)") from None


_SECRET_FIELDS = frozenset({"web_secret", "web_api_keys", "web_users"})


def _explain(error: ValidationError) -> str:
    """Name each bad environment variable, its value and what is wrong with it."""
    problems = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        name = f"PROCURE_{field.upper()}"
        # Never echo what was given for a secret: this message ends up in logs.
        shown = "" if field in _SECRET_FIELDS else f"={problem['input']!r}"
        problems.append(f"{name}{shown}: {problem['msg'].removeprefix('Value error, ')}")
    return "settings rejected: " + "; ".join(problems)
