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


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK constraint limiting ``column`` to ``values``."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"
