"""Reorder against the system of record (SQLite and PostgreSQL): POs, coverage, approval."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from models import (
    BackorderLine,
    OutboxMessage,
    PoEvent,
    PoLine,
    PoLineCoverage,
    PurchaseOrder,
)
from models.db import session_scope
from services.po_release import AUTOMATION, POLICY_RELEASE
from services.po_transport import FileDropTransport
from services.reorder import ReorderResult, ReorderSettings, Sending, reorder
from tests import factories
from tests.coverage import open_coverage

AS_OF = date(2026, 12, 1)
SETTINGS = ReorderSettings(auto_release_limit=Decimal("5000"))


def run(engine: Engine, *, limit: str = "5000", **kwargs: object) -> ReorderResult:
    settings = ReorderSettings(auto_release_limit=Decimal(limit))
    return reorder(engine, as_of=AS_OF, settings=settings, **kwargs)  # type: ignore[arg-type]


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def cancel_order(engine: Engine, order_id: str) -> None:
    """The customer cancels the back-order line of ``order_id``."""
    with session_scope(engine) as session:
        line = session.execute(
            select(BackorderLine).where(col(BackorderLine.order_id) == order_id)
        ).scalar_one()
        line.status = "cancelled"
        session.add(line)


@pytest.fixture
def world(engine: Engine) -> Engine:
    """Two suppliers for SKU-1; three back orders; no stock."""
    with session_scope(engine) as session:
        factories.catalog(session, "Contoso", [{"sku": "SKU-1", "unit_price": "10.00"}])
        factories.catalog(session, "Northwind", [{"sku": "SKU-1", "unit_price": "12.00"}])
        factories.backorder(session, "SO-1", "SKU-1", 3, date(2026, 11, 20))
        factories.backorder(session, "SO-2", "SKU-1", 4, date(2026, 11, 21))
        factories.backorder(session, "SO-3", "SKU-1", 5, date(2026, 11, 22))
    return engine


def test_a_shortage_becomes_one_po_line_covering_each_backorder_line(world: Engine) -> None:
    result = run(world)
    assert result.status == "completed"
    [po] = result.created
    assert po.supplier == "Contoso"
    [line] = po.lines
    assert (line.sku, line.qty, line.unit_price) == ("SKU-1", 12, Decimal("10.00"))
    assert line.covers == ("SO-1-1", "SO-2-1", "SO-3-1")
    assert len(open_coverage(world)) == 3


def test_po_numbers_have_a_stable_format(world: Engine) -> None:
    [po] = run(world).created
    assert po.po_number == "PO-000001"


def test_running_reorder_twice_changes_nothing_the_second_time(world: Engine) -> None:
    run(world)
    before = (count(world, PurchaseOrder), count(world, PoLine), count(world, PoEvent))
    again = run(world)
    assert again.created == ()
    assert again.uncovered == ()
    assert (count(world, PurchaseOrder), count(world, PoLine), count(world, PoEvent)) == before


def test_a_po_within_the_limit_is_released_by_policy_and_sent(world: Engine) -> None:
    [po] = run(world, limit="5000").created
    assert po.status == "sent"
    with Session(world) as session:
        stored = session.execute(select(PurchaseOrder)).scalar_one()
        assert stored.approved_by == POLICY_RELEASE
        assert stored.created_by == AUTOMATION
        [message] = session.execute(select(OutboxMessage)).scalars().all()
        assert message.payload["po_number"] == po.po_number


def test_a_po_over_the_limit_waits_for_a_human(world: Engine) -> None:
    [po] = run(world, limit="100").created
    assert po.status == "pending_approval"
    with Session(world) as session:
        stored = session.execute(select(PurchaseOrder)).scalar_one()
        assert stored.approved_by is None
        assert session.execute(select(OutboxMessage)).first() is None


def test_every_state_change_has_exactly_one_audit_event(world: Engine) -> None:
    run(world, limit="5000")
    with Session(world) as session:
        events = session.execute(
            select(
                col(PoEvent.po_line_id), col(PoEvent.from_status), col(PoEvent.to_status)
            ).order_by(col(PoEvent.id))
        ).all()
    po_events = [(e.from_status, e.to_status) for e in events if e.po_line_id is None]
    line_events = [(e.from_status, e.to_status) for e in events if e.po_line_id is not None]
    assert po_events == [(None, "draft"), ("draft", "approved"), ("approved", "sent")]
    assert line_events == [(None, "draft"), ("draft", "approved"), ("approved", "sent")]


def test_dry_run_computes_and_writes_nothing(world: Engine) -> None:
    result = run(world, dry_run=True)
    assert result.status == "dry-run"
    assert [po.po_number for po in result.created] == ["PO-000001"]
    assert count(world, PurchaseOrder) == 0
    assert count(world, PoLineCoverage) == 0


def test_a_new_backorder_is_merged_into_the_suppliers_unsent_po(world: Engine) -> None:
    [first] = run(world, limit="100").created
    with session_scope(world) as session:
        factories.backorder(session, "SO-4", "SKU-1", 2, date(2026, 11, 23))
    [second] = run(world, limit="100").created
    assert second.po_number == first.po_number
    assert second.merged
    assert [line.covers for line in second.lines] == [("SO-4-1",)]
    assert count(world, PurchaseOrder) == 1


def test_stock_on_hand_covers_whole_lines_oldest_first(world: Engine) -> None:
    with session_scope(world) as session:
        factories.stock(session, "SKU-1", 8)  # SO-1 (3) fits, SO-2 (4) fits, SO-3 (5) does not
    [po] = run(world).created
    [line] = po.lines
    assert line.covers == ("SO-3-1",)
    assert line.qty == 5


def test_blocked_supplier_never_gets_an_automatic_po(world: Engine) -> None:
    with session_scope(world) as session:
        factories.manual_standing(session, "Contoso", "blocked", date(2026, 11, 1))
    [po] = run(world).created
    assert po.supplier == "Northwind"


def test_only_blocked_suppliers_leave_the_shortage_uncovered(world: Engine) -> None:
    with session_scope(world) as session:
        factories.manual_standing(session, "Contoso", "blocked", date(2026, 11, 1))
        factories.manual_standing(session, "Northwind", "blocked", date(2026, 11, 1))
    result = run(world)
    assert result.created == ()
    [gap] = result.uncovered
    assert (gap.sku, gap.qty, gap.code) == ("SKU-1", 12, "supplier-blocked")


def test_reorder_computes_reliability_from_delivery_history(engine: Engine) -> None:
    with session_scope(engine) as session:
        factories.catalog(session, "Cheap Late", [{"sku": "SKU-1", "unit_price": "9.80"}])
        factories.catalog(session, "Reliable", [{"sku": "SKU-1", "unit_price": "10.00"}])
        factories.delivery_history(session, "Cheap Late", "SKU-1", on_time=5, late=25)
        factories.delivery_history(session, "Reliable", "SKU-1", on_time=30, late=0)
        factories.backorder(session, "SO-1", "SKU-1", 5, date(2026, 11, 20))
    [po] = run(engine).created
    assert po.supplier == "Reliable"
    assert po.lines[0].reason_code == "earliest-within-price-band"


def test_sending_writes_formula_safe_documents_and_drops_them(
    world: Engine, tmp_path: Path
) -> None:
    with session_scope(world) as session:
        factories.sku(session, "SKU-1").code  # noqa: B018 - the SKU exists already
    sending = Sending(tmp_path / "documents", FileDropTransport(tmp_path / "outbox"))
    result = run(world, sending=sending)
    [delivered] = result.delivered
    assert delivered.status == "sent"
    dropped = sorted(p.name for p in (tmp_path / "outbox" / "Contoso").iterdir())
    assert dropped == [
        "PO-000001-v1.csv",
        "PO-000001-v1.xlsx",
        "purchase_order-PO-000001-v1.json",
    ]


def test_cancelled_backorder_shrinks_an_unsent_po_line(world: Engine) -> None:
    run(world, limit="100")
    cancel_order(world, "SO-3")
    result = run(world, limit="100")
    [change] = result.changed
    assert change.action == "shrink"
    with Session(world) as session:
        assert session.execute(select(col(PoLine.qty))).scalar_one() == 7
    assert len(open_coverage(world)) == 2


def test_cancelled_backorder_on_a_sent_line_is_flagged_for_the_buyer(world: Engine) -> None:
    run(world, limit="5000")
    cancel_order(world, "SO-3")
    result = run(world)
    [flag] = result.flagged
    assert "sent" in flag.reason
    assert "SO-3-1" in flag.reason
    with Session(world) as session:
        assert session.execute(select(col(PoLine.qty))).scalar_one() == 12


def test_cancelling_every_covered_backorder_cancels_the_line_and_po_with_one_event_each(
    world: Engine,
) -> None:
    run(world, limit="100")
    with session_scope(world) as session:
        for line in session.execute(select(BackorderLine)).scalars():
            line.status = "cancelled"
            session.add(line)
    [change] = run(world, limit="100").changed
    assert change.action == "cancel"
    with Session(world) as session:
        moves = session.execute(
            select(col(PoEvent.po_line_id), col(PoEvent.from_status), col(PoEvent.to_status))
            .where(col(PoEvent.to_status) == "cancelled")
            .order_by(col(PoEvent.id))
        ).all()
        assert session.execute(select(col(PurchaseOrder.status))).scalar_one() == "cancelled"
    assert [(from_, to) for _, from_, to in moves] == [
        ("pending_approval", "cancelled"),
        ("pending_approval", "cancelled"),
    ]
    assert [line_id is None for line_id, _, _ in moves] == [False, True]
    assert open_coverage(world) == []
