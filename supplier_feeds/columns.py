"""The canonical columns of each kind of supplier file: name, type, whether required, limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["text", "int", "decimal", "date", "currency", "choice"]

KINDS = ("catalog", "deliveries", "confirmations", "stock", "backorders", "inventory")

DELIVERY_STATUSES = ("open", "received", "cancelled_by_us", "cancelled_by_supplier")
BACKORDER_FILE_STATUSES = ("open", "cancelled")


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its type, whether the kind needs it, and the values it accepts."""

    name: str
    type: ColumnType
    required: bool = False
    minimum: int | None = None  # smallest allowed number (0 or 1 for quantities)
    max_length: int | None = None  # text limit, matching the column in the system of record
    choices: tuple[str, ...] = ()


def _text(name: str, max_length: int, *, required: bool = False) -> ColumnSpec:
    return ColumnSpec(name, "text", required=required, max_length=max_length)


def _qty(name: str, minimum: int, *, required: bool = False) -> ColumnSpec:
    return ColumnSpec(name, "int", required=required, minimum=minimum)


def _date(name: str, *, required: bool = False) -> ColumnSpec:
    return ColumnSpec(name, "date", required=required)


SUPPLIER = _text("supplier", 200, required=True)
SKU = _text("sku", 100, required=True)

COLUMNS: dict[str, tuple[ColumnSpec, ...]] = {
    "catalog": (
        SUPPLIER,
        SKU,
        _text("supplier_sku", 100),
        ColumnSpec("unit_price", "decimal", required=True, minimum=0),
        ColumnSpec("currency", "currency"),
        _qty("moq", 1),
        _qty("order_multiple", 1),
        _qty("lead_time_days", 0, required=True),
        _qty("min_qty", 1),
        # Per-unit costs on top of the price, in the offer's currency (landed cost).
        ColumnSpec("freight_per_unit", "decimal", minimum=0),
        ColumnSpec("duty_per_unit", "decimal", minimum=0),
        _date("valid_from"),
        _date("valid_to"),
    ),
    "deliveries": (
        SUPPLIER,
        _text("po_number", 100),
        _text("line_id", 100),
        SKU,
        _qty("ordered_qty", 1, required=True),
        _date("promised_date", required=True),
        _date("received_date"),
        _qty("received_qty", 0),
        _date("order_date"),
        ColumnSpec("status", "choice", choices=DELIVERY_STATUSES),
    ),
    "confirmations": (
        SUPPLIER,
        _text("po_number", 40, required=True),
        SKU,
        _qty("confirmed_qty", 1, required=True),
        _date("confirmed_date", required=True),
    ),
    "stock": (
        SUPPLIER,
        # One of sku / supplier_sku is needed; validation checks the pair.
        _text("sku", 100),
        _text("supplier_sku", 100),
        _qty("available_qty", 0, required=True),
        _date("next_available_date"),
    ),
    "backorders": (
        _text("order_id", 100, required=True),
        _text("line_id", 100),
        SKU,
        _qty("qty", 1, required=True),
        _date("ordered_at", required=True),
        _date("promised_date"),
        _text("customer_email", 320),
        ColumnSpec("status", "choice", choices=BACKORDER_FILE_STATUSES),
    ),
    "inventory": (
        SKU,
        _qty("on_hand", 0, required=True),
    ),
}

# Columns that identify a row; two rows of one file with the same key contradict each other.
DUPLICATE_KEYS: dict[str, tuple[str, ...]] = {
    "catalog": ("supplier", "sku", "min_qty", "valid_from"),
    "deliveries": ("supplier", "po_number", "line_key"),
    "confirmations": ("supplier", "po_number", "sku"),
    "stock": ("supplier", "sku", "supplier_sku"),
    "backorders": ("order_id", "line_id"),
    "inventory": ("sku",),
}


def columns_of(kind: str) -> tuple[ColumnSpec, ...]:
    """The canonical columns of a kind (the caller has checked the kind exists)."""
    return COLUMNS[kind]


def spec_of(kind: str, name: str) -> ColumnSpec:
    """The spec of one canonical column of a kind."""
    for spec in COLUMNS[kind]:
        if spec.name == name:
            return spec
    raise KeyError(name)


def has_supplier_column(kind: str) -> bool:
    """Whether files of this kind name a supplier (back orders and inventory do not)."""
    return any(spec.name == "supplier" for spec in COLUMNS[kind])
