"""Ingesting supplier files: all rows in one transaction or none, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import Engine, func, text
from sqlmodel import Session, SQLModel, col, select

import services.ingest as ingest_module
import services.ingest_writers as writers
from models import (
    BackorderLine,
    DeliveryLine,
    IngestedFile,
    InventoryAdjustment,
    Offer,
    PoEvent,
    PoLine,
    PriceList,
    PromiseChange,
    PurchaseOrder,
    StockOnHand,
    SupplierStock,
)
from services.ingest import IngestResult, ingest_file
from services.ingest_writers import looks_like_ours
from services.po_release import format_po_number
from supplier_feeds.profiles import PROFILES_DIR
from tests import factories
from tests.datasets import ADVENTUREWORKS, SCMS, require
from tests.supplier_files import deliveries_rows, write_csv, write_xlsx

AS_OF = date(2024, 6, 1)


def _ingest(
    engine: Engine, path: Path, kind: str | None, tmp_path: Path, **options: Any
) -> IngestResult:
    options.setdefault("as_of", AS_OF)
    return ingest_file(engine, path, kind, reports_dir=tmp_path / "reports", **options)


def _count(engine: Engine, model: type[SQLModel]) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _business_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(
            int(conn.execute(text(f'SELECT count(*) FROM "{table.name}"')).scalar_one())
            for table in SQLModel.metadata.sorted_tables
            if table.name not in ("ingested_file", "alembic_version")
        )


# Real data ---------------------------------------------------------------------------------


def test_scms_delivery_history_ingests_through_its_shipped_profile(
    engine: Engine, tmp_path: Path
) -> None:
    profile = PROFILES_DIR / "scms_deliveries.toml"
    result = _ingest(engine, require(SCMS), "deliveries", tmp_path, profile=profile)
    assert (result.status, result.rows, result.error_count) == ("accepted", 10_324, 0)
    assert _count(engine, DeliveryLine) == 10_324
    with engine.connect() as conn:
        vendors = conn.execute(text("SELECT count(DISTINCT supplier_id) FROM delivery_line"))
        assert vendors.scalar_one() == 73

    again = _ingest(engine, require(SCMS), "deliveries", tmp_path, profile=profile)
    assert (again.status, again.rows, again.file_id) == ("duplicate", 10_324, result.file_id)
    assert _count(engine, DeliveryLine) == 10_324


def test_adventureworks_vendor_prices_ingest_as_a_catalog(engine: Engine, tmp_path: Path) -> None:
    profile = PROFILES_DIR / "adventureworks_catalog.toml"
    result = _ingest(engine, require(ADVENTUREWORKS), "catalog", tmp_path, profile=profile)
    assert (result.status, result.rows) == ("accepted", 460)
    assert _count(engine, Offer) == 460
    with Session(engine) as session:
        offer = session.exec(select(Offer).order_by(col(Offer.id))).first()
        assert offer is not None
        assert offer.unit_price == Decimal("47.87")
        assert offer.lead_time_days == 17


# Layouts -----------------------------------------------------------------------------------

TITLE_ROWS = [["Acme Ltd: open orders"], ["printed 2024-05-31"], []]


def _layout_csv_with_title_rows(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    return write_csv(tmp_path / "orders.csv", TITLE_ROWS + deliveries_rows(40)), {}


def _layout_xlsx_with_cover_sheet(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    sheets = {"Cover": [["Terms"], ["Net 30"]], "Lines": deliveries_rows(40)}
    return write_xlsx(tmp_path / "orders.xlsx", sheets), {}


def _layout_semicolons_and_day_first_dates(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    rows = [["Artikel", "Bestellung", "Menge", "Liefertermin"]]
    rows += [[f"A{i}", f"B{i}", str(i + 1), f"{1 + i % 28:02d}.03.2024"] for i in range(40)]
    profile = tmp_path / "acme.toml"
    profile.write_text(
        'kind = "deliveries"\nsupplier = "Acme GmbH"\ndelimiter = ";"\n'
        '[columns]\nsku = "Artikel"\npo_number = "Bestellung"\nordered_qty = "Menge"\n'
        'promised_date = "Liefertermin"\n',
        encoding="utf-8",
    )
    return write_csv(tmp_path / "acme.csv", rows, delimiter=";"), {"profile": profile}


def _layout_no_supplier_column(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    rows = [[row[i] for i in (1, 2, 3, 4, 5, 6)] for row in deliveries_rows(40)]
    return write_csv(tmp_path / "plain.csv", rows), {"supplier": "Plain Parts"}


LAYOUTS = [
    _layout_csv_with_title_rows,
    _layout_xlsx_with_cover_sheet,
    _layout_semicolons_and_day_first_dates,
    _layout_no_supplier_column,
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda f: f.__name__.removeprefix("_layout_"))
def test_files_in_other_layouts_are_accepted_whole_then_seen_as_duplicates(
    engine: Engine, tmp_path: Path, layout: Any
) -> None:
    path, options = layout(tmp_path)
    first = _ingest(engine, path, "deliveries", tmp_path, **options)
    assert (first.status, first.rows, first.errors) == ("accepted", 40, [])
    assert _count(engine, DeliveryLine) == 40
    second = _ingest(engine, path, "deliveries", tmp_path, **options)
    assert second.status == "duplicate"
    assert _count(engine, DeliveryLine) == 40


# Rejections --------------------------------------------------------------------------------


def test_one_bad_cell_among_a_thousand_rows_rejects_the_file_and_names_the_cell(
    engine: Engine, tmp_path: Path
) -> None:
    rows = deliveries_rows(1_000)
    rows[500][4] = "-3"  # Excel row 501, column "Qty"
    path = write_csv(tmp_path / "orders.csv", rows)
    result = _ingest(engine, path, "deliveries", tmp_path)

    assert result.status == "rejected"
    assert result.error_count == 1
    [error] = result.errors
    assert (error.row, error.column, error.value) == (501, "Qty", "-3")
    assert _business_rows(engine) == 0

    assert result.report is not None
    book = load_workbook(result.report)
    bad = book[next(name for name in book.sheetnames if name.startswith("Bad rows"))]
    assert bad.cell(2, 1).value == 501
    qty = bad.cell(2, 1 + 1 + 4)
    assert qty.value == "'-3" or qty.value == "-3" or qty.value == -3
    assert qty.comment is not None
    assert "at least 1" in qty.comment.text
    with Session(engine) as session:
        [recorded] = session.exec(select(IngestedFile)).all()
        assert (recorded.status, recorded.error_count) == ("rejected", 1)
        assert recorded.report_path == result.report


def test_a_rejected_file_sent_again_with_a_profile_is_accepted(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        ["Supplier", "SKU", "Price", "Lead Time"],
        ["Acme", "A", "1,50", "3"],
        ["Acme", "B", "2,25", "4"],
    ]
    path = write_csv(tmp_path / "prices.csv", rows)
    rejected = _ingest(engine, path, "catalog", tmp_path)
    assert rejected.status == "rejected"
    assert 'decimal = ","' in rejected.errors[0].message

    profile = tmp_path / "acme.toml"
    profile.write_text('kind = "catalog"\ndecimal = ","\n', encoding="utf-8")
    accepted = _ingest(engine, path, "catalog", tmp_path, profile=profile)
    assert (accepted.status, accepted.rows) == ("accepted", 2)
    with Session(engine) as session:
        prices = sorted(o.unit_price for o in session.exec(select(Offer)).all())
    assert prices == [Decimal("1.50"), Decimal("2.25")]


def test_a_crash_half_way_through_writing_leaves_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "orders.csv", deliveries_rows(1_000))
    original_chunks = writers.chunks
    monkeypatch.setattr(writers, "chunks", lambda items, size=100: original_chunks(items, 100))
    original_report = ingest_module._report

    def crash_at_half(fraction: float, stage: str) -> None:
        original_report(fraction, stage)
        if stage.startswith("writing (") and fraction > 0.7:
            raise RuntimeError("power cut")

    monkeypatch.setattr(ingest_module, "_report", crash_at_half)
    with pytest.raises(RuntimeError, match="power cut"):
        _ingest(engine, path, "deliveries", tmp_path)
    assert _business_rows(engine) == 0
    assert _count(engine, IngestedFile) == 0


def test_a_profile_for_another_kind_is_rejected_without_writing(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "orders.csv", deliveries_rows(3))
    result = _ingest(
        engine, path, "catalog", tmp_path, profile=PROFILES_DIR / "scms_deliveries.toml"
    )
    assert result.status == "rejected"
    assert "deliveries" in result.message
    assert _business_rows(engine) == 0


# Deliveries --------------------------------------------------------------------------------

HEADER = ["Vendor", "PO Number", "Line", "SKU", "Qty", "Due Date", "Received Date", "Received Qty"]


def test_a_re_promise_updates_the_line_and_keeps_the_original_promise(
    engine: Engine, tmp_path: Path
) -> None:
    first = write_csv(
        tmp_path / "a.csv", [HEADER, ["Acme", "S1", "1", "A", "5", "2024-03-01", "", ""]]
    )
    later = write_csv(
        tmp_path / "b.csv", [HEADER, ["Acme", "S1", "1", "A", "5", "2024-03-10", "", ""]]
    )
    assert _ingest(engine, first, "deliveries", tmp_path).status == "accepted"
    result = _ingest(engine, later, "deliveries", tmp_path)
    assert result.counts["updated"] == 1
    with Session(engine) as session:
        [line] = session.exec(select(DeliveryLine)).all()
        assert (line.original_promised_date, line.promised_date) == (
            date(2024, 3, 1),
            date(2024, 3, 10),
        )
        [change] = session.exec(select(PromiseChange)).all()
        assert (change.previous_date, change.promised_date) == (date(2024, 3, 1), date(2024, 3, 10))


def _our_po(session: Session, number: str = "PO-000001", supplier: str = "Acme") -> PoLine:
    party = factories.supplier(session, supplier)
    item = factories.sku(session, "A")
    assert party.id is not None
    assert item.id is not None
    po = PurchaseOrder(
        po_number=number,
        supplier_id=party.id,
        status="sent",
        order_date=date(2024, 5, 1),
        created_by="policy",
        approved_by="policy",
    )
    session.add(po)
    session.flush()
    assert po.id is not None
    line = PoLine(
        po_id=po.id, line_no=1, sku_id=item.id, qty=10, unit_price=Decimal("2"), status="sent"
    )
    session.add(line)
    session.commit()
    return line


def test_a_delivery_naming_our_po_is_a_receipt_on_that_po_line(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    line = _our_po(session)
    path = write_csv(
        tmp_path / "r.csv",
        [HEADER, ["Acme", "PO-000001", "", "A", "10", "2024-05-20", "2024-05-22", "10"]],
    )
    result = _ingest(engine, path, "deliveries", tmp_path)
    assert result.status == "accepted"
    session.expire_all()
    received = session.get(PoLine, line.id)
    assert received is not None
    assert (received.received_qty, received.received_date, received.status) == (
        10,
        date(2024, 5, 22),
        "received",
    )
    events = session.exec(select(PoEvent)).all()
    assert {(e.po_line_id, e.to_status) for e in events} == {
        (line.id, "received"),
        (None, "received"),
    }
    [delivery] = session.exec(select(DeliveryLine)).all()
    assert delivery.po_line_id == line.id


@pytest.mark.parametrize(
    ("po_number", "sku", "column", "message"),
    [
        ("PO-999999", "A", "PO Number", "not one of procure's POs"),
        ("PO-000001", "Z", "SKU", "not on PO PO-000001"),
    ],
)
def test_a_receipt_against_an_unknown_po_or_sku_rejects_the_file_naming_the_row(
    engine: Engine,
    session: Session,
    tmp_path: Path,
    po_number: str,
    sku: str,
    column: str,
    message: str,
) -> None:
    _our_po(session)
    rows = [HEADER, ["Acme", "SUP-1", "1", "A", "1", "2024-05-20", "", ""]]
    rows.append(["Acme", po_number, "", sku, "10", "2024-05-20", "2024-05-22", "10"])
    result = _ingest(engine, write_csv(tmp_path / "r.csv", rows), "deliveries", tmp_path)
    assert result.status == "rejected"
    [error] = result.errors
    assert (error.row, error.column) == (3, column)
    assert message in error.message
    assert _count(engine, DeliveryLine) == 0


# Confirmations, stock, inventory, back orders, catalog -------------------------------------

CONFIRMATION = ["Supplier", "PO Number", "SKU", "Confirmed Qty", "Confirmed Date"]


def test_a_confirmation_moves_the_promise_on_our_po_line_and_joins_the_ledger(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    line = _our_po(session)
    path = write_csv(
        tmp_path / "c.csv", [CONFIRMATION, ["Acme", "PO-000001", "A", "10", "2024-05-15"]]
    )
    assert _ingest(engine, path, "confirmations", tmp_path).status == "accepted"
    session.expire_all()
    confirmed = session.get(PoLine, line.id)
    assert confirmed is not None
    assert (confirmed.promised_date, confirmed.original_promised_date) == (
        date(2024, 5, 15),
        date(2024, 5, 15),
    )
    [change] = session.exec(select(PromiseChange)).all()
    assert (change.po_line_id, change.source) == (line.id, "confirmation")


def test_a_confirmation_from_an_unknown_supplier_is_rejected(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    _our_po(session)
    path = write_csv(
        tmp_path / "c.csv", [CONFIRMATION, ["Nobody", "PO-000001", "A", "10", "2024-05-15"]]
    )
    result = _ingest(engine, path, "confirmations", tmp_path)
    assert result.status == "rejected"
    assert result.errors[0].column == "Supplier"
    assert _count(engine, PromiseChange) == 0


def test_a_stock_file_is_a_dated_snapshot(engine: Engine, tmp_path: Path) -> None:
    rows = [["Supplier", "SKU", "Available"], ["Acme", "A", "0"], ["Acme", "B", "12"]]
    assert (
        _ingest(engine, write_csv(tmp_path / "s.csv", rows), "stock", tmp_path).status == "accepted"
    )
    with Session(engine) as session:
        stock = session.exec(select(SupplierStock)).all()
    assert sorted((s.available_qty, s.reported_on) for s in stock) == [(0, AS_OF), (12, AS_OF)]


def test_an_inventory_count_records_what_we_believed_and_what_was_counted(
    engine: Engine, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "i1.csv", [["SKU", "On Hand"], ["A", "5"]])
    second = write_csv(tmp_path / "i2.csv", [["SKU", "On Hand"], ["A", "3"]])
    _ingest(engine, first, "inventory", tmp_path)
    _ingest(engine, second, "inventory", tmp_path)
    with Session(engine) as session:
        [stock] = session.exec(select(StockOnHand)).all()
        assert stock.on_hand == 3
        adjustments = session.exec(
            select(InventoryAdjustment).order_by(col(InventoryAdjustment.id))
        ).all()
    assert [(a.believed, a.counted) for a in adjustments] == [(0, 5), (5, 3)]


def test_back_orders_upsert_and_a_cancelled_status_cancels(engine: Engine, tmp_path: Path) -> None:
    header = ["Order ID", "SKU", "Qty", "Ordered At", "Status"]
    first = write_csv(tmp_path / "b1.csv", [header, ["1001", "A", "2", "2024-05-01", "open"]])
    second = write_csv(tmp_path / "b2.csv", [header, ["1001", "A", "2", "2024-05-01", "Cancelled"]])
    _ingest(engine, first, "backorders", tmp_path)
    result = _ingest(engine, second, "backorders", tmp_path)
    assert result.counts["cancelled"] == 1
    with Session(engine) as session:
        [line] = session.exec(select(BackorderLine)).all()
    assert (line.line_id, line.status, line.cancelled_on) == ("1001-1", "cancelled", AS_OF)


def test_a_new_price_list_supersedes_the_old_one_and_keeps_its_history(
    engine: Engine, tmp_path: Path
) -> None:
    header = ["Supplier", "SKU", "Price", "Lead Time", "Valid From"]
    old = write_csv(tmp_path / "p1.csv", [header, ["Acme", "A", "10", "5", "2024-01-01"]])
    new = write_csv(tmp_path / "p2.csv", [header, ["Acme", "A", "11", "5", "2024-04-01"]])
    _ingest(engine, old, "catalog", tmp_path)
    _ingest(engine, new, "catalog", tmp_path)
    with Session(engine) as session:
        lists = session.exec(select(PriceList).order_by(col(PriceList.id))).all()
    assert [p.effective_from for p in lists] == [date(2024, 1, 1), date(2024, 4, 1)]
    assert _count(engine, Offer) == 2


@given(st.integers(min_value=0, max_value=10**15))
def test_every_number_procure_issues_is_recognised_as_ours(number: int) -> None:
    po_number = format_po_number(number)
    assert looks_like_ours(po_number)
    assert re.fullmatch(writers.OWN_PO_PATTERN, po_number)


@pytest.mark.parametrize("reference", ["PO-0000001", "PO-12", "SCMS-4", "PO-000001 ", "po-000001"])
def test_suppliers_own_references_are_not_taken_for_ours(reference: str) -> None:
    assert not looks_like_ours(reference)
    assert not re.fullmatch(writers.OWN_PO_PATTERN, reference)
