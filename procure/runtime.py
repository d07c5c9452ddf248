"""Process-wide wiring built at entry points: settings → engine with migrations applied."""

from __future__ import annotations

import os

from sqlalchemy import Engine

from models.db import make_engine, upgrade
from procure.settings import Settings, get_settings

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
        settings.ensure_home()
        engine = make_engine(url)
        upgrade(engine)
        _engines[url] = engine
    return _engines[url]
