"""Delivery history with its promise ledger, score snapshots and slips."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.statuses import DELIVERY_STATUSES, SLIP_SIGNALS, STANDINGS, one_of
from models.types import utcnow


class DeliveryLine(SQLModel, table=True):
    """An ordered line at a supplier and what was received against it.

    ``original_promised_date`` never moves once recorded; re-promises go to
    :class:`PromiseChange` and to ``promised_date``.
    """

    __tablename__ = "delivery_line"

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    po_number: str = Field(default="", sa_column=Column(String(100), nullable=False))
    line_key: str = Field(sa_column=Column(String(100), nullable=False))
    sku_id: int = Field(foreign_key="sku.id")
    po_line_id: int | None = Field(default=None, foreign_key="po_line.id")
    ordered_qty: int
    order_date: date | None = None
    original_promised_date: date
    promised_date: date
    received_date: date | None = None
    received_qty: int | None = None
    status: str = Field(default="open", max_length=30)
    file_id: int | None = Field(default=None, foreign_key="ingested_file.id")
    updated_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint("ordered_qty > 0", name="ck_delivery_ordered"),
        CheckConstraint("received_qty IS NULL OR received_qty >= 0", name="ck_delivery_received"),
        CheckConstraint(one_of("status", DELIVERY_STATUSES), name="ck_delivery_status"),
        UniqueConstraint("supplier_id", "po_number", "line_key", name="uq_delivery_natural_key"),
        # Only lines of procure's own POs are looked up by PO line; a supplier's history rows
        # (no PO line) stay out of the index, so bulk history ingests do not pay for it.
        Index(
            "ix_delivery_line_po_line_id",
            "po_line_id",
            sqlite_where=text("po_line_id IS NOT NULL"),
            postgresql_where=text("po_line_id IS NOT NULL"),
        ),
    )


class PromiseChange(SQLModel, table=True):
    """One entry of the promise ledger: a date a supplier committed to, and when we learned it."""

    __tablename__ = "promise_change"

    id: int | None = Field(default=None, primary_key=True)
    delivery_line_id: int | None = Field(default=None, foreign_key="delivery_line.id", index=True)
    po_line_id: int | None = Field(default=None, foreign_key="po_line.id", index=True)
    promised_date: date
    previous_date: date | None = None
    source: str = Field(max_length=30)  # "original", "deliveries", "confirmation"
    file_id: int | None = Field(default=None, foreign_key="ingested_file.id")
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint(
            "delivery_line_id IS NOT NULL OR po_line_id IS NOT NULL", name="ck_promise_target"
        ),
    )


class ScoreSnapshot(SQLModel, table=True):
    """A supplier's scorecard as of a date, computed by a given formula version."""

    __tablename__ = "score_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    as_of: date
    since: date | None = None
    formula_version: str = Field(max_length=20)
    lines: int
    on_time_rate: float | None = None
    in_full_rate: float | None = None
    otif_rate: float | None = None
    score: float | None = None
    score_low: float | None = None
    score_high: float | None = None
    standing: str = Field(max_length=20)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint("lines >= 0", name="ck_snapshot_lines"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 1)", name="ck_snapshot_score"),
        CheckConstraint(one_of("standing", STANDINGS), name="ck_snapshot_standing"),
        UniqueConstraint("supplier_id", "as_of", "formula_version", name="uq_snapshot_day"),
    )


class Slip(SQLModel, table=True):
    """Evidence that an open PO line will not arrive as promised."""

    __tablename__ = "slip"

    id: int | None = Field(default=None, primary_key=True)
    po_line_id: int = Field(foreign_key="po_line.id", index=True)
    signal: str = Field(max_length=20)
    detected_on: date
    new_date: date | None = None
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    handled_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=2000)
    # When the slipped event went out; events are not durable, the row is the fact.
    announced_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("signal", SLIP_SIGNALS), name="ck_slip_signal"),
        UniqueConstraint("po_line_id", "signal", "detected_on", name="uq_slip_day"),
    )
