"""A reorder run's decisions: each shortage to a supplier's offer, or reported as uncovered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from purchasing.shortages import Shortage, SkuAllocation
from purchasing.supplier_choice import (
    Candidate,
    ChoiceContext,
    NoSupplier,
    OfferRow,
    SupplierDecision,
    choose_supplier,
)


@dataclass(frozen=True)
class PlannedLine:
    """A new PO line to raise: the shortage it buys for and the supplier decision."""

    shortage: Shortage
    decision: SupplierDecision

    @property
    def supplier(self) -> str:
        return self.decision.chosen.supplier


@dataclass(frozen=True)
class Uncovered:
    """A shortage nobody is ordering, with the reason code and sentence."""

    sku: str
    qty: int
    code: str
    reason: str
    covers: tuple[str, ...]
    candidates: tuple[Candidate, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "qty": self.qty,
            "reason": self.code,
            "detail": self.reason,
            "covers": list(self.covers),
        }


@dataclass(frozen=True)
class ReorderPlan:
    """Everything a reorder run decided, before anything is written."""

    allocations: tuple[SkuAllocation, ...]
    lines: tuple[PlannedLine, ...]
    uncovered: tuple[Uncovered, ...]

    def lines_by_supplier(self) -> dict[str, list[PlannedLine]]:
        grouped: dict[str, list[PlannedLine]] = defaultdict(list)
        for line in self.lines:
            grouped[line.supplier].append(line)
        return dict(grouped)


def plan_reorder(
    allocations: Iterable[SkuAllocation],
    offers_by_sku: Mapping[str, Sequence[OfferRow]],
    context: ChoiceContext,
) -> ReorderPlan:
    """Choose a supplier for every shortage, oldest need first so a spend cap favours it."""
    allocated = tuple(allocations)
    shortages = sorted(
        (a.shortage for a in allocated if a.shortage is not None),
        key=lambda s: (s.oldest or date.max, s.sku),
    )
    lines: list[PlannedLine] = []
    uncovered: list[Uncovered] = []
    spent = Decimal(0)
    cap = context.caps.max_run_spend
    for shortage in shortages:
        refs = tuple(line.line_id for line in shortage.covers)
        decision = choose_supplier(
            shortage.sku, shortage.qty, offers_by_sku.get(shortage.sku, ()), context
        )
        if isinstance(decision, NoSupplier):
            uncovered.append(
                Uncovered(
                    shortage.sku,
                    shortage.qty,
                    decision.code,
                    decision.reason,
                    refs,
                    decision.candidates,
                )
            )
            continue
        chosen = decision.chosen
        rate = context.rate(chosen.currency or context.base_currency) or Decimal(1)
        value = Decimal(decision.qty) * decision.unit_price * rate
        if cap is not None and spent + value > cap:
            uncovered.append(
                Uncovered(
                    shortage.sku,
                    shortage.qty,
                    "over-spend-cap",
                    f"SKU {shortage.sku}: {decision.qty} from {chosen.supplier} for "
                    f"{value:.2f} {context.base_currency} would take this run's spend over "
                    f"the cap of {cap} {context.base_currency}",
                    refs,
                    decision.candidates,
                )
            )
            continue
        spent += value
        lines.append(PlannedLine(shortage, decision))
    return ReorderPlan(allocated, tuple(lines), tuple(uncovered))
