"""How flows reach the system of record: the entry point (CLI, server, tests) provides it.

Flows sit below the ``procure`` package (settings, engines), so they cannot build their own
wiring; whoever starts a flow in this process calls :func:`configure_flows` first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from purchasing.errors import ConfigurationError
from services.po_transport import FileDropTransport
from services.reorder import Sending


@dataclass(frozen=True)
class FlowRuntime:
    """The engine and folders flows in this process use."""

    engine: Callable[[], Engine]
    reports_dir: Path
    base_currency: str = "USD"
    # Reorder: POs up to this value (base currency) are released by policy; documents of
    # released POs go to ``documents_dir`` and are dropped for suppliers under ``outbox_dir``
    # (both default to siblings of ``reports_dir`` under PROCURE_HOME).
    auto_release_limit: Decimal = Decimal("5000")
    documents_dir: Path | None = None
    outbox_dir: Path | None = None


_runtime: FlowRuntime | None = None


def configure_flows(runtime: FlowRuntime) -> None:
    """Give the flows of this process their database and folders."""
    global _runtime
    _runtime = runtime


def flow_runtime() -> FlowRuntime:
    """The configured runtime; a clear error when an entry point forgot to configure it."""
    if _runtime is None:
        raise ConfigurationError("flows are not configured: call configure_flows() at start-up")
    return _runtime


def po_sending(runtime: FlowRuntime) -> Sending:
    """How flows send released POs: documents under PROCURE_HOME, dropped for each supplier."""
    home = runtime.reports_dir.parent
    return Sending(
        runtime.documents_dir or home / "documents",
        FileDropTransport(runtime.outbox_dir or home / "outbox"),
    )
