"""The ``refresh-customer-etas`` flow: one honest date per waiting back-order line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from flows.run_names import as_of_name
from flows.slip_events import announce_slips
from flows.wiring import flow_runtime
from services.etas import EtaRefresh
from services.etas import refresh_etas as refresh_stored_etas


@task(name="refresh-customer-etas")
def refresh_customer_etas(as_of: date) -> EtaRefresh:
    """Compute every open back-order line's ETA, store it and queue notifications for moves."""
    runtime = flow_runtime()
    return refresh_stored_etas(runtime.engine(), as_of=as_of, base_currency=runtime.base_currency)


def eta_move_rows(refresh: EtaRefresh) -> list[dict[str, Any]]:
    """One artifact row per customer date that moved beyond the threshold."""
    return [
        {
            "order_id": move.eta.order_id,
            "line_id": move.eta.line_id,
            "sku": move.eta.sku,
            "old_eta": move.old.isoformat(),
            "new_eta": move.new.isoformat(),
            "days": move.days,
            "covered_by": move.eta.covered_by,
            "reason": move.eta.reason,
        }
        for move in refresh.moved
    ]


@flow(name="refresh-etas", flow_run_name=as_of_name("customer ETAs"))
def refresh_etas(as_of: date | None = None) -> EtaRefresh:
    """Refresh every customer ETA (after confirmations, receipts, stock, reorder and reroute)."""
    day = as_of or datetime.now(UTC).date()
    refresh = refresh_customer_etas(day)
    dated = sum(eta.eta is not None for eta in refresh.etas)
    create_table_artifact(
        key="customer-etas-moved",
        table=eta_move_rows(refresh),
        description=f"Customer ETAs that moved as of {day.isoformat()}",
    )
    get_run_logger().info(
        "ETAs as of %s: %d line(s), %d dated, %d moved",
        day.isoformat(),
        len(refresh.etas),
        dated,
        len(refresh.moved),
    )
    return refresh


# Files whose rows can move a customer's date: promises, receipts, supplier stock, our stock,
# and the back orders themselves.
DATE_MOVING_KINDS = ("confirmations", "deliveries", "stock", "inventory", "backorders")


def after_accepted_file(kind: str, as_of: date | None) -> None:
    """What follows an accepted file: its slips announced, the ETAs it can move refreshed."""
    announce_slips(flow_runtime().engine())
    if kind in DATE_MOVING_KINDS:
        refresh_customer_etas(as_of or datetime.now(UTC).date())
