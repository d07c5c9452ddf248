"""Reading JSON supplier files: a list of objects, or ``{"rows": [...]}``, as one sheet whose
first row holds the keys."""

from __future__ import annotations

import json
from pathlib import Path

from purchasing.errors import CellError, FileRejected
from supplier_feeds.raw import CellValue, RawSheet, ReadLimits
from supplier_feeds.text_encoding import NotText, check_codec, detect_encoding
from supplier_feeds.workbook_container import rejected

_LISTED_ERRORS = 1_000
_PLAIN = (str, int, float, bool, type(None))


def read_json(path: Path, head: bytes, limits: ReadLimits, encoding: str | None) -> RawSheet:
    """Row 1 holds every key in the order first seen; each object is one row below it."""
    try:
        codec = check_codec(encoding) if encoding else detect_encoding(path, head)
    except NotText as error:
        raise rejected(path.name, str(error)) from None
    try:
        document = json.loads(path.read_bytes().decode(codec))
    except UnicodeDecodeError:
        raise rejected(path.name, f"the JSON file is not valid {codec} text") from None
    except json.JSONDecodeError as error:
        message = f"the JSON is malformed at line {error.lineno}, column {error.colno}: {error.msg}"
        raise rejected(path.name, message) from None
    except RecursionError:
        raise rejected(path.name, "the JSON is nested too deeply to be a table") from None
    items = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise rejected(
            path.name, 'the JSON must be a list of objects, or an object with a "rows" list'
        )
    if len(items) + 1 > limits.max_rows:
        raise rejected(path.name, f"the file has more than {limits.max_rows:,} rows, the limit")
    keys: dict[str, int] = {}
    errors: list[CellError] = []
    total = 0
    for number, item in enumerate(items, start=2):
        problem = _problem(item, limits)
        if problem is not None:
            total += 1
            if len(errors) < _LISTED_ERRORS:
                errors.append(
                    CellError(path.name, number, problem[0], None, f"row {number}: {problem[1]}")
                )
            continue
        for key in item:
            keys.setdefault(key, len(keys))
        if len(keys) > limits.max_columns:
            raise rejected(
                path.name, f"the objects have over {limits.max_columns:,} different keys, the limit"
            )
    if errors:
        more = f" (and {total - 1:,} more rows)" if total > 1 else ""
        raise FileRejected(errors[0].message + more, errors)
    if not items:
        raise rejected(path.name, "the JSON holds no rows")
    order = list(keys)
    rows: list[list[CellValue]] = [list(order)]
    rows.extend([item.get(key) for key in order] for item in items)
    return RawSheet(path.name, rows, False, "json")


def _problem(item: object, limits: ReadLimits) -> tuple[str | None, str] | None:
    if not isinstance(item, dict):
        return None, f"expected an object with one value per column, found {type(item).__name__}"
    for key, value in item.items():
        if not isinstance(value, _PLAIN):
            return key, f"key {key!r} holds a nested {type(value).__name__}; expected a plain value"
        if isinstance(value, str) and len(value) > limits.max_cell_chars:
            limit = limits.max_cell_chars
            return key, f"key {key!r} holds {len(value):,} characters, over the limit of {limit:,}"
    return None
