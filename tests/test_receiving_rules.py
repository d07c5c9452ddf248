"""Receiving and fulfilment rules: matching receipts to PO lines, capping, oldest first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purchasing.fulfilment import WaitingLine, plan_fulfilment
from purchasing.receiving import LineOnOrder, apply_receipt, match_line, po_status_after

DAY = date(2026, 3, 10)
LINES = [
    LineOnOrder(11, 1, "SKU-1", 10, 0, "sent"),
    LineOnOrder(12, 2, "SKU-2", 5, 0, "sent"),
    LineOnOrder(13, 3, "SKU-1", 4, 4, "received"),
]


@pytest.mark.parametrize(
    ("line_id", "sku", "po_line_id", "code"),
    [
        ("1", "SKU-1", 11, "line-id"),
        ("01", "SKU-1", 11, "line-id"),
        ("2.0", "SKU-2", 12, "line-id"),
        (None, "SKU-2", 12, "sku"),
        ("A-7", "SKU-2", 12, "sku"),  # not a line number of ours: the SKU decides
        ("9", "SKU-1", 11, "sku"),  # no line 9: the first open SKU-1 line takes it
        ("2", "SKU-1", None, "line-sku-mismatch"),
        (None, "SKU-9", None, "sku-not-on-po"),
    ],
)
def test_a_receipt_matches_by_line_number_first_then_by_sku(
    line_id: str | None, sku: str, po_line_id: int | None, code: str
) -> None:
    found = match_line(LINES, po_number="PO-000001", line_id=line_id, sku=sku)
    assert (None if found.line is None else found.line.po_line_id, found.code) == (
        po_line_id,
        code,
    )


@pytest.mark.parametrize(
    ("status", "before", "reported", "received", "added", "to_status", "flag"),
    [
        ("sent", 0, 4, 4, 4, "partially_received", None),
        ("confirmed", 0, 10, 10, 10, "received", None),
        ("partially_received", 4, 10, 10, 6, "received", None),
        ("sent", 0, 13, 10, 10, "received", "over-receipt"),
        ("partially_received", 6, 4, 6, 0, "partially_received", "lower-than-before"),
        ("received", 10, 10, 10, 0, "received", None),
        ("sent", 0, 0, 0, 0, "sent", None),
        ("cancelled", 0, 3, 3, 3, "cancelled", "closed-line"),
        ("pending_approval", 0, 3, 3, 3, "pending_approval", "unsent-po"),
    ],
)
def test_a_cumulative_receipt_is_capped_counted_and_moves_the_line(
    status: str,
    before: int,
    reported: int,
    received: int,
    added: int,
    to_status: str,
    flag: str | None,
) -> None:
    line = LineOnOrder(1, 1, "SKU-1", 10, before, status)
    decision = apply_receipt(line, reported, DAY)
    assert (decision.received_qty, decision.added_qty) == (received, added)
    assert (decision.to_status, decision.flag) == (to_status, flag)


@pytest.mark.parametrize(
    ("lines", "current", "expected"),
    [
        (["received", "received"], "sent", "received"),
        (["received", "sent"], "sent", "partially_received"),
        (["received", "cancelled"], "partially_received", "received"),
        (["sent", "confirmed"], "confirmed", "confirmed"),
        (["cancelled"], "sent", "sent"),
    ],
)
def test_a_po_is_received_when_every_live_line_is(
    lines: list[str], current: str, expected: str
) -> None:
    assert po_status_after(lines, current) == expected


def waiting(*specs: tuple[str, int, int]) -> list[WaitingLine]:
    return [
        WaitingLine(i, order, "1", "SKU-1", qty, DAY - timedelta(days=age))
        for i, (order, qty, age) in enumerate(specs, start=1)
    ]


def test_stock_serves_the_oldest_whole_lines_and_passes_over_one_too_big() -> None:
    lines = waiting(("SO-1", 3, 10), ("SO-2", 6, 9), ("SO-3", 2, 8), ("SO-4", 1, 7))
    plan = plan_fulfilment("SKU-1", lines, on_hand=6, shipped_on=DAY)
    assert [(s.line.order_id, s.wait_days) for s in plan.shipments] == [
        ("SO-1", 10),
        ("SO-3", 8),
        ("SO-4", 7),
    ]
    assert plan.stock_left == 0
    assert [line.order_id for line in plan.still_waiting] == ["SO-2"]


def test_a_line_ordered_after_the_goods_arrived_is_not_served_that_day() -> None:
    lines = waiting(("SO-1", 1, 2), ("SO-2", 1, -1))
    plan = plan_fulfilment("SKU-1", lines, on_hand=5, shipped_on=DAY)
    assert [s.line.order_id for s in plan.shipments] == ["SO-1"]
    assert plan.stock_left == 4


@given(
    qtys=st.lists(st.integers(min_value=1, max_value=20), max_size=12),
    on_hand=st.integers(min_value=0, max_value=60),
)
def test_fulfilment_never_ships_more_than_the_shelf_holds_nor_skips_a_line_that_fits(
    qtys: list[int], on_hand: int
) -> None:
    lines = waiting(*((f"SO-{i}", qty, 30 - i) for i, qty in enumerate(qtys)))
    plan = plan_fulfilment("SKU-1", lines, on_hand=on_hand, shipped_on=DAY)
    shipped = sum(s.line.qty for s in plan.shipments)
    assert shipped + plan.stock_left == on_hand
    assert all(line.qty > plan.stock_left for line in plan.still_waiting)
    assert all(s.wait_days >= 0 for s in plan.shipments)
