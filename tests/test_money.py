"""Money: offers in other currencies compared in base currency, landed cost, exact decimals from
the supplier's file to the database to the PO document."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models import Offer, PoLine
from models.db import session_scope
from services.exchange_rates import rates_on, set_rate
from services.ingest import ingest_file
from services.po_transport import FileDropTransport
from services.reorder import ReorderSettings, Sending, reorder
from tests import factories
from tests.supplier_files import write_csv

AS_OF = date(2026, 12, 1)


def offers_for_sku_1(engine: Engine, *, eur_rate: str | None, us_freight: str | None) -> None:
    with session_scope(engine) as session:
        factories.catalog(
            session, "EuroCo", [{"sku": "SKU-1", "unit_price": "10.00", "currency": "EUR"}]
        )
        us_offer: dict[str, Any] = {"sku": "SKU-1", "unit_price": "11.50"}
        if us_freight is not None:
            us_offer.update(unit_price="10.00", freight_per_unit=Decimal(us_freight))
        factories.catalog(session, "USCo", [us_offer])
        factories.backorder(session, "SO-1", "SKU-1", 10, date(2026, 11, 20))
        if eur_rate is not None:
            set_rate(session, "EUR", eur_rate, valid_from=date(2026, 1, 1), base_currency="USD")


def chosen(engine: Engine) -> tuple[PoLine, dict[str, dict[str, Any]]]:
    reorder(engine, as_of=AS_OF, settings=ReorderSettings(auto_release_limit=Decimal(10_000)))
    with Session(engine) as session:
        [line] = session.execute(select(PoLine)).scalars()
    return line, {c["supplier"]: c for c in line.candidates}


@pytest.mark.parametrize(
    ("eur_rate", "us_freight", "winner", "eur_landed", "usd_landed"),
    [
        ("1.10", None, "EuroCo", "11.00", "11.50"),  # EUR 10 is USD 11.00: cheaper
        ("1.30", None, "USCo", "13.00", "11.50"),  # EUR 10 is USD 13.00: over the 5% band
        ("1.10", "1.50", "EuroCo", "11.00", "11.50"),  # USD 10 + 1.50 freight landed
    ],
)
def test_a_eur_offer_and_a_usd_offer_are_compared_in_base_currency(
    engine: Engine,
    eur_rate: str,
    us_freight: str | None,
    winner: str,
    eur_landed: str,
    usd_landed: str,
) -> None:
    offers_for_sku_1(engine, eur_rate=eur_rate, us_freight=us_freight)
    line, candidates = chosen(engine)
    assert Decimal(candidates["EuroCo"]["landed_unit_cost"]) == Decimal(eur_landed)
    assert Decimal(candidates["USCo"]["landed_unit_cost"]) == Decimal(usd_landed)
    assert line.currency == ("EUR" if winner == "EuroCo" else "USD")
    assert candidates[winner]["rank"] == 1


def test_an_offer_in_a_currency_without_a_rate_is_not_eligible(engine: Engine) -> None:
    offers_for_sku_1(engine, eur_rate=None, us_freight=None)
    line, candidates = chosen(engine)
    assert line.currency == "USD"
    assert (candidates["EuroCo"]["eligible"], candidates["EuroCo"]["code"]) == (
        False,
        "no-exchange-rate",
    )


def test_the_rate_in_force_is_the_latest_from_on_or_before_the_day(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_rate(session, "EUR", "1.05", valid_from=date(2026, 1, 1), base_currency="USD")
        set_rate(session, "EUR", "1.15", valid_from=date(2026, 7, 1), base_currency="USD")
        assert rates_on(session, date(2026, 6, 30), base_currency="USD") == {
            "EUR": Decimal("1.05"),
            "USD": Decimal(1),
        }
        assert rates_on(session, date(2026, 7, 1), base_currency="USD")["EUR"] == Decimal("1.15")


def test_amounts_stay_exact_from_the_price_list_to_the_po_document(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "prices.csv",
        [
            ["Supplier", "SKU", "Unit Price", "Currency", "Lead Time"],
            ["EuroCo", "SKU-1", "0.100001", "EUR", "5"],
        ],
    )
    accepted = ingest_file(engine, path, "catalog", reports_dir=tmp_path / "reports")
    assert accepted.status == "accepted", accepted.errors
    with session_scope(engine) as session:
        set_rate(session, "EUR", "1.000003", valid_from=date(2026, 1, 1), base_currency="USD")
        factories.backorder(session, "SO-1", "SKU-1", 3, date(2026, 11, 20))
        [offer] = session.execute(select(Offer)).scalars()
        assert offer.unit_price == Decimal("0.100001")
    reorder(
        engine,
        as_of=AS_OF,
        settings=ReorderSettings(auto_release_limit=Decimal(100)),
        sending=Sending(tmp_path / "documents", FileDropTransport(tmp_path / "outbox")),
    )
    with Session(engine) as session:
        [line] = session.execute(select(PoLine)).scalars()
    assert (line.unit_price, line.currency) == (Decimal("0.100001"), "EUR")
    with (tmp_path / "outbox" / "EuroCo" / "PO-000001-v1.csv").open(encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["unit_price"], row["line_value"]) == ("0.100001", "0.300003")


def test_freight_and_duty_from_the_price_list_count_in_the_landed_cost(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "prices.csv",
        [
            ["Supplier", "SKU", "Unit Price", "Currency", "Lead Time", "Freight", "Duty"],
            ["EuroCo", "SKU-1", "10.00", "EUR", "7", "0.40", "0.10"],
            ["EuroCo", "SKU-2", "3.00", "EUR", "7", "", ""],
        ],
    )
    accepted = ingest_file(engine, path, "catalog", reports_dir=tmp_path / "reports")
    assert accepted.status == "accepted", accepted.errors
    with session_scope(engine) as session:
        set_rate(session, "EUR", "1.10", valid_from=date(2026, 1, 1), base_currency="USD")
        factories.catalog(session, "USCo", [{"sku": "SKU-1", "unit_price": "11.30"}])
        factories.backorder(session, "SO-1", "SKU-1", 10, date(2026, 11, 20))
        stored = {
            offer.sku_id: (offer.freight_per_unit, offer.duty_per_unit)
            for offer in session.execute(
                select(Offer).where(col(Offer.currency) == "EUR")
            ).scalars()
        }
        assert sorted(stored.values(), key=str) == [
            (Decimal("0.40"), Decimal("0.10")),
            (None, None),
        ]
    line, candidates = chosen(engine)
    # EUR 10.00 + 0.50 landed is USD 11.55: dearer than USD 11.30, though within the band.
    assert Decimal(candidates["EuroCo"]["landed_unit_cost"]) == Decimal("11.55")
    assert Decimal(candidates["USCo"]["landed_unit_cost"]) == Decimal("11.30")
    assert line.currency == "USD"
