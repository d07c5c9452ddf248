"""Process-wide wiring built at entry points: settings → engine with migrations applied."""

from __future__ import annotations

import os

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from models.db import make_engine, upgrade
from procure.settings import Settings, get_settings
from purchasing.errors import ConfigurationError

_engines: dict[str, Engine] = {}


def quiet_prefect() -> None:
    """Telemetry off: offline it tries DNS, and on SQLite it logs 'database is locked'."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")


def engine_for(settings: Settings | None = None) -> Engine:
    """The engine for the configured database, migrated to the latest schema."""
    settings = settings or get_settings()
    url = settings.resolved_database_url
    if url not in _engines:
        engine = _reachable_engine(settings, url)
        upgrade(engine)
        _engines[url] = engine
    return _engines[url]


def _reachable_engine(settings: Settings, url: str) -> Engine:
    """An engine that has connected once; settings that cannot work name what to fix."""
    try:
        settings.ensure_home()
    except OSError as error:
        raise ConfigurationError(
            f"PROCURE_HOME {settings.home} cannot be used: {error.strerror or error}"
        ) from None
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # The URL itself is not echoed: it may carry a password.
        raise ConfigurationError(
            "PROCURE_DATABASE_URL is not a database URL "
            "(expected e.g. postgresql+psycopg://user@host/db or sqlite:///path/procure.db)"
        ) from None
    try:
        engine = make_engine(url)
    except (NoSuchModuleError, ImportError):
        raise ConfigurationError(
            f"PROCURE_DATABASE_URL {shown}: procure runs on SQLite or PostgreSQL only"
        ) from None
    try:
        with engine.connect():
            pass
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise ConfigurationError(f"cannot connect to the database {shown}: {reason}") from None
    return engine
