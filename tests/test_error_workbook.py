"""The error workbook and the formula escaping every export relies on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from purchasing.errors import CellError
from supplier_feeds.error_workbook import MAX_BAD_ROWS, ReportSource, write_error_workbook
from supplier_feeds.raw import RawSheet
from supplier_feeds.safe_cells import escape_formula, safe_csv_value, safe_xlsx_value


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n"])
def test_text_starting_like_a_formula_is_escaped(start: str) -> None:
    assert escape_formula(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


@pytest.mark.parametrize("text", ["Acme", "0042", "NA", "a=b", ""])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert escape_formula(text) == text


def test_numbers_stay_numbers_in_exports() -> None:
    assert safe_xlsx_value(-5) == -5
    assert safe_csv_value(-5) == "-5"
    assert safe_csv_value("-5") == "'-5"


def _report(tmp_path: Path, rows: list[list[Any]], errors: list[CellError]) -> Path:
    sheet = RawSheet("Orders", rows)
    return write_error_workbook(
        tmp_path / "report.xlsx",
        filename="orders.xlsx",
        errors=errors,
        source=ReportSource(sheet, 1),
    )


def test_the_report_marks_each_bad_cell_with_a_comment(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["SKU", "Qty"], ["A", 1], ["B", -2], ["C", 3]]
    error = CellError("Orders", 3, "Qty", "-2", "must be at least 1")
    book = load_workbook(_report(tmp_path, rows, [error]))
    bad = book["Bad rows - Orders"]
    assert [cell.value for cell in bad[1]] == ["Row in file", "SKU", "Qty"]
    assert [cell.value for cell in bad[2]] == [3, "B", -2]
    comment = bad.cell(2, 3).comment
    assert comment is not None
    assert "must be at least 1" in comment.text
    assert bad.cell(2, 3).fill.start_color.rgb.endswith("FFC7CE")
    assert bad.cell(2, 2).comment is None
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows()}
    assert summary["Errors found"] == 1


def test_supplier_text_in_the_report_never_becomes_a_formula(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["SKU", "Qty"], ["=cmd|'/c calc'!A1", "x"]]
    error = CellError("Orders", 2, "Qty", "x", "not a number")
    book = load_workbook(_report(tmp_path, rows, [error]))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"


def test_the_report_shows_at_most_the_first_thousand_bad_rows(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["SKU", "Qty"]] + [[f"S{i}", -1] for i in range(1_200)]
    errors = [CellError("Orders", i + 2, "Qty", "-1", "negative") for i in range(1_200)]
    book = load_workbook(_report(tmp_path, rows, errors), read_only=True)
    assert book["Bad rows - Orders"].max_row == MAX_BAD_ROWS + 1
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows()}
    assert summary["Errors found"] == 1_200
