"""A deliveries file naming our PO, ingested through its flow, leaves receiving artifacts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from models.db import session_scope
from services.reorder import ReorderSettings, reorder
from tests import factories
from tests.run_artifacts import artifacts_by_key, table_rows
from tests.supplier_files import write_csv


def test_receipts_leave_tables_of_lines_received_and_back_orders_fulfilled(
    engine: Engine, prefect_harness: None, tmp_path: Path
) -> None:

    from flows.ingest import ingest_supplier_file
    from flows.wiring import FlowRuntime, configure_flows

    with session_scope(engine) as session:
        factories.catalog(session, "Contoso", [{"sku": "SKU-1", "unit_price": "2.5"}])
        factories.backorder(
            session, "SO-1", "SKU-1", 4, date(2026, 11, 20), customer_email="a@b.co"
        )
        factories.backorder(session, "SO-2", "SKU-1", 3, date(2026, 11, 21))
    reorder(engine, as_of=date(2026, 12, 1), settings=ReorderSettings(Decimal(1000)))
    configure_flows(FlowRuntime(engine=lambda: engine, reports_dir=tmp_path / "reports"))
    path = write_csv(
        tmp_path / "receipts.csv",
        [
            ["Supplier", "PO", "Line", "SKU", "Qty", "Due Date", "Received", "Received Qty"],
            ["Contoso", "PO-000001", "1", "SKU-1", "7", "2026-12-08", "2026-12-10", "5"],
        ],
    )
    state = ingest_supplier_file(path=str(path), kind="deliveries", return_state=True)
    assert state.is_completed()
    assert state.result().counts["backorders_fulfilled"] == 1

    by_key = artifacts_by_key(state.state_details.flow_run_id)
    assert {"receiving-summary", "receiving-lines", "receiving-fulfilled"} <= set(by_key)

    [line] = table_rows(by_key["receiving-lines"])
    assert (line["po_number"], line["received_qty"], line["days_late"]) == ("PO-000001", 5, 2)
    [shipped] = table_rows(by_key["receiving-fulfilled"])
    assert (shipped["order_id"], shipped["wait_days"]) == ("SO-1", 20)
    assert "back orders fulfilled | 1" in str(by_key["receiving-summary"].data)


def test_the_shelf_flow_ships_waiting_lines_after_a_stock_count(
    engine: Engine, prefect_harness: None, tmp_path: Path
) -> None:

    from flows.receiving import fulfil_from_shelf
    from flows.wiring import FlowRuntime, configure_flows

    with session_scope(engine) as session:
        factories.backorder(session, "SO-1", "SKU-1", 4, date(2026, 11, 20))
        factories.backorder(session, "SO-2", "SKU-1", 3, date(2026, 11, 21))
        factories.stock(session, "SKU-1", 3)
    configure_flows(FlowRuntime(engine=lambda: engine, reports_dir=tmp_path / "reports"))
    state = fulfil_from_shelf(as_of=date(2026, 12, 1), return_state=True)
    assert state.is_completed()
    assert [line["order_id"] for line in state.result()["fulfilled"]] == ["SO-2"]
    by_key = artifacts_by_key(state.state_details.flow_run_id)
    assert set(by_key) == {"receiving-summary", "receiving-fulfilled"}
