"""Validation: every bad cell is found and located as the buyer sees it in Excel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from purchasing.errors import FileRejected
from supplier_feeds.profiles import default_profile, parse_profile
from supplier_feeds.raw import RawSheet
from supplier_feeds.validation import ValidatedFile, validate

CATALOG = ["Supplier", "SKU", "Unit Price", "Lead Time", "MOQ"]
DELIVERIES = ["Vendor", "PO", "Line", "Item", "Qty", "Due Date", "Received", "Received Qty"]


def _check(kind: str, rows: list[list[Any]], **profile: object) -> ValidatedFile:
    chosen = parse_profile({"kind": kind, **profile}) if profile else default_profile(kind)
    return validate([RawSheet("Sheet1", rows, source="csv")], chosen)


def _messages(checked: ValidatedFile) -> list[tuple[int | None, str | None, str]]:
    return [(error.row, error.column, error.message) for error in checked.errors]


@pytest.mark.parametrize(
    ("price", "lead_time", "moq", "column", "message"),
    [
        ("-1", "3", "1", "Unit Price", "negative"),
        ("abc", "3", "1", "Unit Price", "not a number"),
        ("NaN", "3", "1", "Unit Price", "not a finite number"),
        ("inf", "3", "1", "Unit Price", "not a finite number"),
        ("1.5", "-2", "1", "Lead Time", "negative"),
        ("1.5", "2.5", "1", "Lead Time", "not a whole number"),
        ("1.5", "3", "0", "MOQ", "at least 1"),
        ("1.5", "3", "-4", "MOQ", "at least 1"),
        ("1,50", "3", "1", "Unit Price", 'decimal = ","'),
        ("1.5", "", "1", "Lead Time", "a value is required"),
    ],
)
def test_a_bad_catalog_cell_is_reported_where_it_is(
    price: str, lead_time: str, moq: str, column: str, message: str
) -> None:
    checked = _check("catalog", [CATALOG, ["Acme", "A1", price, lead_time, moq]])
    assert len(checked.errors) == 1
    error = checked.errors[0]
    assert (error.sheet, error.row, error.column) == ("Sheet1", 2, column)
    assert message in error.message


def test_every_failure_in_the_file_is_collected_not_just_the_first() -> None:
    rows: list[list[Any]] = [CATALOG]
    rows += [["Acme", f"A{i}", "-1", "3", "1"] for i in range(50)]
    rows += [["Acme", "B", "1", "x", "0"]]
    checked = _check("catalog", rows)
    assert len(checked.errors) == 52
    assert checked.errors[-2:][0].row == 52


def test_received_quantity_may_be_zero_but_ordered_quantity_may_not() -> None:
    rows: list[list[Any]] = [
        DELIVERIES,
        ["Acme", "P1", "1", "A", "0", "2024-01-05", "2024-01-09", "0"],
    ]
    assert _messages(_check("deliveries", rows)) == [
        (2, "Qty", "must be at least 1 (zero or negative)")
    ]


def test_decimal_commas_are_read_when_the_profile_says_so() -> None:
    checked = _check("catalog", [CATALOG, ["Acme", "A1", "1.234,50", "3", "1"]], decimal=",")
    assert checked.errors == []
    assert checked.frame["unit_price"].iloc[0] == Decimal("1234.50")


def test_prices_are_exact_decimals_whether_typed_or_text() -> None:
    checked = _check("catalog", [CATALOG, ["Acme", "A1", 0.1, 3, 1], ["Acme", "A2", "0.10", 3, 1]])
    assert checked.frame["unit_price"].tolist() == [Decimal("0.1"), Decimal("0.10")]


def test_skus_stay_text_as_written_and_supplier_names_are_trimmed() -> None:
    checked = _check(
        "catalog",
        [CATALOG, ["  Acme Ltd ", "NA", "1", "3", "1"], ["Acme Ltd", "0042", "1", "3", "1"]],
    )
    assert checked.frame["sku"].tolist() == ["NA", "0042"]
    assert checked.frame["supplier"].tolist() == ["Acme Ltd", "Acme Ltd"]


def test_a_duplicate_key_inside_the_file_names_the_first_row() -> None:
    rows: list[list[Any]] = [
        DELIVERIES,
        ["Acme", "P1", "1", "A", "5", "2024-01-05", None, None],
        ["Acme", "P1", "1", "B", "5", "2024-01-05", None, None],
    ]
    [error] = _check("deliveries", rows).errors
    assert (error.row, error.column) == (3, "Line")
    assert "duplicate of row 2" in error.message


def test_text_over_the_column_limit_is_refused() -> None:
    [error] = _check("catalog", [CATALOG, ["Acme", "X" * 101, "1", "3", "1"]]).errors
    assert error.column == "SKU"
    assert "100 characters" in error.message
    assert error.value is not None
    assert len(error.value) <= 201


def test_a_nul_character_in_text_is_refused() -> None:
    [error] = _check("catalog", [CATALOG, ["Ac\x00me", "A", "1", "3", "1"]]).errors
    assert "control characters" in error.message


def test_a_bad_name_repeated_on_many_rows_is_reported_on_each_of_them() -> None:
    rows: list[list[Any]] = [CATALOG]
    rows += [["Ac\x00me" if i % 2 else "Acme", f"A{i}", "1", "3", "1"] for i in range(6)]
    rows += [["Acme", "X" * 101, "1", "3", "1"], ["Acme", "X" * 101 + " ", "1", "3", "1"]]
    checked = _check("catalog", rows)
    assert [(error.row, error.column) for error in checked.errors] == [
        (3, "Supplier"),
        (5, "Supplier"),
        (7, "Supplier"),
        (8, "SKU"),
        (9, "SKU"),
    ]


def test_a_column_mixing_numbers_true_false_and_text_keeps_each_as_written() -> None:
    rows: list[list[Any]] = [
        ["Supplier", "SKU", "Unit Price", "Lead Time", "MOQ"],
        ["Acme", 1, "1", "3", "1"],
        ["Acme", True, "1", "3", "1"],
        ["Acme", 1.0, "1", "3", "1"],
        ["Acme", " 0042 ", "1", "3", "1"],
    ]
    checked = _check("catalog", rows)
    assert checked.frame["sku"].tolist() == ["1", "TRUE", "1", "0042"]
    assert [error.row for error in checked.errors] == [4]  # 1.0 reads "1" again: a duplicate


def test_a_receipt_date_without_quantity_means_received_in_full() -> None:
    rows: list[list[Any]] = [
        DELIVERIES,
        ["Acme", "P1", "1", "A", "7", "2024-01-05", "2024-01-08", None],
    ]
    frame = _check("deliveries", rows).frame
    assert frame["received_qty"].iloc[0] == 7
    assert frame["status"].iloc[0] == "received"


def test_typed_xlsx_cells_are_accepted_as_numbers_dates_and_text() -> None:
    rows: list[list[Any]] = [
        DELIVERIES,
        ["Acme", "P1", 1, 42, 5.0, dt.datetime(2024, 1, 5), 45300, 3],  # noqa: DTZ001
    ]
    checked = validate([RawSheet("S", rows)], default_profile("deliveries"))
    assert checked.errors == []
    row = checked.frame.iloc[0]
    assert (row["line_id"], row["sku"], row["ordered_qty"]) == ("1", "42", 5)
    assert row["received_date"].date() == dt.date(2024, 1, 9)


def test_empty_rows_are_not_data_rows_but_keep_excel_row_numbers() -> None:
    rows: list[list[Any]] = [
        CATALOG,
        ["Acme", "A", "1", "3", "1"],
        [None, ""],
        ["Acme", "B", "-1", "3", "1"],
    ]
    checked = _check("catalog", rows)
    assert checked.rows == 2
    assert [error.row for error in checked.errors] == [4]


def test_a_back_order_line_without_id_is_numbered_by_its_position_in_the_order() -> None:
    rows: list[list[Any]] = [
        ["Order ID", "SKU", "Qty", "Ordered At"],
        ["1001", "A", "1", "2024-01-01"],
        ["1002", "A", "1", "2024-01-01"],
        ["1001", "B", "2", "2024-01-01"],
    ]
    assert _check("backorders", rows).frame["line_id"].tolist() == ["1001-1", "1002-1", "1001-2"]


def test_a_file_without_supplier_column_needs_a_supplier() -> None:
    rows: list[list[Any]] = [["SKU", "Unit Price", "Lead Time"], ["A", "1", "3"]]
    with pytest.raises(FileRejected, match="--supplier"):
        _check("catalog", rows)
    named = validate([RawSheet("S", rows)], default_profile("catalog", "Acme"))
    assert named.errors == []
    assert named.frame["supplier"].tolist() == ["Acme"]


def test_an_ambiguous_date_column_rejects_the_file_asking_for_date_format() -> None:
    rows: list[list[Any]] = [DELIVERIES, ["Acme", "P", "1", "A", "1", "03/04/2024", None, None]]
    [error] = _check("deliveries", rows).errors
    assert error.column == "Due Date"
    assert "date_format" in error.message
