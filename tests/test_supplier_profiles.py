"""Profiles: the TOML that maps a supplier's layout onto procure's columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from purchasing.errors import ProfileError
from supplier_feeds.profiles import PROFILES_DIR, load_profile, parse_profile


def test_a_profile_maps_file_headers_onto_canonical_columns() -> None:
    profile = parse_profile(
        {
            "kind": "deliveries",
            "supplier": "  Acme Ltd ",
            "sheet": "Open Orders",
            "header_row": 4,
            "date_format": "%d-%b-%y",
            "decimal": ",",
            "encoding": "cp1252",
            "columns": {"promised_date": "Scheduled Delivery Date"},
        }
    )
    assert profile.kind == "deliveries"
    assert profile.supplier == "Acme Ltd"
    assert profile.header_row == 4
    assert profile.decimal == ","
    assert profile.columns == {"promised_date": "Scheduled Delivery Date"}


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"kind": "deliveries", "colour": "red"}, "'colour'"),
        ({"kind": "invoices"}, "'invoices'"),
        ({"kind": "catalog", "columns": {"due": "Due Date"}}, "'columns.due'"),
        ({"kind": "catalog", "columns": {"promised_date": "Due"}}, "'columns.promised_date'"),
        ({"kind": "catalog", "header_row": 0}, "'header_row'"),
        ({"kind": "catalog", "decimal": ";"}, "'decimal'"),
        ({"kind": "catalog", "encoding": "klingon"}, "'encoding'"),
        ({"kind": "catalog", "date_format": "dd/mm/yyyy"}, "'date_format'"),
        ({"supplier": "Acme"}, "'kind'"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_key(document: dict[str, object], named: str) -> None:
    with pytest.raises(ProfileError, match=named):
        parse_profile(document)


def test_a_profile_that_is_not_toml_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('kind = "catalog\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=r"broken\.toml"):
        load_profile(path)


@pytest.mark.parametrize("path", sorted(PROFILES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_profile_loads(path: Path) -> None:
    assert load_profile(path).columns
