"""Finding the header: synonyms, title rows above it, and the right sheet among several."""

from __future__ import annotations

from typing import Any

import pytest

from purchasing.errors import FileRejected
from supplier_feeds.headers import find_layout, normalise, synonyms
from supplier_feeds.profiles import default_profile, parse_profile
from supplier_feeds.raw import RawSheet


@pytest.mark.parametrize(
    ("kind", "header", "canonical"),
    [
        ("deliveries", "Vendor", "supplier"),
        ("deliveries", "Supplier", "supplier"),
        ("catalog", "vendor name", "supplier"),
        ("catalog", "Item", "sku"),
        ("catalog", "Article", "sku"),
        ("catalog", "Part Number", "sku"),
        ("deliveries", "ITEM CODE", "sku"),
        ("deliveries", "PO", "po_number"),
        ("deliveries", "PO Number", "po_number"),
        ("deliveries", "PO #", "po_number"),
        ("deliveries", "Order Ref", "po_number"),
        ("deliveries", "Line", "line_id"),
        ("deliveries", "Line No.", "line_id"),
        ("deliveries", "Line #", "line_id"),
        ("deliveries", "Qty", "ordered_qty"),
        ("deliveries", "Quantity", "ordered_qty"),
        ("deliveries", "Ordered Qty", "ordered_qty"),
        ("backorders", "Qty", "qty"),
        ("backorders", "Quantity", "qty"),
        ("deliveries", "Due Date", "promised_date"),
        ("deliveries", "Promised Date", "promised_date"),
        ("deliveries", "Scheduled Delivery Date", "promised_date"),
        ("deliveries", "Received", "received_date"),
        ("deliveries", "Received Date", "received_date"),
        ("deliveries", "Delivered", "received_date"),
        ("deliveries", "Delivery Date", "received_date"),
        ("deliveries", "Arrival Date", "received_date"),
        ("catalog", "Price", "unit_price"),
        ("catalog", "Unit Price", "unit_price"),
        ("catalog", "Cost", "unit_price"),
        ("catalog", "MOQ", "moq"),
        ("catalog", "Min Order Qty", "moq"),
        ("catalog", "Lead Time", "lead_time_days"),
        ("catalog", "Lead Time (days)", "lead_time_days"),
        ("catalog", "lead_time_days", "lead_time_days"),
    ],
)
def test_common_headers_are_recognised_without_a_profile(
    kind: str, header: str, canonical: str
) -> None:
    assert synonyms(kind)[normalise(header)] == canonical


def test_headers_compare_without_case_spaces_or_punctuation() -> None:
    assert normalise(" Lead-Time (Days) ") == normalise("lead time days")


def _sheet(name: str, rows: list[list[Any]]) -> RawSheet:
    return RawSheet(name, rows)


HEADER = ["Supplier", "Item", "Unit Price", "Lead Time (days)"]


def test_title_rows_above_the_header_are_skipped() -> None:
    sheet = _sheet("Prices", [["Acme price list 2024"], [None], HEADER, ["Acme", "1", 2, 3]])
    layout = find_layout([sheet], default_profile("catalog"))
    assert layout.header_row == 3
    assert layout.positions == {"supplier": 0, "sku": 1, "unit_price": 2, "lead_time_days": 3}


def test_the_sheet_whose_header_matches_the_kind_is_chosen() -> None:
    cover = _sheet("Cover", [["Terms and conditions"], ["Prices valid 30 days"]])
    prices = _sheet("Prices", [HEADER, ["Acme", "1", 2, 3]])
    assert find_layout([cover, prices], default_profile("catalog")).sheet.name == "Prices"


def test_a_profile_names_the_sheet_and_the_header_row() -> None:
    first = _sheet("Old", [HEADER])
    second = _sheet("New", [["title"], HEADER])
    profile = parse_profile({"kind": "catalog", "sheet": "New", "header_row": 2})
    layout = find_layout([first, second], profile)
    assert (layout.sheet.name, layout.header_row) == ("New", 2)


def test_a_profile_column_overrides_the_synonyms() -> None:
    sheet = _sheet("S", [["Supplier", "Item", "List Price", "Net Price", "Lead Time"]])
    profile = parse_profile({"kind": "catalog", "columns": {"unit_price": "Net Price"}})
    assert find_layout([sheet], profile).positions["unit_price"] == 3


def test_a_missing_required_column_rejects_the_file_naming_it() -> None:
    sheet = _sheet("S", [["Supplier", "Item", "Lead Time"], ["Acme", "1", 3]])
    with pytest.raises(FileRejected) as caught:
        find_layout([sheet], default_profile("catalog"))
    assert any("unit_price" in error.message for error in caught.value.errors)


def test_two_columns_that_could_be_the_same_canonical_column_ask_for_a_profile() -> None:
    sheet = _sheet("S", [["Supplier", "Item", "Price", "Cost", "Lead Time"]])
    with pytest.raises(FileRejected, match="profile"):
        find_layout([sheet], default_profile("catalog"))


def test_a_constant_supplier_stands_in_for_a_missing_supplier_column() -> None:
    sheet = _sheet("S", [["Item", "Price", "Lead Time"]])
    layout = find_layout([sheet], default_profile("catalog", supplier="Acme"))
    assert layout.constant_supplier == "Acme"
    assert "supplier" not in layout.positions


def test_a_sheet_named_by_the_profile_but_absent_is_reported() -> None:
    profile = parse_profile({"kind": "catalog", "sheet": "Missing"})
    with pytest.raises(FileRejected, match="'Missing'"):
        find_layout([_sheet("Other", [HEADER])], profile)
