"""Reroute: move the back orders waiting on a slipped PO line to the best alternate, or not.

The alternate is chosen with the same rules as a reorder (:func:`choose_supplier`), with
the slipping supplier excluded on top of blocked suppliers and per-SKU blocks. A reroute
happens only when the alternate is expected meaningfully earlier than the slipped line's
new expected date; no eligible alternate means an escalation to a buyer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Literal

from purchasing.errors import InputRejected
from purchasing.etas import expected_arrival
from purchasing.shortages import BackorderDemand
from purchasing.slips import Signal
from purchasing.supplier_choice import (
    Candidate,
    ChoiceContext,
    NoSupplier,
    OfferRow,
    SupplierDecision,
    choose_supplier,
)

Action = Literal["reroute", "keep", "escalate", "nothing-waiting"]


@dataclass(frozen=True)
class RerouteRules:
    """How much earlier an alternate must arrive for a move to be worth it."""

    min_gain_days: int = 7
    # A line already N days late is expected at least this share of N days later still:
    # lateness is heavy-tailed, so the longer a line is late, the longer it stays late.
    overdue_remaining_share: float = 1.0

    def __post_init__(self) -> None:
        if self.min_gain_days < 0:
            raise InputRejected(f"reroute gain must not be negative: {self.min_gain_days}")
        if not 0 <= self.overdue_remaining_share <= 10:
            raise InputRejected(
                f"overdue remaining share must be between 0 and 10: {self.overdue_remaining_share}"
            )


@dataclass(frozen=True)
class SlippedLine:
    """An open PO line with unhandled slips, and the back orders still waiting on it."""

    po_line_id: int
    po_number: str
    line_no: int
    supplier: str
    sku: str
    qty: int
    received_qty: int
    status: str
    signals: tuple[Signal, ...]
    new_promise: date | None  # the date the evidence points to, if it gives one
    current_due: date | None  # the line's promise, else its quoted date
    waiting: tuple[BackorderDemand, ...]
    slip_reason: str = ""

    @property
    def where(self) -> str:
        return f"{self.po_number} line {self.line_no}"

    @property
    def waiting_qty(self) -> int:
        return sum(line.qty for line in self.waiting)


@dataclass(frozen=True)
class RerouteDecision:
    """What to do with one slipped line, with the reason code and sentence."""

    line: SlippedLine
    action: Action
    code: str
    reason: str
    slipped_expected: date | None
    choice: SupplierDecision | None = None
    candidates: tuple[Candidate, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        chosen = self.choice.chosen if self.choice is not None else None
        return {
            "action": self.action,
            "from_po": self.line.po_number,
            "from_line": self.line.line_no,
            "from_supplier": self.line.supplier,
            "sku": self.line.sku,
            "signals": list(self.line.signals),
            "slipped_expected": (
                None if self.slipped_expected is None else self.slipped_expected.isoformat()
            ),
            "to_supplier": None if chosen is None else chosen.supplier,
            "to_expected": (
                None
                if chosen is None or chosen.expected_arrival is None
                else chosen.expected_arrival.isoformat()
            ),
            "covers": [demand.line_id for demand in self.line.waiting],
            "reason_code": self.code,
            "reason": self.reason,
        }


def slipped_expected_date(
    line: SlippedLine, context: ChoiceContext, as_of: date, rules: RerouteRules | None = None
) -> date | None:
    """The slipped line's expected arrival on the same footing as the alternates' (policy pct).

    A line already past its date is expected no earlier than as-of plus the lateness still to
    come, at least ``overdue_remaining_share`` of the days it is already late.
    ``None`` when the evidence leaves no date to rely on: no stock and no restock date, or
    a blocked supplier, whose dates are not relied on at all.
    """
    rules = rules or RerouteRules()
    if "blocked" in line.signals:
        return None
    if "no-stock" in line.signals and line.new_promise is None:
        return None
    promise = max(
        (day for day in (line.new_promise, line.current_due) if day is not None), default=None
    )
    if promise is None:
        return None
    figures = context.reliability(line.supplier, line.sku)
    expected = expected_arrival(promise, figures, context.policy.arrival_percentile, as_of)
    late = (as_of - promise).days
    if late <= 0:
        return expected
    still_to_come = timedelta(days=math.ceil(late * rules.overdue_remaining_share - 1e-9))
    return max(expected, as_of + still_to_come)


def decide_reroute(
    line: SlippedLine,
    offers: Sequence[OfferRow],
    context: ChoiceContext,
    rules: RerouteRules | None = None,
) -> RerouteDecision:
    """Reroute the waiting back orders when an alternate is meaningfully earlier; say why."""
    rules = rules or RerouteRules()
    slipped = slipped_expected_date(line, context, context.as_of, rules)
    if not line.waiting:
        return RerouteDecision(
            line,
            "nothing-waiting",
            "nothing-waiting",
            f"{line.where}: no back order is waiting on it any more; nothing to move",
            slipped,
        )
    excluded = dict(context.blocked_suppliers)
    excluded.setdefault(line.supplier, f"slipping on {line.where}")
    without_slipper = replace(context, blocked_suppliers=excluded)
    choice = choose_supplier(line.sku, line.waiting_qty, offers, without_slipper)
    if isinstance(choice, NoSupplier):
        return _escalate(line, choice, slipped)
    alternate = choice.chosen
    arrival = alternate.expected_arrival
    assert arrival is not None
    gain_needed = rules.min_gain_days
    if slipped is None:
        blocked = "blocked" in line.signals
        why = (
            f"{line.supplier} is blocked: its dates are not relied on"
            if blocked
            else f"{line.where} ({line.supplier}) has no date left ({', '.join(line.signals)})"
        )
        return RerouteDecision(
            line,
            "reroute",
            "supplier-blocked" if blocked else "slipped-line-has-no-date",
            f"{why}; {alternate.supplier} is expected {arrival.isoformat()}. {choice.reason}",
            slipped,
            choice,
            choice.candidates,
        )
    gain = (slipped - arrival).days
    if gain >= gain_needed:
        return RerouteDecision(
            line,
            "reroute",
            "alternate-earlier",
            f"{alternate.supplier} is expected {arrival.isoformat()}, {gain} days before "
            f"{line.supplier}'s {slipped.isoformat()} on {line.where} "
            f"({', '.join(line.signals)}); at least {gain_needed} days earlier is required. "
            f"{choice.reason}",
            slipped,
            choice,
            choice.candidates,
        )
    return RerouteDecision(
        line,
        "keep",
        "alternate-not-earlier-enough",
        f"kept with {line.supplier}: expected {slipped.isoformat()} on {line.where}; the best "
        f"alternate {alternate.supplier} is expected {arrival.isoformat()} "
        f"({_gain_words(gain)}, {gain_needed} days earlier needed)",
        slipped,
        choice,
        choice.candidates,
    )


def _escalate(line: SlippedLine, choice: NoSupplier, slipped: date | None) -> RerouteDecision:
    when = "no date" if slipped is None else f"expected {slipped.isoformat()}"
    return RerouteDecision(
        line,
        "escalate",
        f"no-alternate:{choice.code}",
        f"{line.where} ({line.supplier}, {when}) slipped ({line.slip_reason}) and no other "
        f"supplier can take it: {choice.reason}. Kept; a buyer must act",
        slipped,
        None,
        choice.candidates,
    )


def _gain_words(gain: int) -> str:
    if gain > 0:
        return f"only {gain} days earlier"
    if gain == 0:
        return "the same day"
    return f"{-gain} days later"
