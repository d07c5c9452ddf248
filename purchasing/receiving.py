"""Receiving rules: which of our PO lines a receipt is for, and what it does to that line.

A supplier's receipt quantity is cumulative (what has arrived so far on that line). The line
takes at most what was ordered; anything beyond is an over-receipt, capped and flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

# PO line states in which goods are expected: a receipt moves these on.
RECEIVABLE_STATUSES = ("approved", "sent", "confirmed", "partially_received")
# States in which the line no longer takes goods; a receipt is kept but flagged.
CLOSED_STATUSES = ("cancelled", "rerouted")
UNSENT_STATUSES = ("draft", "pending_approval")


@dataclass(frozen=True)
class LineOnOrder:
    """One of our PO lines as receiving sees it."""

    po_line_id: int
    line_no: int
    sku: str
    qty: int
    received_qty: int
    status: str


@dataclass(frozen=True)
class LineMatch:
    """The PO line a receipt row is for, or why none is."""

    line: LineOnOrder | None
    code: str  # "line-id", "sku", or why no line matched
    message: str = ""


def match_line(
    lines: Sequence[LineOnOrder], *, po_number: str, line_id: str | None, sku: str
) -> LineMatch:
    """Match a receipt to a PO line by its line number first, else by SKU."""
    if line_id is not None and line_id.strip():
        number = _line_number(line_id)
        by_number = next((line for line in lines if line.line_no == number), None)
        if by_number is not None:
            if by_number.sku != sku:
                message = f"line {line_id} of PO {po_number} is SKU {by_number.sku}, not {sku}"
                return LineMatch(None, "line-sku-mismatch", message)
            return LineMatch(by_number, "line-id")
    same_sku = [line for line in lines if line.sku == sku]
    if not same_sku:
        return LineMatch(None, "sku-not-on-po", f"SKU {sku} is not on PO {po_number}")
    # Several lines of one SKU: the first still expecting goods takes the receipt.
    expecting = [line for line in same_sku if line.status in RECEIVABLE_STATUSES]
    return LineMatch((expecting or same_sku)[0], "sku")


def _line_number(line_id: str) -> int | None:
    text = line_id.strip()
    try:
        # Suppliers write our line 1 as "1", "01" or "1.0" (a spreadsheet number).
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


@dataclass(frozen=True)
class ReceiptDecision:
    """What one receipt does to one PO line: quantities, the new status and any flag."""

    po_line_id: int
    reported_qty: int
    received_qty: int  # cumulative, capped at the ordered quantity
    added_qty: int  # units that reached the shelf with this receipt
    received_date: date
    from_status: str
    to_status: str
    flag: str | None = None  # "over-receipt", "lower-than-before", "closed-line", "unsent-po"
    flag_text: str = ""

    @property
    def status_changed(self) -> bool:
        return self.to_status != self.from_status


def apply_receipt(line: LineOnOrder, reported_qty: int, received_date: date) -> ReceiptDecision:
    """A cumulative receipt against a line: cap it, count what is new, move the status."""
    if reported_qty < 0:
        raise ValueError(f"received quantity cannot be negative: {reported_qty}")
    capped = min(reported_qty, line.qty)
    flag: str | None = None
    flag_text = ""
    if reported_qty > line.qty:
        flag = "over-receipt"
        flag_text = (
            f"{reported_qty} received against {line.qty} ordered: "
            f"{reported_qty - line.qty} over, capped at {line.qty}"
        )
    if capped < line.received_qty:
        # Receipts are cumulative; a smaller figure is a supplier's correction we do not
        # book off the shelf automatically (the next stock count reconciles it).
        flag = "lower-than-before"
        flag_text = f"{reported_qty} received, but {line.received_qty} were already booked"
        capped = line.received_qty
    added = capped - line.received_qty
    to_status = line.status
    if line.status in RECEIVABLE_STATUSES or line.status == "received":
        if capped >= line.qty:
            to_status = "received"
        elif capped > 0:
            to_status = "partially_received"
    elif line.status in CLOSED_STATUSES and added > 0:
        flag = "closed-line"
        flag_text = f"{added} received on a {line.status} line: booked to stock, line stays closed"
    elif line.status in UNSENT_STATUSES and added > 0:
        flag = "unsent-po"
        flag_text = f"{added} received on a PO that was never sent ({line.status})"
    return ReceiptDecision(
        po_line_id=line.po_line_id,
        reported_qty=reported_qty,
        received_qty=capped,
        added_qty=added,
        received_date=received_date,
        from_status=line.status,
        to_status=to_status,
        flag=flag,
        flag_text=flag_text,
    )


def po_status_after(line_statuses: Sequence[str], current: str) -> str:
    """The PO header's status once its lines have moved: received when every live line is."""
    live = [status for status in line_statuses if status not in CLOSED_STATUSES]
    if not live:
        return current
    if all(status == "received" for status in live):
        return "received"
    if any(status in ("received", "partially_received") for status in live):
        return "partially_received"
    return current
