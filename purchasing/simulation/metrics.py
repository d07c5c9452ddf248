"""The figures a purchasing lead asks for: how long customers wait, whether dates hold, cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from purchasing.simulation.store import LineOutcome, PolicyOutcome, Purchase


@dataclass(frozen=True)
class PolicyMetrics:
    """One policy's results over a run."""

    policy: str
    lines: int  # customer back-order lines
    fulfilled: int
    still_waiting: int  # not shipped when the run ended (their wait so far is counted)
    mean_wait_days: float
    p90_wait_days: float
    etas_announced: int
    eta_kept_share: float | None  # shipped on or before the first date announced
    purchase_cost: Decimal
    po_lines: int
    reroutes: int
    escalations: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "mean_wait_days": round(self.mean_wait_days, 3),
            "p90_wait_days": round(self.p90_wait_days, 3),
            "eta_kept_share": (
                None if self.eta_kept_share is None else round(self.eta_kept_share, 4)
            ),
            "purchase_cost": float(self.purchase_cost),
            "reroutes": self.reroutes,
            "lines": self.lines,
            "fulfilled": self.fulfilled,
            "still_waiting": self.still_waiting,
            "etas_announced": self.etas_announced,
            "po_lines": self.po_lines,
            "escalations": self.escalations,
        }


def waits(lines: Sequence[LineOutcome], last_day: int) -> list[int]:
    """Days each line waited from ordering to shipping (still waiting: until the run ended)."""
    return [
        (line.fulfilled_day if line.fulfilled_day is not None else last_day + 1) - line.ordered_day
        for line in lines
    ]


def eta_kept(lines: Sequence[LineOutcome], last_day: int) -> tuple[int, int]:
    """(kept, judged): lines with a first ETA that shipped by it, of those that can be judged.

    A line still waiting whose first ETA lies beyond the end of the run cannot be judged yet.
    """
    kept = judged = 0
    for line in lines:
        if line.first_eta_day is None:
            continue
        if line.fulfilled_day is None:
            if line.first_eta_day > last_day:
                continue
            judged += 1
            continue
        judged += 1
        kept += line.fulfilled_day <= line.first_eta_day
    return kept, judged


def purchase_cost(purchases: Sequence[Purchase]) -> Decimal:
    """What the PO lines cost; a line rerouted away was cancelled and is not paid for."""
    return sum(
        (Decimal(p.qty) * p.unit_price for p in purchases if not p.rerouted_away), Decimal(0)
    )


def policy_metrics(outcome: PolicyOutcome) -> PolicyMetrics:
    """The figures of one policy's run."""
    waited = waits(outcome.lines, outcome.last_day)
    kept, judged = eta_kept(outcome.lines, outcome.last_day)
    array = np.asarray(waited, dtype=np.float64)
    return PolicyMetrics(
        policy=outcome.policy,
        lines=len(outcome.lines),
        fulfilled=sum(line.fulfilled_day is not None for line in outcome.lines),
        still_waiting=sum(line.fulfilled_day is None for line in outcome.lines),
        mean_wait_days=float(array.mean()) if len(array) else 0.0,
        p90_wait_days=float(np.percentile(array, 90)) if len(array) else 0.0,
        etas_announced=sum(line.first_eta_day is not None for line in outcome.lines),
        eta_kept_share=kept / judged if judged else None,
        purchase_cost=purchase_cost(outcome.purchases),
        po_lines=len(outcome.purchases),
        reroutes=outcome.reroutes,
        escalations=outcome.escalations,
    )
