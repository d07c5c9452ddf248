"""The whole loop on SQLite and PostgreSQL: back orders → reorder → the supplier delivers against
our PO (part, then the rest, one line late) → back orders ship oldest first → scores learn."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models import (
    BackorderLine,
    DeliveryLine,
    OutboxMessage,
    PoEvent,
    PoLine,
    PoLineCoverage,
    PurchaseOrder,
    StockOnHand,
)
from models.db import session_scope
from services.ingest import IngestResult, ingest_file
from services.receiving import take_ingest_result
from services.reorder import ReorderSettings, reorder
from services.scoring import score_suppliers
from tests import factories
from tests.supplier_files import write_csv

ORDERED = date(2026, 3, 2)
HEADER = [
    "Supplier",
    "PO Number",
    "Line",
    "SKU",
    "Ordered Qty",
    "Promised Date",
    "Received Date",
    "Received Qty",
]


@pytest.fixture
def ordered(engine: Engine) -> Engine:
    """Three customers wait for SKU-1, two for SKU-2; reorder sends one PO to Contoso."""
    with session_scope(engine) as session:
        factories.catalog(
            session,
            "Contoso",
            [
                {"sku": "SKU-1", "unit_price": "10.00", "lead_time_days": 7},
                {"sku": "SKU-2", "unit_price": "4.50", "lead_time_days": 7},
            ],
        )
        for order, sku, qty, day in [
            ("SO-1", "SKU-1", 3, date(2026, 2, 20)),
            ("SO-2", "SKU-1", 4, date(2026, 2, 21)),
            ("SO-3", "SKU-1", 2, date(2026, 2, 22)),
            ("SO-4", "SKU-2", 5, date(2026, 2, 23)),
            ("SO-5", "SKU-2", 1, date(2026, 2, 24)),
        ]:
            factories.backorder(
                session, order, sku, qty, day, customer_email=f"{order.lower()}@example.com"
            )
    result = reorder(
        engine, as_of=ORDERED, settings=ReorderSettings(auto_release_limit=Decimal("5000"))
    )
    [po] = result.created
    assert (po.po_number, po.status) == ("PO-000001", "sent")
    return engine


def deliver(engine: Engine, tmp_path: Path, name: str, rows: list[list[object]]) -> IngestResult:
    path = write_csv(tmp_path / name, [HEADER, *rows])
    result = ingest_file(
        engine, path, "deliveries", reports_dir=tmp_path / "reports", as_of=date(2026, 3, 20)
    )
    assert result.status == "accepted", result.errors
    return result


def lines(engine: Engine) -> dict[str, BackorderLine]:
    with Session(engine) as session:
        return {row.order_id: row for row in session.execute(select(BackorderLine)).scalars()}


def po_lines(engine: Engine) -> dict[int, PoLine]:
    with Session(engine) as session:
        return {row.line_no: row for row in session.execute(select(PoLine)).scalars()}


def test_the_loop_closes_from_back_order_to_shipment_and_score(
    ordered: Engine, tmp_path: Path
) -> None:
    sent = po_lines(ordered)
    assert sent[1].original_promised_date == date(2026, 3, 9)  # order date + 7 days quoted

    # A partial delivery of SKU-1 on time: 7 of 9 arrive, SKU-2 not yet.
    first = deliver(
        ordered,
        tmp_path,
        "part.csv",
        [
            ["Contoso", "PO-000001", "1", "SKU-1", "9", "2026-03-09", "2026-03-08", "7"],
            ["Contoso", "PO-000001", "2", "SKU-2", "6", "2026-03-09", "", ""],
        ],
    )
    assert first.counts["backorders_fulfilled"] == 2
    receiving = take_ingest_result(first.file_id or 0)
    assert receiving is not None
    assert [(s.order_id, s.wait_days) for s in receiving.fulfilment.shipped] == [
        ("SO-1", 16),
        ("SO-2", 15),
    ]
    after_first = lines(ordered)
    assert after_first["SO-1"].status == after_first["SO-2"].status == "fulfilled"
    assert after_first["SO-3"].status == "open"  # oldest first: the 7 went to SO-1 and SO-2
    assert po_lines(ordered)[1].status == "partially_received"

    # The rest of SKU-1 on time, and SKU-2 a week late (its promise was the 9th).
    deliver(
        ordered,
        tmp_path,
        "rest.csv",
        [
            ["Contoso", "PO-000001", "1", "SKU-1", "9", "2026-03-09", "2026-03-09", "9"],
            ["Contoso", "PO-000001", "2", "SKU-2", "6", "2026-03-12", "2026-03-16", "6"],
        ],
    )
    shipped = lines(ordered)
    assert {order: row.status for order, row in shipped.items()} == dict.fromkeys(
        ["SO-1", "SO-2", "SO-3", "SO-4", "SO-5"], "fulfilled"
    )
    assert shipped["SO-3"].fulfilled_on == date(2026, 3, 9)
    assert shipped["SO-4"].fulfilled_on == date(2026, 3, 16)  # waited 21 days from 23 Feb

    with Session(ordered) as session:
        open_coverage = session.execute(
            select(PoLineCoverage).where(col(PoLineCoverage.released_at).is_(None))
        ).all()
        assert open_coverage == []
        reasons = set(session.execute(select(col(PoLineCoverage.release_reason))).scalars())
        assert reasons == {"fulfilled"}
        po = session.execute(select(PurchaseOrder)).scalar_one()
        assert po.status == "received"
        stock = {row.sku_id: row.on_hand for row in session.execute(select(StockOnHand)).scalars()}
        assert sorted(stock.values()) == [0, 0]  # 9 - 9 shipped, 6 - 6 shipped
        history = {
            row.line_key: row
            for row in session.execute(
                select(DeliveryLine).where(col(DeliveryLine.po_number) == "PO-000001")
            ).scalars()
        }
        # One history line per PO line, judged against the promise it was sent with.
        assert sorted(history) == ["1", "2"]
        assert history["2"].original_promised_date == date(2026, 3, 9)
        assert history["2"].promised_date == date(2026, 3, 12)
        notices = session.execute(
            select(col(OutboxMessage.recipient)).where(
                col(OutboxMessage.message_type) == "order_shipped"
            )
        ).scalars()
        assert sorted(notices) == [f"so-{n}@example.com" for n in range(1, 6)]
        card = score_suppliers(session, as_of=date(2026, 3, 31)).scorecards[0]
        assert (card.supplier, card.lines, card.on_time_lines) == ("Contoso", 2, 1)


def test_every_receipt_status_change_has_exactly_one_event(ordered: Engine, tmp_path: Path) -> None:
    deliver(
        ordered,
        tmp_path,
        "all.csv",
        [
            ["Contoso", "PO-000001", "1", "SKU-1", "9", "2026-03-09", "2026-03-08", "4"],
            ["Contoso", "PO-000001", "2", "SKU-2", "6", "2026-03-09", "2026-03-08", "6"],
        ],
    )
    deliver(
        ordered,
        tmp_path,
        "more.csv",
        [["Contoso", "PO-000001", "1", "SKU-1", "9", "2026-03-09", "2026-03-10", "9"]],
    )
    with Session(ordered) as session:
        moves = [
            (event.po_line_id is None, event.from_status, event.to_status)
            for event in session.execute(
                select(PoEvent).where(col(PoEvent.actor) == "procure:receiving")
            ).scalars()
        ]
    assert moves == [
        (False, "sent", "partially_received"),
        (False, "sent", "received"),
        (True, "sent", "partially_received"),
        (False, "partially_received", "received"),
        (True, "partially_received", "received"),
    ]


def test_an_over_receipt_is_capped_at_the_ordered_qty_and_flagged(
    ordered: Engine, tmp_path: Path
) -> None:
    result = deliver(
        ordered,
        tmp_path,
        "over.csv",
        [["Contoso", "PO-000001", "1", "SKU-1", "9", "2026-03-09", "2026-03-09", "12"]],
    )
    receiving = take_ingest_result(result.file_id or 0)
    assert receiving is not None
    [flag] = receiving.discrepancies
    assert (flag.code, flag.po_number, flag.line_no) == ("over-receipt", "PO-000001", 1)
    assert "3 over" in flag.message
    line = po_lines(ordered)[1]
    assert (line.received_qty, line.status) == (9, "received")


def test_the_same_delivery_file_twice_ships_nothing_more(ordered: Engine, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Contoso", "PO-000001", "1", "SKU-1", "9", "2026-03-09", "2026-03-08", "3"],
    ]
    deliver(ordered, tmp_path, "a.csv", rows)
    again = ingest_file(
        ordered,
        write_csv(tmp_path / "a.csv", [HEADER, *rows]),
        "deliveries",
        reports_dir=tmp_path / "reports",
    )
    assert again.status == "duplicate"
    # The same figures in a new file: cumulative, so nothing new reaches the shelf.
    later: list[list[object]] = [
        *rows,
        ["Contoso", "PO-000001", "2", "SKU-2", "6", "2026-03-09", "", ""],
    ]
    deliver(ordered, tmp_path, "b.csv", later)
    assert [row.status for row in lines(ordered).values()].count("fulfilled") == 1
    assert po_lines(ordered)[1].received_qty == 3


@pytest.mark.parametrize(
    ("line", "sku", "column", "message"),
    [
        ("2", "SKU-1", "Line", "line 2 of PO PO-000001 is SKU SKU-2, not SKU-1"),
        ("", "SKU-9", "SKU", "SKU SKU-9 is not on PO PO-000001"),
    ],
)
def test_a_receipt_that_fits_no_line_of_our_po_rejects_the_file(
    ordered: Engine, tmp_path: Path, line: str, sku: str, column: str, message: str
) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [HEADER, ["Contoso", "PO-000001", line, sku, "9", "2026-03-09", "2026-03-08", "9"]],
    )
    result = ingest_file(ordered, path, "deliveries", reports_dir=tmp_path / "reports")
    assert result.status == "rejected"
    [error] = result.errors
    assert (error.row, error.column, error.message) == (2, column, message)
    assert po_lines(ordered)[1].received_qty == 0


def test_a_receipt_without_a_line_number_matches_by_sku(ordered: Engine, tmp_path: Path) -> None:
    deliver(
        ordered,
        tmp_path,
        "by_sku.csv",
        [["Contoso", "PO-000001", "", "SKU-2", "6", "2026-03-09", "2026-03-08", "6"]],
    )
    assert po_lines(ordered)[2].status == "received"
    with Session(ordered) as session:
        keys = list(session.execute(select(col(DeliveryLine.line_key))).scalars())
    assert sorted(keys) == ["1", "2"]  # no second history line for the same PO line


def test_a_stock_count_is_reconciled_and_the_shelf_then_serves_the_oldest_lines(
    ordered: Engine, tmp_path: Path
) -> None:
    from models import InventoryAdjustment
    from services.fulfilment import fulfil_waiting

    path = write_csv(tmp_path / "count.csv", [["SKU", "On Hand"], ["SKU-1", "5"]])
    counted = ingest_file(ordered, path, "inventory", reports_dir=tmp_path / "reports")
    assert counted.status == "accepted", counted.errors
    with session_scope(ordered) as session:
        [adjustment] = session.execute(select(InventoryAdjustment)).scalars()
        assert (adjustment.believed, adjustment.counted) == (0, 5)
        shipped = fulfil_waiting(session, date(2026, 3, 4))
    assert [(s.order_id, s.covered_by) for s in shipped.shipped] == [
        ("SO-1", "PO-000001"),
        ("SO-3", "PO-000001"),  # SO-2 wants 4, only 2 were left: the stock passes on
    ]
    assert lines(ordered)["SO-2"].status == "open"


def test_a_received_line_whose_goods_went_to_older_orders_uncovers_what_it_still_covered(
    ordered: Engine, tmp_path: Path
) -> None:
    with session_scope(ordered) as session:
        # A line the store found late: older than all, covered by nothing.
        factories.backorder(session, "SO-0", "SKU-1", 3, date(2026, 2, 19))
    result = deliver(
        ordered,
        tmp_path,
        "all.csv",
        [["Contoso", "PO-000001", "1", "SKU-1", "9", "2026-03-09", "2026-03-09", "9"]],
    )
    receiving = take_ingest_result(result.file_id or 0)
    assert receiving is not None
    assert [s.order_id for s in receiving.fulfilment.shipped] == ["SO-0", "SO-1", "SO-3"]
    assert receiving.coverage_released == 1
    with Session(ordered) as session:
        [reason] = session.execute(
            select(col(PoLineCoverage.release_reason))
            .join(BackorderLine, col(BackorderLine.id) == col(PoLineCoverage.backorder_line_id))
            .where(col(BackorderLine.order_id) == "SO-2")
        ).scalars()
        assert reason == "po-line-received"
        stock = session.execute(select(col(StockOnHand.on_hand))).scalars().all()
    assert list(stock) == [1]


def test_two_rows_receiving_against_one_po_line_reject_the_file(
    ordered: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "twice.csv",
        [
            HEADER,
            ["Contoso", "PO-000001", "1", "SKU-1", "9", "2026-03-09", "2026-03-08", "4"],
            ["Contoso", "PO-000001", "", "SKU-1", "9", "2026-03-09", "2026-03-09", "9"],
        ],
    )
    result = ingest_file(ordered, path, "deliveries", reports_dir=tmp_path / "reports")
    assert result.status == "rejected"
    [error] = result.errors
    assert (error.row, error.message) == (3, "row 2 already receives against line 1 of PO-000001")
