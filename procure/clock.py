"""The business date: ``--as-of`` when given, else today in the store's timezone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from procure.settings import get_settings


def business_today() -> date:
    """Today's date where the store is (``PROCURE_TIMEZONE``), not where the server is."""
    return datetime.now(ZoneInfo(get_settings().timezone)).date()
