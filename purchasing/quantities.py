"""Order quantities: MOQ and order multiples, price breaks, and the optional caps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from purchasing.errors import InputRejected


@dataclass(frozen=True)
class PriceBreak:
    """One price row of an offer: ``unit_price`` applies from ``min_qty`` units upwards."""

    min_qty: int
    unit_price: Decimal


@dataclass(frozen=True)
class QuantityCaps:
    """Limits a buyer may switch on; both are off (``None``) by default."""

    max_line_qty: int | None = None
    max_run_spend: Decimal | None = None

    def __post_init__(self) -> None:
        if self.max_line_qty is not None and self.max_line_qty <= 0:
            raise InputRejected(f"max_line_qty must be above 0, got {self.max_line_qty}")
        if self.max_run_spend is not None and self.max_run_spend < 0:
            raise InputRejected(f"max_run_spend must not be negative, got {self.max_run_spend}")


def order_quantity(shortage: int, *, moq: int = 1, order_multiple: int = 1) -> int:
    """The smallest multiple of ``order_multiple`` that is at least max(shortage, moq)."""
    if shortage <= 0:
        raise InputRejected(f"a shortage to order must be above 0, got {shortage}")
    if moq <= 0:
        raise InputRejected(f"MOQ must be above 0, got {moq}")
    if order_multiple <= 0:
        raise InputRejected(f"order multiple must be above 0, got {order_multiple}")
    needed = max(shortage, moq)
    return -(-needed // order_multiple) * order_multiple


def price_at(breaks: Sequence[PriceBreak], qty: int) -> PriceBreak | None:
    """The price row with the highest ``min_qty`` not above ``qty`` (``None`` if none applies)."""
    applicable = [row for row in breaks if row.min_qty <= qty]
    if not applicable:
        return None
    return max(applicable, key=lambda row: (row.min_qty, -row.unit_price))


def over_line_cap(qty: int, caps: QuantityCaps) -> bool:
    """Whether a line of ``qty`` units breaks the per-line quantity cap."""
    return caps.max_line_qty is not None and qty > caps.max_line_qty
