"""Shortage per SKU: stock covers whole back-order lines oldest first, then open PO lines."""

from __future__ import annotations

from datetime import date

import pytest

from purchasing.errors import InputRejected
from purchasing.shortages import BackorderDemand, OpenSupply, allocate, allocate_sku


def line(number: int, qty: int, day: int, line_id: str | None = None) -> BackorderDemand:
    return BackorderDemand(number, line_id or f"L{number}", "SKU-1", qty, date(2026, 11, day))


def test_stock_covers_whole_lines_oldest_first() -> None:
    lines = [line(1, 3, 1), line(2, 4, 2), line(3, 5, 3)]
    result = allocate_sku("SKU-1", lines, on_hand=7)
    assert result.by_stock == (1, 2)
    assert result.shortage is not None
    assert result.shortage.qty == 5
    assert [d.backorder_id for d in result.shortage.covers] == [3]


def test_a_line_larger_than_the_stock_left_is_skipped_and_the_stock_passes_on() -> None:
    lines = [line(1, 2, 1), line(2, 10, 2), line(3, 3, 3)]
    result = allocate_sku("SKU-1", lines, on_hand=6)
    assert result.by_stock == (1, 3)  # the 10 is skipped; the 3 behind it fits
    assert result.shortage is not None
    assert [d.backorder_id for d in result.shortage.covers] == [2]
    assert result.stock_left == 1


def test_lines_ordered_the_same_day_are_taken_in_line_id_order() -> None:
    lines = [line(1, 5, 1, "B"), line(2, 5, 1, "A")]
    result = allocate_sku("SKU-1", lines, on_hand=5)
    assert result.by_stock == (2,)


def test_lines_already_covered_by_an_open_po_line_are_not_short() -> None:
    lines = [line(1, 3, 1), line(2, 4, 2)]
    supply = OpenSupply(po_line_id=9, sku="SKU-1", qty=4, covers=(2,))
    result = allocate_sku("SKU-1", lines, supplies=[supply])
    assert result.by_po == ((2, 9),)
    assert result.shortage is not None
    assert result.shortage.qty == 3


def test_spare_quantity_on_an_open_po_line_takes_whole_lines_before_buying() -> None:
    lines = [line(1, 3, 1), line(2, 4, 2), line(3, 2, 3)]
    supply = OpenSupply(po_line_id=9, sku="SKU-1", qty=10, covers=(1,))  # 7 spare
    result = allocate_sku("SKU-1", lines, supplies=[supply])
    assert result.new_coverage == ((2, 9), (3, 9))
    assert result.shortage is None
    assert result.spare_po_qty == 1


def test_stock_takes_a_line_an_open_po_covered_and_releases_that_coverage() -> None:
    lines = [line(1, 3, 1)]
    supply = OpenSupply(po_line_id=9, sku="SKU-1", qty=3, covers=(1,))
    result = allocate_sku("SKU-1", lines, on_hand=3, supplies=[supply])
    assert result.by_stock == (1,)
    assert [(r.backorder_id, r.po_line_id, r.reason) for r in result.released] == [
        (1, 9, "covered-by-stock")
    ]


def test_safety_stock_adds_to_the_shortage_after_what_is_left_and_spare() -> None:
    result = allocate_sku("SKU-1", [line(1, 4, 1)], on_hand=0, safety_stock=5)
    assert result.shortage is not None
    assert (result.shortage.qty, result.shortage.safety_qty) == (9, 5)
    topped = allocate_sku("SKU-1", [], on_hand=2, safety_stock=5)
    assert topped.shortage is not None
    assert topped.shortage.qty == 3


def test_a_sku_with_nothing_to_cover_has_no_shortage() -> None:
    assert allocate_sku("SKU-1", [line(1, 3, 1)], on_hand=3).shortage is None


def test_allocate_groups_lines_by_sku() -> None:
    lines = [line(1, 3, 1), BackorderDemand(2, "L2", "SKU-2", 1, date(2026, 11, 1))]
    result = allocate(lines, on_hand={"SKU-2": 1})
    assert [(a.sku, a.shortage is not None) for a in result] == [("SKU-1", True), ("SKU-2", False)]


def test_negative_stock_is_rejected_with_the_sku_named() -> None:
    with pytest.raises(InputRejected, match="SKU-1"):
        allocate_sku("SKU-1", [], on_hand=-1)
