"""What a cancelled back order does to the PO lines covering it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from purchasing.quantities import PriceBreak, order_quantity, price_at

# PO lines not yet sent can still be changed; sent ones are the supplier's business now.
EDITABLE_STATUSES = ("draft", "pending_approval")


@dataclass(frozen=True)
class CoveringLine:
    """An open PO line with the back-order lines it covers (id → qty, and which are cancelled)."""

    po_line_id: int
    po_number: str
    line_no: int
    sku: str
    qty: int
    unit_price: Decimal
    status: str
    covers: Mapping[int, int]  # back-order id → qty, every open coverage of the line
    cancelled: frozenset[int]  # the covered back-order ids the store has cancelled
    line_refs: Mapping[int, str]  # back-order id → the store's line id, for messages
    moq: int = 1
    order_multiple: int = 1
    breaks: tuple[PriceBreak, ...] = ()


@dataclass(frozen=True)
class LineChange:
    """The decision for one PO line that lost back orders: keep, shrink, cancel or flag."""

    po_line_id: int
    action: str  # "shrink", "cancel", "flag", "keep"
    new_qty: int
    new_unit_price: Decimal
    released: tuple[int, ...]  # back-order ids whose coverage is released
    reason: str


def plan_cancellations(lines: Iterable[CoveringLine]) -> list[LineChange]:
    """Release cancelled back orders; shrink or cancel unsent lines; flag sent ones for a buyer."""
    changes = []
    for line in lines:
        if not line.cancelled:
            continue
        released = tuple(sorted(line.cancelled))
        gone = ", ".join(line.line_refs.get(i, str(i)) for i in released)
        freed = sum(line.covers.get(i, 0) for i in released)
        remaining = sum(qty for i, qty in line.covers.items() if i not in line.cancelled)
        where = f"{line.po_number} line {line.line_no} (SKU {line.sku})"
        if line.status not in EDITABLE_STATUSES:
            changes.append(
                LineChange(
                    line.po_line_id,
                    "flag",
                    line.qty,
                    line.unit_price,
                    released,
                    f"{where} is {line.status}; back order(s) {gone} cancelled, "
                    f"{freed} unit(s) no longer needed: ask the supplier to reduce it",
                )
            )
            continue
        if remaining == 0:
            changes.append(
                LineChange(
                    line.po_line_id,
                    "cancel",
                    line.qty,
                    line.unit_price,
                    released,
                    f"{where} cancelled: back order(s) {gone} cancelled, nothing left to cover",
                )
            )
            continue
        new_qty = min(
            line.qty,
            order_quantity(remaining, moq=line.moq, order_multiple=line.order_multiple),
        )
        price = price_at(line.breaks, new_qty) if line.breaks else None
        new_price = price.unit_price if price is not None else line.unit_price
        if new_qty < line.qty:
            reason = f"{where} reduced from {line.qty} to {new_qty}: back order(s) {gone} cancelled"
            changes.append(
                LineChange(line.po_line_id, "shrink", new_qty, new_price, released, reason)
            )
        else:
            reason = f"{where} kept at {line.qty} (MOQ/multiple): back order(s) {gone} cancelled"
            changes.append(
                LineChange(line.po_line_id, "keep", line.qty, line.unit_price, released, reason)
            )
    return changes
