"""Reading CSV, TSV and TXT files as text, exactly as written: ``NA``, ``NULL`` and ``0042`` stay
text, decimal commas stay ``"12,50"``; every row's field count must match the header's."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from purchasing.errors import CellError, FileRejected
from supplier_feeds.raw import CellValue, RawSheet, ReadLimits
from supplier_feeds.text_encoding import NotText, check_codec, detect_encoding
from supplier_feeds.workbook_container import rejected

DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SAMPLE_CHARS = 64 * 1024
_LISTED_ERRORS = 1_000
_DISTINCT_KEPT = 1_000_000


def read_csv(
    path: Path,
    head: bytes,
    limits: ReadLimits,
    encoding: str | None,
    delimiter: str | None,
) -> RawSheet:
    """One sheet named after the file; every value is text, an empty field is None."""
    try:
        codec = check_codec(encoding) if encoding else detect_encoding(path, head)
    except NotText as error:
        raise rejected(path.name, str(error)) from None
    with path.open("r", encoding=codec, errors="strict", newline="") as text:
        sample = _sample(text, path.name, codec)
        chosen = delimiter if delimiter is not None else sniff_delimiter(sample)
        if len(chosen) != 1:
            raise rejected(path.name, f"the delimiter must be one character, not {chosen!r}")
        text.seek(0)
        records = _records(text, path.name, codec, chosen, limits)
        return RawSheet(path.name, _table(records, path.name, chosen), False, "csv")


def _sample(text: io.TextIOWrapper, file_name: str, codec: str) -> str:
    try:
        sample = text.read(_SAMPLE_CHARS)
    except UnicodeDecodeError:
        raise rejected(file_name, f"the file is not valid {codec} text") from None
    # The last line of the sample may be cut in the middle.
    if len(sample) == _SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    return sample


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the sample's lines into the most consistent number of fields."""
    best, best_score = ",", (0.0, 0)
    for candidate in DELIMITERS:
        try:
            counts = [
                len(row)
                for row in csv.reader(io.StringIO(sample), delimiter=candidate)
                if any(field.strip() for field in row)
            ]
        except csv.Error:
            continue
        if not counts:
            continue
        width, agreeing = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        score = (agreeing / len(counts), width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _lines(text: io.TextIOWrapper, file_name: str, codec: str) -> Iterator[str]:
    number = 0
    try:
        for line in text:
            number += 1
            if "\x00" in line:
                raise rejected(
                    file_name,
                    f"line {number} contains NUL bytes: this is a binary file, not CSV text"
                    " (or a UTF-16 file without its byte-order mark: pass the encoding)",
                )
            yield line
    except UnicodeDecodeError:
        raise rejected(
            file_name,
            f"line {number + 1} is not valid {codec} text; save the file as UTF-8 or pass "
            "its encoding",
        ) from None


def _records(
    text: io.TextIOWrapper, file_name: str, codec: str, delimiter: str, limits: ReadLimits
) -> list[list[str | None]]:
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(limits.max_cell_chars)
    records: list[list[str | None]] = []
    # Supplier files repeat their values (suppliers, dates, quantities, SKUs): each distinct
    # text is kept once, which more than halves the memory of a large file. An empty field
    # becomes None on the way.
    seen: dict[str, str | None] = {"": None}
    try:
        reader = csv.reader(_lines(text, file_name, codec), delimiter=delimiter, strict=True)
        for fields in reader:
            record = list(map(seen.setdefault, fields, fields))
            records.append(record)
            if len(seen) > _DISTINCT_KEPT:
                # A file of all-different values gains nothing; keep the table bounded.
                seen.clear()
                seen[""] = None
            if len(records) > limits.max_rows:
                raise rejected(
                    file_name, f"the file has more than {limits.max_rows:,} rows, the limit"
                )
            if len(record) > limits.max_columns:
                raise rejected(
                    file_name,
                    f"row {len(records)} has {len(record):,} fields; the limit is "
                    f"{limits.max_columns:,} columns",
                )
    except csv.Error as error:
        row = len(records) + 1
        if "field larger than field limit" in str(error):
            message = (
                f"row {row}: a field runs over {limits.max_cell_chars:,} characters — "
                "an unterminated quote?"
            )
        elif "unexpected end of data" in str(error):
            message = f"row {row}: a quoted field is never closed (an unterminated quote)"
        else:
            message = f"row {row}: the CSV is malformed ({error})"
        raise FileRejected(message, [CellError(file_name, row, None, None, message)]) from None
    finally:
        csv.field_size_limit(previous_limit)
    return records


def _table(
    records: list[list[str | None]], file_name: str, delimiter: str
) -> list[list[CellValue]]:
    """Rows checked against the header's field count; title rows above the header are kept."""
    while records and not any(records[-1]):
        records.pop()
    if not records:
        raise rejected(file_name, "the file has no rows")
    widths = Counter(len(record) for record in records if any(record))
    width = widths.most_common(1)[0][0]
    header = next(index for index, record in enumerate(records) if len(record) == width)
    errors: list[CellError] = []
    total = 0
    for index in range(header + 1, len(records)):
        record = records[index]
        if len(record) == width or not any(record):
            continue
        if len(record) > width and not any(record[width:]):
            del record[width:]  # trailing empty fields shift nothing
            continue
        total += 1
        if len(errors) < _LISTED_ERRORS:
            message = (
                f"row {index + 1} has {len(record)} fields, the header (row {header + 1}) has "
                f"{width}"
            )
            errors.append(CellError(file_name, index + 1, None, None, message))
    if errors:
        name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
        more = f" (and {total - 1:,} more rows)" if total > 1 else ""
        raise FileRejected(f"{errors[0].message}{more}; fields are split by {name}", errors)
    full = max(len(record) for record in records)
    for record in records:
        if len(record) < full:
            # In place: a million-row file must not be held twice.
            record.extend([None] * (full - len(record)))
    return cast(list[list[CellValue]], records)
