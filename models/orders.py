"""Back orders, purchase orders, their lines, coverage and the audit trail."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.statuses import BACKORDER_STATUSES, PO_STATUSES, one_of
from models.types import Money, utcnow


class BackorderLine(SQLModel, table=True):
    """A customer's order line the store sold without stock."""

    __tablename__ = "backorder_line"

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(sa_column=Column(String(100), nullable=False))
    line_id: str = Field(sa_column=Column(String(100), nullable=False))
    sku_id: int = Field(foreign_key="sku.id", index=True)
    qty: int
    ordered_at: date
    promised_date: date | None = None
    customer_email: str | None = Field(default=None, max_length=320)
    status: str = Field(default="open", max_length=20)
    fulfilled_on: date | None = None
    cancelled_on: date | None = None
    file_id: int | None = Field(default=None, foreign_key="ingested_file.id")
    updated_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint("qty > 0", name="ck_backorder_qty"),
        CheckConstraint(one_of("status", BACKORDER_STATUSES), name="ck_backorder_status"),
        CheckConstraint(
            "status <> 'fulfilled' OR fulfilled_on IS NOT NULL", name="ck_backorder_fulfilled_on"
        ),
        UniqueConstraint("order_id", "line_id", name="uq_backorder_line"),
        Index("ix_backorder_open", "sku_id", "status", "ordered_at"),
    )


class PurchaseOrder(SQLModel, table=True):
    """One of procure's own purchase orders to one supplier."""

    __tablename__ = "purchase_order"

    id: int | None = Field(default=None, primary_key=True)
    po_number: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    status: str = Field(default="draft", max_length=20)
    currency: str = Field(default="USD", max_length=3)
    order_date: date
    created_by: str = Field(max_length=200)
    approved_by: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = None
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("status", PO_STATUSES), name="ck_po_status"),
        # A PO that has gone out must have been approved by someone or by policy.
        CheckConstraint(
            "status IN ('draft', 'pending_approval', 'cancelled') OR approved_by IS NOT NULL",
            name="ck_po_released_needs_approval",
        ),
    )


class PoLine(SQLModel, table=True):
    """A line of a PO: one SKU, a quantity, a price, a promise, and why it was raised."""

    __tablename__ = "po_line"

    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    line_no: int
    sku_id: int = Field(foreign_key="sku.id", index=True)
    offer_id: int | None = Field(default=None, foreign_key="offer.id")
    qty: int
    unit_price: Decimal = Field(sa_column=Column(Money(), nullable=False))
    currency: str = Field(default="USD", max_length=3)
    status: str = Field(default="draft", max_length=20)
    original_promised_date: date | None = None
    promised_date: date | None = None
    expected_date: date | None = None
    received_qty: int = Field(default=0)
    received_date: date | None = None
    reason_code: str = Field(default="", max_length=60)
    reason: str = Field(default="", max_length=2000)
    candidates: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    rerouted_from_id: int | None = Field(default=None, foreign_key="po_line.id")
    updated_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint("qty > 0", name="ck_po_line_qty"),
        CheckConstraint("received_qty >= 0", name="ck_po_line_received"),
        CheckConstraint("CAST(unit_price AS REAL) >= 0", name="ck_po_line_price"),
        CheckConstraint(one_of("status", PO_STATUSES), name="ck_po_line_status"),
        UniqueConstraint("po_id", "line_no", name="uq_po_line_no"),
    )


class PoLineCoverage(SQLModel, table=True):
    """A back-order line waiting on a PO line; released when the line closes."""

    __tablename__ = "po_line_coverage"

    id: int | None = Field(default=None, primary_key=True)
    po_line_id: int = Field(foreign_key="po_line.id", index=True)
    backorder_line_id: int = Field(foreign_key="backorder_line.id")
    created_at: datetime = Field(default_factory=utcnow)
    released_at: datetime | None = None
    release_reason: str | None = Field(default=None, max_length=200)

    __table_args__ = (
        # Invariant 1: a back-order line is covered by at most one open PO line.
        Index(
            "uq_coverage_one_open_per_backorder",
            "backorder_line_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )


class PoEvent(SQLModel, table=True):
    """Append-only audit: one row per PO (or PO line) state change, with who and why."""

    __tablename__ = "po_event"

    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    po_line_id: int | None = Field(default=None, foreign_key="po_line.id")
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=200)
    reason: str = Field(max_length=2000)
    at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("to_status", PO_STATUSES), name="ck_po_event_status"),
        CheckConstraint("length(trim(actor)) > 0", name="ck_po_event_actor"),
        CheckConstraint("length(trim(reason)) > 0", name="ck_po_event_reason"),
    )


class BackorderEta(SQLModel, table=True):
    """The date a customer was told for a back-order line: the first one and the latest."""

    __tablename__ = "backorder_eta"

    backorder_line_id: int = Field(foreign_key="backorder_line.id", primary_key=True)
    first_eta: date | None = None
    first_announced_on: date | None = None
    current_eta: date | None = None
    announced_eta: date | None = None
    covered_by: str | None = Field(default=None, max_length=40)
    reason_code: str = Field(default="", max_length=40)
    reason: str = Field(default="", max_length=1000)
    revision: int = Field(default=0)
    computed_on: date
    updated_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (CheckConstraint("revision >= 0", name="ck_backorder_eta_revision"),)
