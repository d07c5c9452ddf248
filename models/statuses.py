"""The closed vocabularies stored in status columns, and their CHECK clauses."""

from __future__ import annotations

BACKORDER_STATUSES = ("open", "cancelled", "fulfilled")

PO_STATUSES = (
    "draft",
    "pending_approval",
    "approved",
    "sent",
    "confirmed",
    "partially_received",
    "received",
    "cancelled",
    "rerouted",
)
# A PO line in one of these states still promises goods, so it covers back orders.
OPEN_PO_LINE_STATUSES = (
    "draft",
    "pending_approval",
    "approved",
    "sent",
    "confirmed",
    "partially_received",
)
DELIVERY_STATUSES = ("open", "received", "cancelled_by_us", "cancelled_by_supplier")
FILE_STATUSES = ("accepted", "rejected")
UPLOAD_STATUSES = ("accepted", "rejected", "duplicate")
FILE_KINDS = ("catalog", "deliveries", "confirmations", "stock", "backorders", "inventory")
STANDINGS = ("preferred", "approved", "watch", "blocked", "unrated")
MANUAL_STANDINGS = ("preferred", "approved", "watch", "blocked")
OUTBOX_STATUSES = ("pending", "sent", "failed")
SKU_RULES = ("pin", "block")
SLIP_SIGNALS = ("overdue", "re-promised", "no-stock", "blocked")


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK constraint limiting ``column`` to ``values``.

    Written as comparisons joined by OR, not ``IN (...)``: SQLite builds a fresh lookup table
    for an IN list each time it checks a row, which made bulk inserts of history lines
    several times slower than the insert itself. NULL passes either way, as in SQL.
    """
    return " OR ".join(f"{column} = '{value}'" for value in values)
