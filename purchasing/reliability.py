"""What supplier choice and customer ETAs need to know about a supplier's delivery record."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from purchasing.scoring import Scores
    from purchasing.scoring_params import ScoringParams

# Where the figures come from: the supplier×SKU history (used with at least
# MIN_SKU_LINES lines), the supplier's whole history, or nothing at all.
Basis = Literal["supplier-sku", "supplier", "none"]

MIN_SKU_LINES = 20

# The lateness percentiles learned per supplier: what supplier choice and ETAs plan on.
Percentile = Literal[50, 80, 90]


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
    # Actual lead time (complete − order date) learned from history; None without order dates.
    lead_time_p50_days: float | None = None
    lead_time_p90_days: float | None = None

    @classmethod
    def unknown(cls, supplier: str, sku: str | None = None) -> Reliability:
        """No history: no lateness assumed beyond the quote, no score."""
        return cls(supplier, sku, "none", 0, None, None, 0.0, 0.0, 0.0)


def lateness_allowance(reliability: Reliability, percentile: Percentile) -> int:
    """Whole days of learned lateness at ``percentile``; early history never shortens a promise."""
    days = {
        50: reliability.lateness_p50_days,
        80: reliability.lateness_p80_days,
        90: reliability.lateness_p90_days,
    }[percentile]
    # Early deliveries never shorten a date we plan on: early already counts as on time.
    if days is None or math.isnan(days):
        return 0
    return max(0, math.ceil(days - 1e-9))


class ReliabilityBook:
    """Reliability figures per supplier and supplier×SKU, looked up the way PRODUCT.md says."""

    def __init__(
        self,
        as_of: date,
        by_supplier: dict[str, Reliability],
        by_supplier_sku: dict[tuple[str, str], Reliability],
        min_sku_lines: int = MIN_SKU_LINES,
    ) -> None:
        self.as_of = as_of
        self._by_supplier = by_supplier
        self._by_supplier_sku = by_supplier_sku
        self.min_sku_lines = min_sku_lines

    def lookup(self, supplier: str, sku: str) -> Reliability:
        """Supplier×SKU figures with enough lines, else the supplier's, else unknown."""
        paired = self._by_supplier_sku.get((supplier, sku))
        if paired is not None and paired.lines >= self.min_sku_lines:
            return paired
        own = self._by_supplier.get(supplier)
        if own is None or own.lines == 0:
            return Reliability.unknown(supplier, sku)
        return Reliability(
            supplier,
            sku,
            "supplier",
            own.lines,
            own.on_time_rate,
            own.score,
            own.lateness_p50_days,
            own.lateness_p80_days,
            own.lateness_p90_days,
            own.lead_time_p50_days,
            own.lead_time_p90_days,
        )

    def supplier(self, supplier: str) -> Reliability:
        """The supplier's own figures (or unknown)."""
        return self._by_supplier.get(supplier) or Reliability.unknown(supplier)

    def suppliers(self) -> Iterator[Reliability]:
        """Every supplier's own figures."""
        return iter(self._by_supplier.values())


def build_reliability(
    deliveries: pd.DataFrame, as_of: date, params: ScoringParams | None = None
) -> ReliabilityBook:
    """Reliability of every supplier and supplier×SKU from its whole history up to ``as_of``."""
    # Imported here: the scoring modules import MIN_SKU_LINES from this module.
    from purchasing.scoring import score_deliveries
    from purchasing.scoring_params import ScoringParams

    params = params or ScoringParams()
    return reliability_book(score_deliveries(deliveries, as_of, since=None, params=params), params)


def reliability_book(scores: Scores, params: ScoringParams) -> ReliabilityBook:
    """The reliability book of scores already computed over the whole history."""
    # Separate from build_reliability so one scoring pass can feed both the book and the
    # standings (the decision simulator needs both on every simulated day).
    by_supplier = {
        str(record["supplier"]): _from_record(record, "supplier")
        for record in scores.suppliers.to_dict("records")
        if record["lines"] > 0
    }
    eligible = scores.supplier_skus[scores.supplier_skus["lines"] >= params.min_sku_lines]
    by_supplier_sku = {
        (str(record["supplier"]), str(record["sku"])): _from_record(record, "supplier-sku")
        for record in eligible.to_dict("records")
    }
    return ReliabilityBook(scores.as_of, by_supplier, by_supplier_sku, params.min_sku_lines)


def _from_record(record: dict[Hashable, Any], basis: Basis) -> Reliability:
    def number(name: str) -> float | None:
        value = float(record[name])
        return None if np.isnan(value) else value

    return Reliability(
        supplier=str(record["supplier"]),
        sku=str(record["sku"]) if basis == "supplier-sku" else None,
        basis=basis,
        lines=int(record["lines"]),
        on_time_rate=number("on_time_rate"),
        score=number("score"),
        # No judged line with a lateness (all cancelled by the supplier): assume none.
        lateness_p50_days=number("lateness_p50_days") or 0.0,
        lateness_p80_days=number("lateness_p80_days") or 0.0,
        lateness_p90_days=number("lateness_p90_days") or 0.0,
        lead_time_p50_days=number("lead_time_p50_days"),
        lead_time_p90_days=number("lead_time_p90_days"),
    )
