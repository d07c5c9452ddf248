"""A person can approve a held PO from the Prefect UI; the automation's rules still hold."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from flows.approval import approve_purchase_order
from flows.wiring import FlowRuntime, configure_flows
from models import PoEvent, PurchaseOrder
from services.reorder import ReorderSettings, reorder
from tests import factories

AS_OF = date(2026, 12, 1)


def _held_po(engine: Engine) -> str:
    with Session(engine) as session:
        factories.offer(session, "Acme Ltd", "SKU-1", "100.00", lead_time_days=5)
        factories.backorder(session, "SO-1", "SKU-1", 80, date(2026, 11, 28))
        session.commit()
    result = reorder(engine, as_of=AS_OF, settings=ReorderSettings(auto_release_limit=Decimal(10)))
    (po,) = result.created
    assert po.status == "pending_approval"
    return po.po_number


def test_a_buyer_approves_a_held_po_from_the_ui_and_it_is_sent(
    engine: Engine, tmp_path: Path, prefect_harness: None
) -> None:
    configure_flows(FlowRuntime(engine=lambda: engine, reports_dir=tmp_path / "reports"))
    po_number = _held_po(engine)
    outcome = approve_purchase_order(po_number=po_number, approved_by="Ana Buyer", as_of=AS_OF)
    assert outcome["status"] == "sent"
    with Session(engine) as session:
        po = session.exec(select(PurchaseOrder)).one()
        assert (po.status, po.approved_by) == ("sent", "Ana Buyer")
        reasons = [e.reason for e in session.exec(select(PoEvent).where(PoEvent.po_id == po.id))]
        assert any("Ana Buyer" in reason for reason in reasons)


def test_the_automation_cannot_approve_from_the_ui_either(
    engine: Engine, tmp_path: Path, prefect_harness: None
) -> None:
    configure_flows(FlowRuntime(engine=lambda: engine, reports_dir=tmp_path / "reports"))
    po_number = _held_po(engine)
    outcome = approve_purchase_order(
        po_number=po_number, approved_by="policy:auto-release", as_of=AS_OF
    )
    assert outcome["status"] == "refused"
    with Session(engine) as session:
        assert session.exec(select(PurchaseOrder)).one().status == "pending_approval"
