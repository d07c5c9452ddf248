"""Which cells of a column are numbers, dates or texts: exact, whatever the mix."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from supplier_feeds.cell_types import CellTypes


def _mask(cells: list[object], *wanted: type) -> list[bool]:
    return CellTypes(pd.Series(cells, dtype=object)).of(*wanted).tolist()


def test_a_column_of_one_type_with_gaps() -> None:
    day = dt.date(2024, 5, 1)
    assert _mask([day, None, day], dt.date) == [True, False, True]
    assert _mask([day, None, day], int, float) == [False, False, False]
    assert _mask([1.5, 2.0], int, float) == [True, True]


def test_true_and_false_are_not_numbers_even_beside_numbers() -> None:
    assert _mask([1, True, 2.5, None, "x"], int, float) == [True, False, True, False, False]
    assert _mask([1, True, 2.5, None, "x"], bool) == [False, True, False, False, False]


def test_a_nan_read_from_json_is_a_number_not_an_empty_cell() -> None:
    assert _mask([float("nan"), None], float) == [True, False]


def test_a_mask_handed_out_can_be_changed_without_changing_the_next() -> None:
    types = CellTypes(pd.Series(["a", None, "b"], dtype=object))
    first = types.of(str)
    first[:] = False
    assert types.of(str).tolist() == [True, False, True]
