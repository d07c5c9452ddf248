"""What supplier choice and customer ETAs need to know about a supplier's delivery record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Where the figures come from: the supplier×SKU history (used with at least
# MIN_SKU_LINES lines), the supplier's whole history, or nothing at all.
Basis = Literal["supplier-sku", "supplier", "none"]

MIN_SKU_LINES = 20


@dataclass(frozen=True)
class Reliability:
    """A supplier's (or supplier×SKU's) delivery reliability as of a date."""

    supplier: str
    sku: str | None
    basis: Basis
    lines: int
    on_time_rate: float | None
    score: float | None
    lateness_p50_days: float
    lateness_p80_days: float
    lateness_p90_days: float

    @classmethod
    def unknown(cls, supplier: str, sku: str | None = None) -> Reliability:
        """No history: no lateness assumed beyond the quote, no score."""
        return cls(supplier, sku, "none", 0, None, None, 0.0, 0.0, 0.0)
