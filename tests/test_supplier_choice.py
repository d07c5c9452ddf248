"""Supplier choice: the earliest reliable arrival within 5% of the cheapest eligible offer."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from purchasing.quantities import QuantityCaps
from purchasing.reliability import Reliability
from purchasing.supplier_choice import (
    CHEAPEST,
    ChoiceContext,
    ChoicePolicy,
    NoSupplier,
    OfferRow,
    PriceListInfo,
    SupplierDecision,
    choose_supplier,
    current_price_lists,
)

AS_OF = date(2026, 6, 1)


def offer(supplier: str, price: str, lead: int = 7, **fields: object) -> OfferRow:
    number = abs(hash((supplier, price, lead, tuple(fields.items())))) % 10**6
    return OfferRow(
        offer_id=number,
        supplier=supplier,
        sku="SKU-1",
        unit_price=Decimal(price),
        lead_time_days=lead,
        **fields,  # type: ignore[arg-type]
    )


def reliability(table: dict[str, tuple[float, float]]) -> object:
    """A lookup from supplier → (on-time rate, p80 lateness in days)."""

    def lookup(supplier: str, sku: str) -> Reliability:
        if supplier not in table:
            return Reliability.unknown(supplier, sku)
        rate, p80 = table[supplier]
        return Reliability(supplier, sku, "supplier", 40, rate, rate, p80 / 2, p80, p80 * 1.5)

    return lookup


def choose(rows: list[OfferRow], qty: int = 10, **context: object) -> SupplierDecision | NoSupplier:
    return choose_supplier("SKU-1", qty, rows, ChoiceContext(as_of=AS_OF, **context))  # type: ignore[arg-type]


def chosen(rows: list[OfferRow], qty: int = 10, **context: object) -> SupplierDecision:
    decision = choose(rows, qty, **context)
    assert isinstance(decision, SupplierDecision), decision
    return decision


def test_the_earlier_of_two_offers_within_5_percent_wins() -> None:
    decision = chosen([offer("Contoso", "10.00", lead=20), offer("Northwind", "10.30", lead=5)])
    assert decision.chosen.supplier == "Northwind"
    assert decision.code == "earliest-within-price-band"


def test_an_offer_more_than_5_percent_dearer_loses_even_if_earlier() -> None:
    decision = chosen([offer("Contoso", "10.00", lead=20), offer("Northwind", "10.60", lead=5)])
    assert decision.chosen.supplier == "Contoso"
    assert decision.code == "cheapest-earlier-too-dear"


def test_reliable_supplier_preferred_over_a_slightly_cheaper_unreliable_one() -> None:
    rows = [offer("Contoso", "10.00", lead=7), offer("Northwind", "10.30", lead=7)]
    decision = chosen(
        rows, reliability=reliability({"Contoso": (0.5, 17.0), "Northwind": (0.97, 0.0)})
    )
    assert decision.chosen.supplier == "Northwind"
    assert decision.reason == (
        "Northwind: arrives 8 Jun (p80), 3% dearer than Contoso, "
        "which arrives 25 Jun (p80, 50% on time)"
    )


def test_expected_arrival_is_lead_time_plus_learned_lateness_at_p80() -> None:
    decision = chosen(
        [offer("Contoso", "10", lead=7)], reliability=reliability({"Contoso": (0.6, 4.2)})
    )
    assert decision.chosen.expected_arrival == date(2026, 6, 13)  # 7 + ceil(4.2)


def test_the_policy_is_configurable() -> None:
    rows = [offer("Contoso", "10.00", lead=20), offer("Northwind", "10.30", lead=5)]
    assert chosen(rows, policy=CHEAPEST).chosen.supplier == "Contoso"
    wide = ChoicePolicy(name="within-10pct", price_tolerance=Decimal("0.10"))
    rows = [offer("Contoso", "10.00", lead=20), offer("Northwind", "10.90", lead=5)]
    assert chosen(rows, policy=wide).chosen.supplier == "Northwind"


def test_blocked_supplier_is_never_chosen() -> None:
    rows = [offer("Contoso", "5.00", lead=1), offer("Northwind", "10.00", lead=30)]
    decision = chosen(rows, blocked_suppliers={"Contoso": "blocked by hand"})
    assert decision.chosen.supplier == "Northwind"
    [blocked] = [c for c in decision.candidates if c.supplier == "Contoso"]
    assert (blocked.eligible, blocked.code) == (False, "supplier-blocked")


def test_only_blocked_suppliers_leave_the_shortage_uncovered() -> None:
    decision = choose([offer("Contoso", "5")], blocked_suppliers={"Contoso": "late"})
    assert isinstance(decision, NoSupplier)
    assert (decision.code, decision.qty) == ("supplier-blocked", 10)


def test_a_per_sku_block_excludes_the_supplier_for_that_sku_only() -> None:
    rows = [offer("Contoso", "5"), offer("Northwind", "10")]
    decision = chosen(rows, sku_blocks={("Contoso", "SKU-1"): "quality"})
    assert decision.chosen.supplier == "Northwind"


def test_no_offer_at_all_is_reported() -> None:
    decision = choose([])
    assert isinstance(decision, NoSupplier)
    assert decision.code == "no-offer"


def test_an_offer_in_a_currency_without_exchange_rate_is_not_eligible() -> None:
    decision = choose([offer("Contoso", "5", currency="EUR")])
    assert isinstance(decision, NoSupplier)
    assert decision.code == "no-exchange-rate"


def test_landed_cost_converts_currency_and_adds_freight_and_duty() -> None:
    rows = [
        offer("Contoso", "10.00", currency="EUR", freight_per_unit=Decimal("1.00")),
        offer("Northwind", "12.00"),
    ]
    decision = chosen(rows, rates={"EUR": Decimal("1.10")}, policy=CHEAPEST)
    [contoso] = [c for c in decision.candidates if c.supplier == "Contoso"]
    assert contoso.landed_unit_cost == Decimal("12.1000")  # (10 + 1) × 1.10
    assert decision.chosen.supplier == "Northwind"


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "eligible"),
    [
        (None, None, True),
        (date(2026, 5, 1), date(2026, 6, 30), True),
        (date(2026, 6, 2), None, False),
        (None, date(2026, 5, 31), False),
    ],
)
def test_an_offer_must_be_valid_on_the_date(
    valid_from: date | None, valid_to: date | None, eligible: bool
) -> None:
    decision = choose([offer("Contoso", "5", valid_from=valid_from, valid_to=valid_to)])
    assert isinstance(decision, SupplierDecision) is eligible


def test_a_newer_price_list_supersedes_undated_offers_of_the_older_one() -> None:
    old = offer("Contoso", "5.00", price_list_id=1)
    new = offer("Contoso", "6.00", price_list_id=2)
    lists = current_price_lists([PriceListInfo(1, "Contoso"), PriceListInfo(2, "Contoso")], AS_OF)
    decision = chosen([old, new], current_price_lists=lists)
    assert decision.chosen.unit_price == Decimal("6.00")


def test_the_price_break_applies_at_the_rounded_quantity() -> None:
    rows = [
        offer("Contoso", "10.00", moq=1, order_multiple=50, min_qty=1),
        offer("Contoso", "9.00", moq=1, order_multiple=50, min_qty=50),
    ]
    decision = chosen(rows, qty=30)
    assert (decision.qty, decision.unit_price) == (50, Decimal("9.00"))


def test_an_offer_over_the_quantity_cap_is_not_ordered() -> None:
    decision = choose([offer("Contoso", "5", moq=500)], caps=QuantityCaps(max_line_qty=100))
    assert isinstance(decision, NoSupplier)
    assert decision.code == "over-quantity-cap"


def test_a_pinned_supplier_wins_while_eligible() -> None:
    rows = [offer("Contoso", "5"), offer("Northwind", "10")]
    decision = chosen(rows, pins={"SKU-1": "Northwind"})
    assert (decision.chosen.supplier, decision.code) == ("Northwind", "pinned")


def test_ranked_candidates_are_json_ready() -> None:
    decision = chosen([offer("Contoso", "10"), offer("Northwind", "10.20", lead=3)])
    candidates = json.loads(json.dumps(decision.candidates_json()))
    assert [c["supplier"] for c in candidates] == ["Northwind", "Contoso"]
    assert [c["rank"] for c in candidates] == [1, 2]
