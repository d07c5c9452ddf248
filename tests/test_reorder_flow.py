"""The ``raise-backorder-pos`` flow leaves a table of POs raised, one of uncovered shortages, and
a markdown summary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from models.db import session_scope
from tests import factories
from tests.run_artifacts import artifacts_by_key, table_rows


def test_the_flow_leaves_tables_of_pos_and_uncovered_shortages_and_a_summary(
    engine: Engine, prefect_harness: None, tmp_path: Path
) -> None:

    from flows.reorder import raise_backorder_pos
    from flows.wiring import FlowRuntime, configure_flows

    with session_scope(engine) as session:
        factories.catalog(session, "Contoso", [{"sku": "SKU-1", "unit_price": "2.5"}])
        factories.backorder(session, "SO-1", "SKU-1", 4, date(2026, 11, 20))
        factories.backorder(session, "SO-2", "SKU-9", 1, date(2026, 11, 20))
    configure_flows(
        FlowRuntime(
            engine=lambda: engine,
            reports_dir=tmp_path / "reports",
            auto_release_limit=Decimal(100),
        )
    )
    state = raise_backorder_pos(as_of=date(2026, 12, 1), return_state=True)
    assert state.is_completed()
    result = state.result()
    assert [po.status for po in result.created] == ["sent"]
    assert (tmp_path / "outbox" / "Contoso" / "PO-000001-v1.csv").exists()

    by_key = artifacts_by_key(state.state_details.flow_run_id)
    assert set(by_key) == {
        "backorder-pos-raised",
        "backorder-shortages-uncovered",
        "backorder-reorder-summary",
    }

    [raised] = table_rows(by_key["backorder-pos-raised"])
    assert (raised["supplier"], raised["sku"], raised["qty"], raised["value"]) == (
        "Contoso",
        "SKU-1",
        4,
        "10.00",
    )
    assert raised["status"] == "sent"
    assert raised["reason"]
    [gap] = table_rows(by_key["backorder-shortages-uncovered"])
    assert (gap["sku"], gap["qty"], gap["reason"]) == ("SKU-9", 1, "no-offer")
    summary = by_key["backorder-reorder-summary"].data
    assert isinstance(summary, str)
    assert "PO-000001" in summary
