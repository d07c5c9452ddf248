"""Order quantities respect MOQ and order multiples; price breaks; caps are off by default."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purchasing.errors import InputRejected
from purchasing.quantities import (
    PriceBreak,
    QuantityCaps,
    order_quantity,
    over_line_cap,
    price_at,
)


@given(
    shortage=st.integers(min_value=1, max_value=100_000),
    moq=st.integers(min_value=1, max_value=5_000),
    multiple=st.integers(min_value=1, max_value=500),
)
def test_order_quantity_covers_the_shortage_moq_and_multiple(
    shortage: int, moq: int, multiple: int
) -> None:
    qty = order_quantity(shortage, moq=moq, order_multiple=multiple)
    assert qty >= shortage
    assert qty >= moq
    assert qty % multiple == 0
    # ... and it is the smallest such quantity.
    assert qty - multiple < max(shortage, moq)


@pytest.mark.parametrize(
    ("shortage", "moq", "multiple", "expected"),
    [
        (7, 1, 1, 7),
        (7, 10, 1, 10),
        (7, 1, 6, 12),
        (7, 10, 6, 12),
        (12, 10, 6, 12),
        (13, 10, 6, 18),
        (1, 25, 10, 30),
    ],
)
def test_order_quantity_examples(shortage: int, moq: int, multiple: int, expected: int) -> None:
    assert order_quantity(shortage, moq=moq, order_multiple=multiple) == expected


@pytest.mark.parametrize(
    ("shortage", "moq", "multiple"), [(0, 1, 1), (5, 0, 1), (5, 1, 0), (-3, 1, 1)]
)
def test_non_positive_quantities_are_rejected_with_a_reason(
    shortage: int, moq: int, multiple: int
) -> None:
    with pytest.raises(InputRejected):
        order_quantity(shortage, moq=moq, order_multiple=multiple)


BREAKS = [
    PriceBreak(1, Decimal("10.00")),
    PriceBreak(50, Decimal("9.00")),
    PriceBreak(100, Decimal("8.50")),
]


@pytest.mark.parametrize(
    ("qty", "price"),
    [(1, "10.00"), (49, "10.00"), (50, "9.00"), (99, "9.00"), (100, "8.50"), (5000, "8.50")],
)
def test_the_highest_price_break_not_above_the_quantity_sets_the_price(
    qty: int, price: str
) -> None:
    found = price_at(BREAKS, qty)
    assert found is not None
    assert found.unit_price == Decimal(price)


def test_no_price_applies_below_the_lowest_break() -> None:
    assert price_at([PriceBreak(10, Decimal("5"))], 9) is None


def test_caps_are_off_by_default() -> None:
    caps = QuantityCaps()
    assert caps.max_line_qty is None
    assert caps.max_run_spend is None
    assert not over_line_cap(10**9, caps)


def test_a_line_over_the_quantity_cap_is_flagged() -> None:
    assert over_line_cap(101, QuantityCaps(max_line_qty=100))
    assert not over_line_cap(100, QuantityCaps(max_line_qty=100))
