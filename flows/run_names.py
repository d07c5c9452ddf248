"""Flow-run names a purchasing lead can read in the run list: what it decided, as of when."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime


def as_of_name(action: str) -> Callable[[], str]:
    """A run-name function: 'reorder as of 2026-12-06' (or '… as of today' when undated)."""

    def name() -> str:
        from prefect.runtime import flow_run

        as_of = flow_run.parameters.get("as_of")
        if isinstance(as_of, date):
            day = as_of.isoformat()
        elif isinstance(as_of, str) and as_of:
            day = as_of[:10]
        else:
            day = f"{datetime.now(UTC):%Y-%m-%d}"
        return f"{action} as of {day}"

    return name
