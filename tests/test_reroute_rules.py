"""Reroute as rules: the alternate must be meaningfully earlier; no alternate is an escalation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from purchasing.errors import InputRejected
from purchasing.reliability import Reliability
from purchasing.reroute import RerouteRules, SlippedLine, decide_reroute
from purchasing.shortages import BackorderDemand
from purchasing.slips import Signal
from purchasing.supplier_choice import ChoiceContext, OfferRow

AS_OF = date(2026, 12, 3)


def offers(*rows: tuple[str, str, int]) -> list[OfferRow]:
    return [
        OfferRow(n, supplier, "SKU-1", Decimal(price), lead, price_list_id=n)
        for n, (supplier, price, lead) in enumerate(rows, start=1)
    ]


def slipped(
    *signals: Signal, due: date | None = AS_OF + timedelta(days=90), waiting: int = 1
) -> SlippedLine:
    demands = tuple(
        BackorderDemand(n, f"SO-{n}-1", "SKU-1", 2, AS_OF - timedelta(days=9))
        for n in range(waiting)
    )
    return SlippedLine(
        po_line_id=11,
        po_number="PO-000001",
        line_no=1,
        supplier="Acme",
        sku="SKU-1",
        qty=2 * max(waiting, 1),
        received_qty=0,
        status="sent",
        signals=signals or ("re-promised",),
        new_promise=None,
        current_due=due,
        waiting=demands,
        slip_reason="re-promised 90 days late",
    )


CONTEXT = ChoiceContext(as_of=AS_OF)
MARKET = offers(("Acme", "9.00", 5), ("Beta", "10.00", 10), ("Gamma", "10.20", 12))


def test_the_slipping_supplier_is_never_the_alternate_even_when_cheapest() -> None:
    decision = decide_reroute(slipped(), MARKET, CONTEXT)
    assert decision.action == "reroute"
    assert decision.choice is not None
    assert decision.choice.chosen.supplier == "Beta"
    assert all(c.supplier != "Acme" or not c.eligible for c in decision.candidates)


def test_a_reroute_gives_the_gain_in_days_and_the_choice_reason() -> None:
    decision = decide_reroute(slipped(), MARKET, CONTEXT)
    assert decision.code == "alternate-earlier"
    assert "80 days before" in decision.reason
    assert "Beta" in decision.reason


def test_an_alternate_only_a_few_days_earlier_keeps_the_line() -> None:
    decision = decide_reroute(slipped(due=AS_OF + timedelta(days=14)), MARKET, CONTEXT)
    assert decision.action == "keep"
    assert decision.code == "alternate-not-earlier-enough"
    assert "only 4 days earlier" in decision.reason


def test_the_required_gain_is_configurable() -> None:
    rules = RerouteRules(min_gain_days=3)
    decision = decide_reroute(slipped(due=AS_OF + timedelta(days=14)), MARKET, CONTEXT, rules)
    assert decision.action == "reroute"


def test_the_slipped_date_includes_the_suppliers_learned_lateness() -> None:
    late = Reliability("Acme", "SKU-1", "supplier", 40, 0.5, 0.5, 10.0, 20.0, 30.0)
    context = ChoiceContext(
        as_of=AS_OF,
        reliability=lambda s, k: late if s == "Acme" else Reliability.unknown(s, k),
    )
    decision = decide_reroute(slipped(due=AS_OF + timedelta(days=3)), MARKET, context)
    assert decision.slipped_expected == AS_OF + timedelta(days=3 + 20)  # p80 of the policy
    assert decision.action == "reroute"


def test_an_overdue_line_is_expected_at_least_as_late_again_as_it_already_is() -> None:
    # 20 days late: 20 more days to come at least, though its supplier's p80 lateness is 0.
    overdue = slipped("overdue", due=AS_OF - timedelta(days=20))
    decision = decide_reroute(overdue, MARKET, CONTEXT)
    assert decision.slipped_expected == AS_OF + timedelta(days=20)
    assert decision.action == "reroute"  # Beta, 10 days out, is 10 days earlier


def test_a_line_only_just_late_is_kept_when_the_alternate_is_no_sooner() -> None:
    overdue = slipped("overdue", due=AS_OF - timedelta(days=4))
    decision = decide_reroute(overdue, MARKET, CONTEXT)
    assert decision.slipped_expected == AS_OF + timedelta(days=4)
    assert decision.action == "keep"


def test_the_lateness_still_to_come_is_a_configurable_share_of_the_lateness_so_far() -> None:
    overdue = slipped("overdue", due=AS_OF - timedelta(days=20))
    rules = RerouteRules(overdue_remaining_share=0.5)
    assert decide_reroute(overdue, MARKET, CONTEXT, rules).slipped_expected == AS_OF + timedelta(
        days=10
    )


def test_learned_lateness_beyond_the_lateness_so_far_still_counts() -> None:
    late = Reliability("Acme", "SKU-1", "supplier", 40, 0.5, 0.5, 10.0, 30.0, 40.0)
    context = ChoiceContext(
        as_of=AS_OF,
        reliability=lambda s, k: late if s == "Acme" else Reliability.unknown(s, k),
    )
    overdue = slipped("overdue", due=AS_OF - timedelta(days=5))
    decision = decide_reroute(overdue, MARKET, context)
    assert decision.slipped_expected == AS_OF + timedelta(days=25)  # due + p80 30 > as-of + 5


@pytest.mark.parametrize("share", [-0.1, 10.5])
def test_reroute_rules_refuse_a_remaining_share_out_of_range(share: float) -> None:
    with pytest.raises(InputRejected):
        RerouteRules(overdue_remaining_share=share)


def test_no_eligible_alternate_is_an_escalation_and_the_line_is_kept() -> None:
    only_acme = offers(("Acme", "9.00", 5))
    decision = decide_reroute(slipped(), only_acme, CONTEXT)
    assert decision.action == "escalate"
    assert decision.code.startswith("no-alternate")
    assert "a buyer must act" in decision.reason


def test_blocked_suppliers_and_per_sku_blocks_are_no_alternates() -> None:
    context = ChoiceContext(
        as_of=AS_OF,
        blocked_suppliers={"Beta": "blocked by its delivery score"},
        sku_blocks={("Gamma", "SKU-1"): "wrong spec"},
    )
    decision = decide_reroute(slipped(), MARKET, context)
    assert decision.action == "escalate"


def test_a_blocked_suppliers_dates_are_not_relied_on() -> None:
    decision = decide_reroute(slipped("blocked", due=AS_OF + timedelta(days=2)), MARKET, CONTEXT)
    assert decision.action == "reroute"
    assert decision.code == "supplier-blocked"


def test_no_stock_and_no_restock_date_leaves_no_date_to_wait_for() -> None:
    decision = decide_reroute(slipped("no-stock", due=AS_OF + timedelta(days=2)), MARKET, CONTEXT)
    assert decision.code == "slipped-line-has-no-date"


def test_a_line_nobody_waits_on_any_more_is_left_alone() -> None:
    decision = decide_reroute(slipped(waiting=0), MARKET, CONTEXT)
    assert decision.action == "nothing-waiting"
