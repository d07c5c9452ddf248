"""Date columns: Excel serials, date cells, and text read with ONE format per column."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplier_feeds.dates import CANDIDATE_FORMATS, parse_date_column


def _dates(
    values: list[object], *, date1904: bool = False, date_format: str | None = None
) -> list[dt.date | None]:
    series = pd.Series(values, dtype=object)
    parsed = parse_date_column(series, date1904=date1904, date_format=date_format)
    return [None if pd.isna(value) else value.date() for value in parsed.dates]


@pytest.mark.parametrize(
    ("serial", "date1904", "expected"),
    [
        (1, False, dt.date(1900, 1, 1)),
        (59, False, dt.date(1900, 2, 28)),
        (61, False, dt.date(1900, 3, 1)),
        (45000, False, dt.date(2023, 3, 15)),
        (45000.75, False, dt.date(2023, 3, 15)),
        (0, True, dt.date(1904, 1, 1)),
        (43538, True, dt.date(2023, 3, 15)),
    ],
)
def test_excel_serials_are_read_in_the_workbook_date_system(
    serial: float, date1904: bool, expected: dt.date
) -> None:
    assert _dates([serial], date1904=date1904) == [expected]


def test_the_phantom_29_february_1900_is_an_error() -> None:
    parsed = parse_date_column(pd.Series([60], dtype=object))
    assert "does not exist" in str(parsed.errors.iloc[0])


def test_real_date_cells_are_taken_as_they_are() -> None:
    cell_time = dt.datetime(2024, 3, 1, 17, 30)  # noqa: DTZ001  # spreadsheet cells have no zone
    values: list[object] = [dt.date(2024, 2, 29), cell_time]
    assert _dates(values) == [dt.date(2024, 2, 29), dt.date(2024, 3, 1)]


@pytest.mark.parametrize(
    ("texts", "expected_format"),
    [
        (["02-Jun-06", "14-Nov-06"], "%d-%b-%y"),
        (["2024-03-04", "2024-12-31"], "%Y-%m-%d"),
        (["13/04/2024", "03/04/2024"], "%d/%m/%Y"),
        (["04/13/2024", "04/03/2024"], "%m/%d/%Y"),
        (["31.12.2024", "01.02.2025"], "%d.%m.%Y"),
        (["2011-08-29 00:00:00"], "%Y-%m-%d %H:%M:%S"),
    ],
)
def test_one_text_format_is_detected_for_the_whole_column(
    texts: list[str], expected_format: str
) -> None:
    parsed = parse_date_column(pd.Series(texts, dtype=object))
    assert parsed.detected_format == expected_format
    assert parsed.errors.isna().all()


def test_a_column_readable_both_day_first_and_month_first_asks_for_date_format() -> None:
    parsed = parse_date_column(pd.Series(["03/04/2024", "05/06/2024"], dtype=object))
    assert parsed.column_error is not None
    assert "date_format" in parsed.column_error
    assert parsed.dates.isna().all()


def test_day_month_order_is_never_guessed_row_by_row() -> None:
    # 13/04 proves day-first for the column, so 03/04 is 3 April, not 4 March.
    assert _dates(["13/04/2024", "03/04/2024"]) == [dt.date(2024, 4, 13), dt.date(2024, 4, 3)]


def test_a_cell_off_the_column_format_is_an_error_not_a_second_format() -> None:
    parsed = parse_date_column(pd.Series(["2024-01-05", "2024-01-06", "06/01/2024"], dtype=object))
    assert parsed.errors.notna().tolist() == [False, False, True]


def test_the_profile_format_is_used_without_detection() -> None:
    assert _dates(["03/04/2024"], date_format="%m/%d/%Y") == [dt.date(2024, 3, 4)]


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2150, 12, 31)))
def test_any_date_written_in_a_candidate_format_reads_back_the_same(day: dt.date) -> None:
    for fmt in ("%Y-%m-%d", "%d-%b-%Y", "%d.%m.%Y"):
        assert fmt in CANDIDATE_FORMATS
        assert _dates([day.strftime(fmt)], date_format=fmt) == [day]
