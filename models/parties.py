"""Suppliers, SKUs, standings and per-SKU buying rules."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.statuses import MANUAL_STANDINGS, SKU_RULES, STANDINGS, one_of
from models.types import utcnow


class Supplier(SQLModel, table=True):
    """A supplier, named as its files name it (surrounding spaces trimmed)."""

    __tablename__ = "supplier"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    currency: str = Field(default="USD", max_length=3)
    po_email: str | None = Field(default=None, max_length=320)
    po_drop_folder: str | None = Field(default=None, max_length=1000)
    late_tolerance_days: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint("late_tolerance_days >= 0", name="ck_supplier_tolerance"),
        CheckConstraint("length(trim(name)) > 0", name="ck_supplier_name"),
    )


class Sku(SQLModel, table=True):
    """A stock-keeping unit of the store; codes are text (``0042`` and ``NA`` stay as written)."""

    __tablename__ = "sku"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    description: str | None = Field(default=None, max_length=500)
    safety_stock: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (CheckConstraint("safety_stock >= 0", name="ck_sku_safety_stock"),)


class StandingOverride(SQLModel, table=True):
    """A buyer's manual standing for a supplier, in force from ``set_on`` through ``until``."""

    __tablename__ = "standing_override"

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    standing: str = Field(max_length=20)
    reason: str = Field(max_length=1000)
    set_by: str = Field(max_length=200)
    set_on: date
    until: date | None = None
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("standing", MANUAL_STANDINGS), name="ck_override_standing"),
        CheckConstraint("until IS NULL OR until >= set_on", name="ck_override_until"),
        CheckConstraint("length(trim(reason)) > 0", name="ck_override_reason"),
    )


class StandingChange(SQLModel, table=True):
    """Every transition of a supplier's standing, computed or manual."""

    __tablename__ = "standing_change"

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    as_of: date
    from_standing: str = Field(max_length=20)
    to_standing: str = Field(max_length=20)
    source: str = Field(max_length=20)  # "score" or "manual"
    reason: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("from_standing", STANDINGS), name="ck_change_from"),
        CheckConstraint(one_of("to_standing", STANDINGS), name="ck_change_to"),
        UniqueConstraint("supplier_id", "as_of", "source", name="uq_standing_change_day"),
    )


class SkuRule(SQLModel, table=True):
    """A buyer's per-SKU rule: pin the SKU to a supplier, or block a supplier for it."""

    __tablename__ = "sku_rule"

    id: int | None = Field(default=None, primary_key=True)
    sku_id: int = Field(foreign_key="sku.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    rule: str = Field(max_length=10)  # "pin" or "block"
    reason: str = Field(max_length=1000)
    set_by: str = Field(max_length=200)
    set_on: date
    until: date | None = None
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("rule", SKU_RULES), name="ck_sku_rule_kind"),
        Index("ix_sku_rule_supplier", "supplier_id", "sku_id"),
    )
