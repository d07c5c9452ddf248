"""Price lists, offers, exchange rates and stock figures."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import Money, utcnow


class PriceList(SQLModel, table=True):
    """One accepted catalog file for one supplier; a newer list supersedes older ones."""

    __tablename__ = "price_list"

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    file_id: int = Field(foreign_key="ingested_file.id")
    effective_from: date | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Offer(SQLModel, table=True):
    """A supplier's offer for a SKU: price (optionally a price break), MOQ, multiple, lead time."""

    __tablename__ = "offer"

    id: int | None = Field(default=None, primary_key=True)
    price_list_id: int = Field(foreign_key="price_list.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    sku_id: int = Field(foreign_key="sku.id")
    supplier_sku: str | None = Field(default=None, max_length=100)
    unit_price: Decimal = Field(sa_column=Column(Money(), nullable=False))
    currency: str = Field(default="USD", max_length=3)
    moq: int = Field(default=1)
    order_multiple: int = Field(default=1)
    min_qty: int = Field(default=1)
    lead_time_days: int
    freight_per_unit: Decimal | None = Field(default=None, sa_column=Column(Money()))
    duty_per_unit: Decimal | None = Field(default=None, sa_column=Column(Money()))
    valid_from: date | None = None
    valid_to: date | None = None

    __table_args__ = (
        CheckConstraint("CAST(unit_price AS REAL) >= 0", name="ck_offer_price"),
        CheckConstraint("moq > 0", name="ck_offer_moq"),
        CheckConstraint("order_multiple > 0", name="ck_offer_multiple"),
        CheckConstraint("min_qty > 0", name="ck_offer_min_qty"),
        CheckConstraint("lead_time_days >= 0", name="ck_offer_lead_time"),
        CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
            name="ck_offer_validity",
        ),
        Index("ix_offer_supplier_sku", "supplier_id", "sku_id"),
        Index("ix_offer_sku", "sku_id"),
    )


class ExchangeRate(SQLModel, table=True):
    """How many base-currency units one unit of ``currency`` is worth, from a date."""

    __tablename__ = "exchange_rate"

    id: int | None = Field(default=None, primary_key=True)
    currency: str = Field(max_length=3)
    rate_to_base: Decimal = Field(sa_column=Column(Money(), nullable=False))
    valid_from: date

    __table_args__ = (
        CheckConstraint("CAST(rate_to_base AS REAL) > 0", name="ck_rate_positive"),
        UniqueConstraint("currency", "valid_from", name="uq_rate_day"),
    )


class StockOnHand(SQLModel, table=True):
    """Our own stock of a SKU, as last counted or booked."""

    __tablename__ = "stock_on_hand"

    sku_id: int = Field(foreign_key="sku.id", primary_key=True)
    on_hand: int
    counted_on: date | None = None
    updated_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (CheckConstraint("on_hand >= 0", name="ck_stock_on_hand"),)


class InventoryAdjustment(SQLModel, table=True):
    """The difference between what procure believed was on the shelf and a count."""

    __tablename__ = "inventory_adjustment"

    id: int | None = Field(default=None, primary_key=True)
    sku_id: int = Field(foreign_key="sku.id", index=True)
    file_id: int = Field(foreign_key="ingested_file.id")
    believed: int
    counted: int
    counted_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (CheckConstraint("counted >= 0", name="ck_adjustment_counted"),)


class SupplierStock(SQLModel, table=True):
    """A supplier's reported availability of a SKU (one row per stock file and SKU)."""

    __tablename__ = "supplier_stock"

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    sku_id: int = Field(foreign_key="sku.id")
    file_id: int = Field(foreign_key="ingested_file.id")
    available_qty: int
    next_available_date: date | None = None
    reported_on: date

    __table_args__ = (
        CheckConstraint("available_qty >= 0", name="ck_supplier_stock_qty"),
        UniqueConstraint("file_id", "supplier_id", "sku_id", name="uq_supplier_stock_file"),
        Index("ix_supplier_stock_latest", "supplier_id", "sku_id", "reported_on"),
    )
