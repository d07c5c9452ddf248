"""Reading date columns: real date cells, Excel serials, and text in one format per column."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supplier_feeds.cell_types import CellTypes

# Text formats tried when the profile gives none. A column must fit exactly one reading:
# when two formats read every value but disagree on one (03/04 vs 04/03), the column is
# ambiguous and the buyer is asked for ``date_format`` instead of procure guessing.
CANDIDATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
)

EARLIEST = pd.Timestamp(1900, 1, 1)
LATEST = pd.Timestamp(2199, 12, 31)

_EPOCH_1900 = pd.Timestamp(1899, 12, 30)  # serial 61 = 1900-03-01 (Excel counts a 29 Feb 1900)
_EPOCH_1904 = pd.Timestamp(1904, 1, 1)
_MAX_SERIAL = 2_958_465  # 9999-12-31, Excel's last date


@dataclass(frozen=True)
class DateColumn:
    """A parsed date column: the dates (NaT where empty or bad) and a message per bad cell."""

    dates: pd.Series  # datetime64[ns], midnight
    errors: pd.Series  # object: a message, or None where the cell is fine
    column_error: str | None = None  # a problem with the whole column (ambiguous format)
    detected_format: str | None = None


def parse_date_column(
    values: pd.Series,
    *,
    date1904: bool = False,
    date_format: str | None = None,
    types: CellTypes | None = None,
) -> DateColumn:
    """Read every cell of a column as a date, never guessing a text format row by row."""
    dates = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    errors = pd.Series(None, index=values.index, dtype=object)
    types = CellTypes(values) if types is None else types
    typed = types.of(dt.date, dt.datetime, pd.Timestamp)
    if typed.any():
        # Dates repeat a lot in supplier files: each distinct one is converted once.
        codes, uniques = pd.factorize(values[typed].to_numpy(dtype=object))
        converted = pd.to_datetime(pd.Series(uniques, dtype=object)).dt.normalize()
        dates[typed] = converted.to_numpy()[codes]

    numbers = types.of(int, float)
    if numbers.any():
        serial_dates, serial_errors = _serials(values[numbers], date1904)
        dates[numbers] = serial_dates
        errors[numbers] = serial_errors

    errors[types.of(bool)] = "a true/false value is not a date"

    text = types.of(str)
    if text.any():
        written = values[text]
        text[text] = (~written.str.isspace() & written.ne("")).to_numpy(dtype=bool)
    column_error = None
    detected = date_format
    if text.any():
        stripped = values[text].map(str.strip)
        parsed, text_errors, column_error, detected = _text_dates(stripped, date_format)
        dates[text] = parsed
        errors[text] = text_errors

    out_of_range = dates.notna() & ((dates < EARLIEST) | (dates > LATEST))
    errors[out_of_range] = "date is outside 1900–2199"
    dates[out_of_range] = pd.NaT
    return DateColumn(dates, errors, column_error, detected)


def _serials(values: pd.Series, date1904: bool) -> tuple[pd.Series, pd.Series]:
    numbers = values.astype(float)
    errors = pd.Series(None, index=values.index, dtype=object)
    bad = ~np.isfinite(numbers) | (numbers < (0 if date1904 else 1)) | (numbers > _MAX_SERIAL)
    whole = np.floor(numbers.where(~bad, 0).to_numpy()).astype("int64")
    if date1904:
        offsets = whole
    else:
        # Excel's 1900 system counts a 29 February 1900 that never existed (serial 60).
        phantom = pd.Series(whole == 60, index=values.index)
        errors[phantom] = "Excel serial 60 is 29 February 1900, a day that does not exist"
        bad = bad | phantom
        offsets = whole + np.where(whole < 60, 1, 0)
    epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
    dates = pd.Series(epoch + pd.to_timedelta(offsets, unit="D"), index=values.index)
    errors[bad & errors.isna()] = "number is not an Excel date"
    return dates.where(~bad), errors


def _text_dates(
    texts: pd.Series, date_format: str | None
) -> tuple[pd.Series, pd.Series, str | None, str | None]:
    unique = pd.Series(texts.unique())
    if date_format is not None:
        readings = _read(unique, date_format)
        return _apply(texts, unique, readings, date_format, None)

    complete: list[tuple[str, pd.Series]] = []
    best: tuple[int, str, pd.Series] | None = None
    for candidate in CANDIDATE_FORMATS:
        readings = _read(unique, candidate)
        hits = int(readings.notna().sum())
        if hits == len(unique):
            complete.append((candidate, readings))
        if hits and (best is None or hits > best[0]):
            best = (hits, candidate, readings)

    if complete:
        first_format, first = complete[0]
        for other_format, other in complete[1:]:
            differs = first.ne(other)
            if differs.any():
                sample = unique[differs.to_numpy()].iloc[0]
                message = (
                    f"dates like '{sample}' read differently as {first_format} and "
                    f"{other_format}; set date_format in a profile"
                )
                return _ambiguous(texts, message)
        return _apply(texts, unique, first, first_format, None)
    if best is None:
        errors = pd.Series("not a date", index=texts.index, dtype=object)
        return pd.Series(pd.NaT, index=texts.index, dtype="datetime64[ns]"), errors, None, None
    _, fmt, readings = best
    return _apply(texts, unique, readings, fmt, None)


def _read(unique: pd.Series, date_format: str) -> pd.Series:
    parsed = pd.to_datetime(unique, format=date_format, errors="coerce")
    return parsed.dt.normalize()


def _apply(
    texts: pd.Series,
    unique: pd.Series,
    readings: pd.Series,
    date_format: str,
    column_error: str | None,
) -> tuple[pd.Series, pd.Series, str | None, str | None]:
    lookup = pd.Series(readings.to_numpy(), index=unique.to_numpy())
    dates = pd.Series(lookup.reindex(texts.to_numpy()).to_numpy(), index=texts.index)
    errors = pd.Series(None, index=texts.index, dtype=object)
    errors[dates.isna()] = f"not a date in the column's format {date_format}"
    return dates.astype("datetime64[ns]"), errors, column_error, date_format


def _ambiguous(
    texts: pd.Series, message: str
) -> tuple[pd.Series, pd.Series, str | None, str | None]:
    dates = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[ns]")
    errors = pd.Series(None, index=texts.index, dtype=object)
    return dates, errors, message, None
