"""Wire the flows of this test process to a test database and folders (and undo it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

import flows.operating as operating_module
import flows.wiring as wiring_module
from flows.operating import Operating, configure_operating
from flows.wiring import FlowRuntime, configure_flows


@contextmanager
def wired_flows(engine: Engine, home: Path, **operating: object) -> Iterator[Operating]:
    """Flows use ``engine`` and folders under ``home`` for the duration of the block."""
    before = (wiring_module._runtime, operating_module._operating)
    configure_flows(FlowRuntime(engine=lambda: engine, reports_dir=home / "reports"))
    settings = Operating(
        drop_folder=home / "drop",
        feeds_config=home / "feeds.toml",
        feeds_dir=home / "feeds",
        drop_settle_seconds=0.0,
        **operating,  # type: ignore[arg-type] # a test passes the fields it changes
    )
    configure_operating(settings)
    try:
        yield settings
    finally:
        wiring_module._runtime, operating_module._operating = before
