"""A small store where one supplier is about to slip: shared by the reroute tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from models.db import session_scope
from services.ingest import IngestResult, ingest_file
from services.reorder import ReorderResult, ReorderSettings, reorder
from tests import factories

SKUS = ("SKU-1", "SKU-2", "SKU-3")
LIMIT = Decimal("100000")


def build_store(engine: Engine, as_of: date, *, skus: tuple[str, ...] = SKUS) -> None:
    """Acme is cheapest and quickest; Beta is 3% dearer and three days slower; no stock."""
    with session_scope(engine) as session:
        factories.catalog(
            session, "Acme", [{"sku": s, "unit_price": "10.00", "lead_time_days": 7} for s in skus]
        )
        factories.catalog(
            session, "Beta", [{"sku": s, "unit_price": "10.30", "lead_time_days": 10} for s in skus]
        )
        for n, sku in enumerate(skus):
            factories.backorder(
                session,
                f"SO-{n + 1}",
                sku,
                3 + n,
                as_of - timedelta(days=10),
                promised_date=as_of + timedelta(days=14),
                customer_email=f"customer{n + 1}@example.com",
            )


def order(engine: Engine, as_of: date) -> ReorderResult:
    return reorder(engine, as_of=as_of, settings=ReorderSettings(auto_release_limit=LIMIT))


def confirm(
    engine: Engine,
    folder: Path,
    po_number: str,
    dates: dict[str, date],
    *,
    as_of: date,
    supplier: str = "Acme",
    name: str = "acme-confirmations.csv",
) -> IngestResult:
    """The supplier's order confirmation file, ingested the way buyers do it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    rows = "".join(
        f"{supplier},{po_number},{sku},3,{day.isoformat()}\n" for sku, day in dates.items()
    )
    path.write_text("supplier,po_number,sku,confirmed_qty,confirmed_date\n" + rows, "utf-8")
    result = ingest_file(engine, path, "confirmations", reports_dir=folder, as_of=as_of)
    assert result.status == "accepted", result.errors
    return result


def stock_report(
    engine: Engine, folder: Path, rows: dict[str, int], *, as_of: date, supplier: str = "Acme"
) -> IngestResult:
    """The supplier's stock list, ingested."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{supplier.lower()}-stock-{as_of.isoformat()}.csv"
    body = "".join(f"{supplier},{sku},{qty}\n" for sku, qty in rows.items())
    path.write_text("supplier,sku,available_qty\n" + body, "utf-8")
    result = ingest_file(engine, path, "stock", reports_dir=folder, as_of=as_of)
    assert result.status == "accepted", result.errors
    return result
