"""Where the operating flows find the drop folder, the feeds and the buyers' address.

Like :mod:`flows.wiring`, the entry point (``procure serve``, a deployed run, a test) provides
these, because flows sit below the ``procure`` package that reads settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from purchasing.errors import ConfigurationError


@dataclass(frozen=True)
class Operating:
    """Folders and addresses of one installation."""

    drop_folder: Path
    feeds_config: Path
    feeds_dir: Path
    drop_settle_seconds: float = 2.0
    buyers_address: str = "buyers"
    # Serve feeds from files in this folder instead of the network (tests, demos).
    feed_snapshots: Path | None = None
    # A scheduled poll that starts later than this skips itself (the next one is minutes away).
    poll_max_delay: timedelta = timedelta(minutes=15)


_operating: Operating | None = None


def configure_operating(operating: Operating) -> None:
    """Give the operating flows of this process their folders."""
    global _operating
    _operating = operating


def operating() -> Operating:
    """The configured folders; a clear error when the entry point forgot them."""
    if _operating is None:
        raise ConfigurationError(
            "operating flows are not configured: call configure_operating() at start-up"
        )
    return _operating
