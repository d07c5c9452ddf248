"""Fulfilment rules: stock that arrives serves the waiting back-order lines, oldest first.

The rule is the stock rule of shortage calculation (whole lines in ``ordered_at`` order, ties
by line id; a line larger than what is left is skipped and the stock passes on), so what
reorder counted as covered by stock is exactly what ships.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from purchasing.shortages import BackorderDemand, allocate_sku


@dataclass(frozen=True)
class WaitingLine:
    """An open back-order line of a customer, waiting for goods."""

    backorder_id: int
    order_id: str
    line_id: str
    sku: str
    qty: int
    ordered_at: date
    customer_email: str | None = None


@dataclass(frozen=True)
class Shipment:
    """A back-order line served from stock, and how long its customer waited."""

    line: WaitingLine
    fulfilled_on: date

    @property
    def wait_days(self) -> int:
        """The customer's wait: from ordering to the day the line shipped."""
        return (self.fulfilled_on - self.line.ordered_at).days


@dataclass(frozen=True)
class FulfilmentPlan:
    """Which lines of one SKU ship from the stock on hand, and what stays on the shelf."""

    sku: str
    shipments: tuple[Shipment, ...]
    stock_before: int
    stock_left: int
    still_waiting: tuple[WaitingLine, ...]


def plan_fulfilment(
    sku: str, waiting: Sequence[WaitingLine], *, on_hand: int, shipped_on: date
) -> FulfilmentPlan:
    """Serve ``sku``'s waiting lines from ``on_hand``, oldest first, whole lines only."""
    if on_hand < 0:
        raise ValueError(f"stock on hand of SKU {sku} is negative ({on_hand})")
    # Lines ordered after the shipping day are not yet waiting on that day.
    eligible = [line for line in waiting if line.sku == sku and line.ordered_at <= shipped_on]
    demands = [
        BackorderDemand(line.backorder_id, line.line_id, line.sku, line.qty, line.ordered_at)
        for line in eligible
    ]
    allocation = allocate_sku(sku, demands, on_hand=on_hand)
    by_id = {line.backorder_id: line for line in eligible}
    served = set(allocation.by_stock)
    shipments = tuple(
        Shipment(by_id[backorder_id], shipped_on) for backorder_id in allocation.by_stock
    )
    still = tuple(line for line in waiting if line.backorder_id not in served)
    return FulfilmentPlan(sku, shipments, on_hand, allocation.stock_left, still)
