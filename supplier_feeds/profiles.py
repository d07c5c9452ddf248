"""Supplier file profiles: small TOML files mapping a supplier's layout onto canonical columns."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from purchasing.errors import ProfileError
from supplier_feeds.columns import COLUMNS, KINDS

PROFILES_DIR = Path(__file__).parent / "profiles"

_TOP_LEVEL_KEYS = {
    "kind",
    "supplier",
    "sheet",
    "header_row",
    "date_format",
    "decimal",
    "encoding",
    "delimiter",
    "columns",
}


@dataclass(frozen=True)
class Profile:
    """How to read one supplier's files; every field is optional except ``kind``."""

    kind: str
    supplier: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    date_format: str | None = None
    decimal: str = "."
    encoding: str | None = None
    delimiter: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    source: str = "<default>"


def default_profile(kind: str, supplier: str | None = None) -> Profile:
    """The profile used when the buyer gives none: synonyms, detection, decimal point."""
    _check_kind(kind, "--kind")
    return Profile(kind=kind, supplier=_clean_supplier(supplier, "--supplier"))


def load_profile(path: Path) -> Profile:
    """Read and check a profile file; any problem is a ProfileError naming the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ProfileError(f"profile {path}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ProfileError(f"profile {path}: is not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"profile {path}: not valid TOML ({error})") from None
    return parse_profile(document, source=str(path))


def parse_profile(document: dict[str, Any], *, source: str = "<profile>") -> Profile:
    """Check a profile's keys and values and build the Profile."""
    unknown = sorted(set(document) - _TOP_LEVEL_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_TOP_LEVEL_KEYS))
        raise ProfileError(f"profile {source}: unknown key '{unknown[0]}' (allowed: {allowed})")
    if "kind" not in document:
        raise ProfileError(f"profile {source}: key 'kind' is required")
    kind = _string(document, "kind", source)
    assert kind is not None
    _check_kind(kind, f"profile {source}: key 'kind'")

    header_row = document.get("header_row")
    if header_row is not None and (
        isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1
    ):
        raise ProfileError(f"profile {source}: key 'header_row' must be a whole number ≥ 1")

    date_format = _string(document, "date_format", source)
    if date_format is not None:
        _check_date_format(date_format, source)

    decimal = _string(document, "decimal", source) or "."
    if decimal not in (".", ","):
        raise ProfileError(f'profile {source}: key \'decimal\' must be "." or ","')

    encoding = _string(document, "encoding", source)
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ProfileError(f"profile {source}: key 'encoding': unknown '{encoding}'") from None

    delimiter = _string(document, "delimiter", source)
    if delimiter is not None and len(delimiter) != 1:
        raise ProfileError(f"profile {source}: key 'delimiter' must be one character")

    return Profile(
        kind=kind,
        supplier=_clean_supplier(_string(document, "supplier", source), f"profile {source}"),
        sheet=_string(document, "sheet", source),
        header_row=header_row,
        date_format=date_format,
        decimal=decimal,
        encoding=encoding,
        delimiter=delimiter,
        columns=_columns(document.get("columns", {}), kind, source),
        source=source,
    )


def _string(document: dict[str, Any], key: str, source: str) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"profile {source}: key '{key}' must be non-empty text")
    return value


def _check_kind(kind: str, where: str) -> None:
    if kind not in KINDS:
        raise ProfileError(f"{where}: unknown kind '{kind}' (one of {', '.join(KINDS)})")


def _clean_supplier(name: str | None, where: str) -> str | None:
    if name is None:
        return None
    trimmed = name.strip()
    if not trimmed:
        raise ProfileError(f"{where}: supplier name is empty")
    if len(trimmed) > 200:
        raise ProfileError(f"{where}: supplier name is longer than 200 characters")
    return trimmed


def _check_date_format(date_format: str, source: str) -> None:
    if "%" not in date_format:
        raise ProfileError(f"profile {source}: key 'date_format' has no strptime directive")
    try:
        # Round-tripping a known date proves the format is one strptime understands.
        sample = date(2024, 11, 23).strftime(date_format)
        datetime.strptime(sample, date_format)  # noqa: DTZ007  # a calendar date, no time zone
    except ValueError as error:
        raise ProfileError(f"profile {source}: key 'date_format' is not usable ({error})") from None


def _columns(raw: object, kind: str, source: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ProfileError(f"profile {source}: key 'columns' must be a table")
    known = {spec.name for spec in COLUMNS[kind]}
    columns: dict[str, str] = {}
    for canonical, header in raw.items():
        if canonical not in known:
            raise ProfileError(
                f"profile {source}: key 'columns.{canonical}' is not a {kind} column "
                f"(one of {', '.join(sorted(known))})"
            )
        if not isinstance(header, str) or not header.strip():
            raise ProfileError(f"profile {source}: key 'columns.{canonical}' must be header text")
        columns[canonical] = header
    return columns
