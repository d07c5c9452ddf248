"""The flows as deployments run them: importing this module wires them to the settings.

``prefect.yaml`` and ``procure serve`` point at the flows through this module, because a
deployed run starts in a fresh process (a worker's, or the runner's) where no CLI command
has configured the database and folders.
"""

from __future__ import annotations

from sqlalchemy import Engine

from flows.approval import approve_purchase_order
from flows.drop_folder import poll_drop_folder
from flows.etas import refresh_etas
from flows.feeds import poll_supplier_feeds
from flows.ingest import ingest_supplier_file
from flows.operating import Operating, configure_operating
from flows.reorder import raise_backorder_pos
from flows.reroute import check_supplier_slips, reroute_slipped_orders
from flows.run_failures import record_run_failure
from flows.score import score_suppliers
from flows.wiring import FlowRuntime, configure_flows
from procure.runtime import engine_for, quiet_prefect
from procure.settings import Settings, get_settings

__all__ = [
    "approve_purchase_order",
    "check_supplier_slips",
    "configure_from_settings",
    "ingest_supplier_file",
    "poll_drop_folder",
    "poll_supplier_feeds",
    "raise_backorder_pos",
    "record_run_failure",
    "refresh_etas",
    "reroute_slipped_orders",
    "score_suppliers",
]


def configure_from_settings(
    settings: Settings | None = None, engine: Engine | None = None
) -> Settings:
    """Give every flow in this process the configured database (or ``engine``) and folders."""
    settings = settings or get_settings()
    quiet_prefect()
    configure_flows(
        FlowRuntime(
            # The engine (and its migrations) is built on first use, not at import.
            engine=(lambda: engine) if engine is not None else (lambda: engine_for(settings)),
            reports_dir=settings.reports_dir,
            base_currency=settings.base_currency,
            auto_release_limit=settings.auto_release_limit,
            documents_dir=settings.documents_dir,
            outbox_dir=settings.outbox_dir,
        )
    )
    configure_operating(
        Operating(
            drop_folder=settings.drop_path,
            feeds_config=settings.feeds_config_path,
            feeds_dir=settings.feeds_dir,
            drop_settle_seconds=settings.drop_settle_seconds,
            buyers_address=settings.buyers_address,
            feed_snapshots=settings.feed_snapshots,
        )
    )
    return settings


configure_from_settings()
