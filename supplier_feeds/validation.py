"""Checking a supplier file against its kind, collecting every bad cell, into a canonical frame."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import islice
from operator import itemgetter
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from purchasing.errors import CellError
from supplier_feeds.cell_types import CellTypes
from supplier_feeds.columns import DUPLICATE_KEYS, ColumnSpec, columns_of, has_supplier_column
from supplier_feeds.dates import parse_date_column
from supplier_feeds.headers import Layout, find_layout
from supplier_feeds.profiles import Profile
from supplier_feeds.raw import CellValue, RawSheet

T = TypeVar("T")

ROW = "_row"  # the Excel row number of each data row, kept beside the canonical columns
MAX_AMOUNT = Decimal(10) ** 12  # the system of record stores amounts as NUMERIC(18, 6)
_VALUE_SHOWN = 200  # characters of a bad value repeated in a report

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_GROUPED = {
    ".": re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"),
    ",": re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$"),
}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


@dataclass
class ValidatedFile:
    """A checked file: its canonical rows (when clean) and every bad cell found."""

    kind: str
    frame: pd.DataFrame
    rows: int
    errors: list[CellError] = field(default_factory=list)
    layout: Layout | None = None


@dataclass
class _Checks:
    """Bad cells found so far, one message series per canonical column."""

    sheet: str
    layout: Layout
    raw: pd.DataFrame
    types: dict[str, CellTypes]  # the Python type of each cell, per canonical column
    empty: dict[str, pd.Series]  # whether each cell is empty, per canonical column
    messages: dict[str, pd.Series] = field(default_factory=dict)
    whole_file: list[CellError] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)  # columns rejected as a whole

    def flag(self, column: str, mask: pd.Series, message: str | pd.Series) -> None:
        if not mask.any():
            return
        current = self.messages.get(column)
        if current is None:
            current = pd.Series(None, index=self.raw.index, dtype=object)
            self.messages[column] = current
        # The first problem found in a cell is the one reported for it.
        free = mask & current.isna()
        if isinstance(message, pd.Series):
            current[free] = message[free]
        else:
            current[free] = message

    def cell_errors(self) -> list[CellError]:
        found: list[tuple[int, int, CellError]] = []
        for column, messages in self.messages.items():
            bad = messages.notna()
            if not bad.any():
                continue
            header = self.layout.headers.get(column, column)
            position = self.layout.positions.get(column, -1)
            rows = self.raw[ROW][bad].tolist()
            texts = messages[bad].tolist()
            if column in self.raw:
                values = [_shown(value) for value in self.raw[column][bad].tolist()]
            else:
                values = [None] * len(rows)
            for row, value, text in zip(rows, values, texts, strict=True):
                error = CellError(self.sheet, int(row), header, value, str(text))
                found.append((int(row), position, error))
        found.sort(key=lambda item: (item[0], item[1]))
        return self.whole_file + [error for _, _, error in found]


def validate(
    sheets: list[RawSheet],
    profile: Profile,
    *,
    base_currency: str = "USD",
    release_rows: bool = False,
) -> ValidatedFile:
    """Find the header, type every cell, apply the kind's rules; collect every failure.

    With ``release_rows`` the sheets' rows are emptied once the columns procure reads are
    copied out, so a large file is not held twice (the caller re-reads it for a report).
    """
    layout = find_layout(sheets, profile)
    raw, types, empty = _raw_frame(layout)
    if release_rows:
        for sheet in sheets:
            sheet.rows.clear()
    checks = _Checks(layout.sheet.name, layout, raw, types, empty)
    frame = pd.DataFrame({ROW: raw[ROW]})
    for spec in columns_of(profile.kind):
        if spec.name in layout.positions:
            frame[spec.name] = _typed(spec, raw[spec.name], checks, layout, profile)
        else:
            frame[spec.name] = _absent(spec, len(raw))
        if spec.required and spec.name in layout.positions and spec.name not in checks.unreadable:
            # Any gap left in a required column (empty, or only spaces) is one to fill;
            # cells already reported keep their own message.
            checks.flag(spec.name, frame[spec.name].isna(), "a value is required")

    _KIND_RULES[profile.kind](frame, checks, layout, base_currency)
    _flag_duplicates(profile.kind, frame, checks)
    return ValidatedFile(profile.kind, frame, len(frame), checks.cell_errors(), layout)


def _raw_frame(
    layout: Layout,
) -> tuple[pd.DataFrame, dict[str, CellTypes], dict[str, pd.Series]]:
    """The cells of the columns procure reads, one row per data row (empty rows left out).

    A row with nothing in any of those columns is not a data row: spacer rows and notes
    beside the table do not count, but each kept row keeps its Excel row number.
    """
    rows = layout.sheet.rows
    start = layout.header_row
    cells: dict[str, pd.Series] = {}
    shortest = min(map(len, islice(rows, start, None)), default=0)
    for canonical, position in layout.positions.items():
        # Only the columns procure reads are copied, one at a time, so a wide or long file
        # never holds a second full copy of its cells; short (ragged) rows read as empty.
        # (pandas turns a column of nothing but date cells into datetimes, as it always has.)
        read = np.fromiter(_column(rows, start, position, shortest), dtype=object)
        cells[canonical] = pd.Series(read, copy=False)
    frame = pd.DataFrame(cells, index=pd.RangeIndex(len(rows) - start), copy=False)
    types = {column: CellTypes(values) for column, values in cells.items()}
    empty = {column: _is_empty(frame[column], types[column]) for column in cells}
    filled = np.zeros(len(frame), dtype=bool)
    for column in cells:
        filled |= ~empty[column].to_numpy(dtype=bool)
    if filled.all():
        # The usual case: no spacer rows, so nothing needs copying.
        frame.insert(0, ROW, np.arange(len(frame)) + layout.header_row + 1)
        return frame, types, empty
    kept = frame[filled].reset_index(drop=True)
    kept.insert(0, ROW, np.flatnonzero(filled) + layout.header_row + 1)
    return (
        kept,
        {column: CellTypes(kept[column]) for column in cells},
        {column: series[filled].reset_index(drop=True) for column, series in empty.items()},
    )


def _objects(values: Iterable[object]) -> pd.Series:
    """A series of Python objects, taken as they are (numpy would read type objects as dtypes,
    and a list goes through a slower conversion)."""
    return pd.Series(np.fromiter(values, dtype=object), dtype=object, copy=False)


def _column(
    rows: list[list[CellValue]], start: int, position: int, shortest: int
) -> list[CellValue]:
    """One column of the data rows; a cell beyond the end of a short row is empty."""
    data = islice(rows, start, None)
    if position < shortest:
        # Every row reaches this column (the usual case): the lookups run in C.
        return list(map(itemgetter(position), data))
    return [row[position] if position < len(row) else None for row in data]


def _is_empty(values: pd.Series, types: CellTypes) -> pd.Series:
    """None or an empty text (a text of only spaces is caught where the column is typed)."""
    empty = values.isna().to_numpy(dtype=bool)
    if str in types.present:
        empty |= values.to_numpy() == ""
    return pd.Series(empty, index=values.index)


def _shown(value: object) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return text if len(text) <= _VALUE_SHOWN else text[:_VALUE_SHOWN] + "…"


def _absent(spec: ColumnSpec, length: int) -> pd.Series:
    if spec.type == "int":
        return pd.Series(pd.NA, index=range(length), dtype="Int64")
    if spec.type == "date":
        return pd.Series(pd.NaT, index=range(length), dtype="datetime64[ns]")
    return pd.Series(None, index=range(length), dtype=object)


def _typed(
    spec: ColumnSpec, values: pd.Series, checks: _Checks, layout: Layout, profile: Profile
) -> pd.Series:
    if spec.type == "date":
        parsed = parse_date_column(
            values,
            date1904=layout.sheet.date1904,
            date_format=profile.date_format,
            types=checks.types[spec.name],
        )
        if parsed.column_error is not None:
            checks.unreadable.add(spec.name)
            filled = ~checks.empty[spec.name]
            first = int(checks.raw[ROW][filled].iloc[0]) if filled.any() else layout.header_row
            checks.whole_file.append(
                CellError(
                    layout.sheet.name,
                    first,
                    layout.headers[spec.name],
                    None,
                    parsed.column_error,
                )
            )
        checks.flag(spec.name, parsed.errors.notna(), parsed.errors)
        return parsed.dates
    if spec.type in ("int", "decimal"):
        return _numbers(spec, values, checks.types[spec.name], checks, profile.decimal)
    text, distinct = _texts(values, checks.types[spec.name])
    # The checks below look at each distinct text once: supplier files repeat names a lot.
    if _CONTROL.search("".join(distinct)):
        bad_chars = text.str.contains(_CONTROL, na=False)
        checks.flag(spec.name, bad_chars, "contains control characters (such as NUL)")
    if spec.max_length is not None and max(map(len, distinct), default=0) > spec.max_length:
        too_long = text.str.len() > spec.max_length
        checks.flag(spec.name, too_long, f"longer than {spec.max_length} characters")
    if spec.type == "currency":
        text = text.str.upper()
        bad = text.notna() & ~text.str.match(_CURRENCY, na=False)
        checks.flag(spec.name, bad, "not a three-letter currency code (such as USD)")
    if spec.type == "choice":
        text = text.str.lower().str.replace(r"[\s-]+", "_", regex=True)
        bad = text.notna() & ~text.isin(spec.choices)
        checks.flag(spec.name, bad, f"not one of {', '.join(spec.choices)}")
    if spec.type not in ("currency", "choice"):
        # _texts gives only texts and None, and nothing above changed them: already as written.
        return text
    return with_none(text, text.notna())


# Columns holding only these cell types are read one distinct value at a time (pandas would
# take 1, 1.0 and True for the same value, so mixed columns are read cell by cell).
_FACTORIZED = (frozenset({str, type(None)}), frozenset({int, type(None)}))


def each_distinct(
    values: pd.Series | np.ndarray, convert: Callable[[Any], T]
) -> tuple[np.ndarray, list[T]]:
    """Every cell converted, calling ``convert`` once per distinct value (missing cells: None).

    Returns the converted cells (an object array) and the converted distinct values. Only for
    cells pandas tells apart as Python does: 1, 1.0 and True are one value to it.
    """
    codes, uniques = pd.factorize(values)
    converted = [convert(value) for value in uniques.tolist()]
    # Code -1 (a missing cell) picks the None appended at the end.
    return np.array([*converted, None], dtype=object)[codes], converted


def _texts(values: pd.Series, types: CellTypes) -> tuple[pd.Series, list[str]]:
    """The column as stripped texts (None where empty) and its distinct texts."""
    cells = values.to_numpy(dtype=object)
    if any(types.present <= allowed for allowed in _FACTORIZED):
        converted, texts = each_distinct(cells, _text_cell)
        text = pd.Series(converted, index=values.index, dtype=object)
        return text, [value for value in texts if value is not None]
    text = _objects(map(_text_cell, cells))
    text.index = values.index
    return text, text.dropna().unique().tolist()


def _text_cell(value: object) -> str | None:
    """A cell as text: stripped, other cells written as text, and None where that is empty."""
    if isinstance(value, str):
        return value.strip() or None
    if value.__class__ is int:
        return str(value)
    return _text_of(value) or None


def with_none(series: pd.Series, keep: pd.Series) -> pd.Series:
    """The series as Python objects, with None (not NaN) where ``keep`` is false."""
    out = series.astype(object)
    out[~keep] = None
    return out


def _text_of(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _numbers(
    spec: ColumnSpec, values: pd.Series, types: CellTypes, checks: _Checks, decimal: str
) -> pd.Series:
    numeric = types.of(int, float)
    text_mask = types.of(str)
    numbers = pd.Series(np.nan, index=values.index, dtype="float64")
    if numeric.any():
        numbers[numeric] = values[numeric].astype("float64")
    cleaned = pd.Series(None, index=values.index, dtype=object)
    if text_mask.any():
        texts = values[text_mask]
        if decimal != ".":
            # In a decimal-comma file only plain digits may take the quick reading.
            texts = texts.where(~texts.str.contains(r"[.,]", regex=True, na=False))
        numbers[text_mask] = pd.to_numeric(texts, errors="coerce")
        cleaned[text_mask] = values[text_mask]
        careful = text_mask & numbers.isna() & ~checks.empty[spec.name]
        if careful.any():
            _read_numbers_carefully(spec, values[careful], numbers, cleaned, checks, decimal)

    checks.flag(spec.name, types.of(bool), "a true/false value is not a number")
    checks.flag(spec.name, types.of(dt.date, dt.datetime), "a date is not a number")
    infinite = numbers.abs() == np.inf
    checks.flag(spec.name, infinite | (numeric & numbers.isna()), "not a finite number")
    finite: pd.Series = numbers.notna() & ~infinite
    if spec.minimum is not None:
        low = finite & (numbers < spec.minimum)
        words = "negative" if spec.minimum == 0 else "must be at least 1 (zero or negative)"
        checks.flag(spec.name, low, words)
        finite = finite & ~low

    if spec.type == "int":
        fraction = finite & (numbers != np.floor(numbers))
        checks.flag(spec.name, fraction, "not a whole number")
        huge = finite & (numbers.abs() > 2**31 - 1)
        checks.flag(spec.name, huge, "too large")
        good = finite & ~fraction & ~huge
        return numbers.where(good).astype("Int64")

    huge = finite & (numbers.abs() >= float(MAX_AMOUNT))
    checks.flag(spec.name, huge, "amount too large")
    good = finite & ~huge
    return _decimals(values, cleaned, numeric, good)


def _read_numbers_carefully(
    spec: ColumnSpec,
    written: pd.Series,
    numbers: pd.Series,
    cleaned: pd.Series,
    checks: _Checks,
    decimal: str,
) -> None:
    """Texts the quick reading refused: grouping, decimal commas, NaN words, or not numbers."""
    texts = written.astype(str).str.strip()
    tidy = _clean_number_text(texts, decimal)
    cleaned[texts.index] = tidy
    numbers[texts.index] = pd.to_numeric(tidy, errors="coerce")
    nan_word = texts.str.lower().str.lstrip("+-").isin(["nan", "inf", "infinity"])
    unreadable = numbers[texts.index].isna() & (texts != "") & ~nan_word
    hint = pd.Series("not a number", index=texts.index, dtype=object)
    if decimal == ".":
        comma = texts.str.match(_DECIMAL_COMMA).astype(bool)
        hint[comma] = 'not a number (a decimal comma? set decimal = "," in a profile)'
    everywhere = checks.raw.index
    checks.flag(
        spec.name, unreadable.reindex(everywhere, fill_value=False), hint.reindex(everywhere)
    )
    checks.flag(spec.name, nan_word.reindex(everywhere, fill_value=False), "not a finite number")


def _clean_number_text(texts: pd.Series, decimal: str) -> pd.Series:
    stripped = texts.str.replace("\u00a0", "", regex=False)
    grouped = stripped.str.match(_GROUPED[decimal])
    separator = "," if decimal == "." else "."
    stripped = stripped.where(~grouped, stripped.str.replace(separator, "", regex=False))
    if decimal == ",":
        # A decimal-comma file may not also use points as decimals: "1.5" stays unreadable.
        has_point = stripped.str.contains(".", regex=False)
        stripped = stripped.where(~has_point, "not-a-number")
        stripped = stripped.str.replace(",", ".", regex=False)
    return stripped


def _decimals(
    values: pd.Series, cleaned: pd.Series, numeric: pd.Series, good: pd.Series
) -> pd.Series:
    out = pd.Series(None, index=values.index, dtype=object)
    from_text = good & ~numeric
    if from_text.any():
        out[from_text] = cleaned[from_text].map(_decimal_of)
    from_cells = good & numeric
    if from_cells.any():
        # repr gives the shortest text that reads back as the same float: 0.1, not 0.1000…01
        out[from_cells] = values[from_cells].map(lambda value: _decimal_of(repr(float(value))))
    return out


def _decimal_of(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


# Kind rules: defaults and checks that involve more than one column.

KindRule = Callable[[pd.DataFrame, _Checks, Layout, str], None]


def _constant_supplier(frame: pd.DataFrame, checks: _Checks, layout: Layout) -> None:
    if "supplier" in layout.positions:
        return
    if layout.constant_supplier is None:
        message = "no supplier column; name the supplier with --supplier or in a profile"
        checks.whole_file.append(
            CellError(layout.sheet.name, layout.header_row, None, None, message)
        )
        return
    frame["supplier"] = layout.constant_supplier


def _catalog(frame: pd.DataFrame, checks: _Checks, layout: Layout, base_currency: str) -> None:
    _constant_supplier(frame, checks, layout)
    for column in ("moq", "order_multiple", "min_qty"):
        frame[column] = frame[column].fillna(1)
    frame["currency"] = frame["currency"].where(frame["currency"].notna(), base_currency.upper())
    both = frame["valid_from"].notna() & frame["valid_to"].notna()
    backwards = both & (frame["valid_to"] < frame["valid_from"])
    checks.flag("valid_to", backwards, "valid_to is before valid_from")


def _deliveries(frame: pd.DataFrame, checks: _Checks, layout: Layout, _base: str) -> None:
    _constant_supplier(frame, checks, layout)
    frame["po_number"] = frame["po_number"].where(frame["po_number"].notna(), "")
    frame["line_key"] = frame["line_id"].where(frame["line_id"].notna(), frame["sku"])
    received = frame["received_date"].notna()
    qty_without_date = frame["received_qty"].notna() & (frame["received_qty"] > 0) & ~received
    checks.flag(
        "received_qty", qty_without_date.fillna(False), "received quantity without a received date"
    )
    # A receipt date without a quantity means the line arrived in full.
    full = received & frame["received_qty"].isna()
    frame.loc[full, "received_qty"] = frame.loc[full, "ordered_qty"]
    derived = pd.Series("open", index=frame.index, dtype=object)
    complete = received & (frame["received_qty"] >= frame["ordered_qty"]).fillna(False)
    derived[complete] = "received"
    frame["status"] = frame["status"].where(frame["status"].notna(), derived)


def _confirmations(frame: pd.DataFrame, checks: _Checks, layout: Layout, _base: str) -> None:
    _constant_supplier(frame, checks, layout)


def _stock(frame: pd.DataFrame, checks: _Checks, layout: Layout, _base: str) -> None:
    _constant_supplier(frame, checks, layout)
    neither = frame["sku"].isna() & frame["supplier_sku"].isna()
    column = "sku" if "sku" in layout.positions else "supplier_sku"
    checks.flag(column, neither, "a SKU or a supplier SKU is required")


def _backorders(frame: pd.DataFrame, _checks: _Checks, _layout: Layout, _base: str) -> None:
    position = frame.groupby("order_id", dropna=False).cumcount() + 1
    default = frame["order_id"].astype(str) + "-" + position.astype(str)
    frame["line_id"] = frame["line_id"].where(frame["line_id"].notna(), default)
    frame["status"] = frame["status"].where(frame["status"].notna(), "open")


def _inventory(_frame: pd.DataFrame, _checks: _Checks, _layout: Layout, _base: str) -> None:
    return None


_KIND_RULES: dict[str, KindRule] = {
    "catalog": _catalog,
    "deliveries": _deliveries,
    "confirmations": _confirmations,
    "stock": _stock,
    "backorders": _backorders,
    "inventory": _inventory,
}


def _flag_duplicates(kind: str, frame: pd.DataFrame, checks: _Checks) -> None:
    keys = [key for key in DUPLICATE_KEYS[kind] if key in frame.columns]
    if not keys or frame.empty:
        return
    # Each key column as codes of its distinct values (every missing value one code): the
    # rows are compared as whole numbers.
    codes = pd.DataFrame({key: pd.factorize(frame[key])[0] for key in keys}, index=frame.index)
    repeated = codes.duplicated(keep="first")
    if not repeated.any():
        return
    key_frame = frame[keys].astype(object).where(frame[keys].notna(), "\x00none")
    first_row = frame[ROW].groupby([key_frame[key] for key in keys]).transform("first")
    messages = "duplicate of row " + first_row.astype(str)
    names = ", ".join(_KEY_WORDS.get(key, key) for key in keys)
    messages = messages + f" (same {names})"
    column = _duplicate_column(kind, checks.layout)
    checks.flag(column, repeated, messages)


_KEY_WORDS = {"line_key": "line (or SKU when there is no line)", "po_number": "PO"}


def _duplicate_column(kind: str, layout: Layout) -> str:
    preferred = {
        "deliveries": ("line_id", "sku"),
        "backorders": ("line_id", "order_id"),
        "stock": ("sku", "supplier_sku"),
    }.get(kind, ("sku",))
    for column in preferred:
        if column in layout.positions:
            return column
    return next(iter(layout.positions))


def has_supplier(kind: str) -> bool:
    """Whether the kind's rows belong to a supplier."""
    return has_supplier_column(kind)
