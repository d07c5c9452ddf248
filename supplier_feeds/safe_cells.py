"""Making supplier text safe to put in a spreadsheet or CSV: never a live formula."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

# A cell starting with one of these is run as a formula by spreadsheet programs
# (tab and carriage return included: some programs strip them and read what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

# Characters XML 1.0 cannot hold; openpyxl refuses to write them.
_ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

XLSX_TEXT_LIMIT = 32_767

SafeValue = str | int | float | bool | dt.date | dt.datetime | Decimal | None


def escape_formula(text: str) -> str:
    """Text that a spreadsheet shows as written: a leading apostrophe defuses formula starts."""
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def safe_xlsx_value(value: object) -> SafeValue:
    """A value ready for an openpyxl cell: numbers and dates kept, text escaped and cleaned."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date):
        return value
    text = _ILLEGAL_IN_XLSX.sub("\ufffd", str(value))
    text = escape_formula(text)
    return text[:XLSX_TEXT_LIMIT]


def safe_csv_value(value: object) -> str:
    """A value ready for a CSV field: text escaped; numbers and dates in plain ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return escape_formula(str(value))
