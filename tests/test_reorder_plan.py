"""A run's plan: every shortage goes to a supplier or is reported, and the spend cap holds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from purchasing.quantities import QuantityCaps
from purchasing.reorder_plan import plan_reorder
from purchasing.shortages import BackorderDemand, allocate
from purchasing.supplier_choice import ChoiceContext, OfferRow

AS_OF = date(2026, 12, 1)


def demand(number: int, sku: str, qty: int, day: int) -> BackorderDemand:
    return BackorderDemand(number, f"L{number}", sku, qty, date(2026, 11, day), f"SO-{number}")


OFFERS = {
    sku: [OfferRow(n, "Contoso", sku, Decimal("10"), 7)]
    for n, sku in enumerate(("SKU-A", "SKU-B", "SKU-C"), start=1)
}


def test_without_caps_every_shortage_gets_a_line() -> None:
    allocations = allocate([demand(1, "SKU-A", 5, 1), demand(2, "SKU-B", 5, 2)], on_hand={})
    plan = plan_reorder(allocations, OFFERS, ChoiceContext(as_of=AS_OF))
    assert [line.shortage.sku for line in plan.lines] == ["SKU-A", "SKU-B"]
    assert plan.uncovered == ()


def test_the_spend_cap_orders_the_oldest_needs_first_and_reports_the_rest() -> None:
    lines = [demand(1, "SKU-C", 5, 3), demand(2, "SKU-A", 5, 1), demand(3, "SKU-B", 5, 2)]
    context = ChoiceContext(as_of=AS_OF, caps=QuantityCaps(max_run_spend=Decimal("100")))
    plan = plan_reorder(allocate(lines, on_hand={}), OFFERS, context)
    assert [line.shortage.sku for line in plan.lines] == ["SKU-A", "SKU-B"]
    [over] = plan.uncovered
    assert (over.sku, over.qty, over.code, over.covers) == ("SKU-C", 5, "over-spend-cap", ("L1",))


def test_a_shortage_with_no_offer_is_uncovered_with_its_back_order_lines() -> None:
    plan = plan_reorder(
        allocate([demand(1, "SKU-Z", 2, 1)], on_hand={}), OFFERS, ChoiceContext(as_of=AS_OF)
    )
    assert [item.as_dict() for item in plan.uncovered] == [
        {
            "sku": "SKU-Z",
            "qty": 2,
            "reason": "no-offer",
            "detail": "no supplier offers SKU SKU-Z",
            "covers": ["L1"],
        }
    ]
