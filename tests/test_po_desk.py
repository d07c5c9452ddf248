"""The PO desk: a person approves a held PO (never its creator or the automation); listing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models import PoEvent, PurchaseOrder
from models.db import session_scope
from purchasing.errors import InputRejected, RuleViolation, UnknownRecord
from services.po_desk import approve_po, list_pos, show_po
from services.po_transport import FileDropTransport
from services.reorder import ReorderSettings, Sending, reorder
from tests import factories

AS_OF = date(2026, 12, 1)


@pytest.fixture
def held(engine: Engine) -> str:
    """One PO over a 100 limit, waiting for a person."""
    with session_scope(engine) as session:
        factories.catalog(
            session,
            "=cmd|' /C calc'!A0",
            [{"sku": "SKU-1", "unit_price": "50.00", "supplier_sku": "@SUM(1+1)"}],
        )
        factories.backorder(session, "SO-1", "SKU-1", 3, date(2026, 11, 20))
    result = reorder(engine, as_of=AS_OF, settings=ReorderSettings(auto_release_limit=Decimal(100)))
    [po] = result.created
    assert po.status == "pending_approval"
    return po.po_number


def test_a_person_approves_a_held_po_and_it_is_sent(engine: Engine, held: str) -> None:
    result = approve_po(engine, held, by="alice", as_of=AS_OF)
    assert (result.status, result.approved_by) == ("sent", "alice")
    with Session(engine) as session:
        events = session.execute(
            select(col(PoEvent.actor), col(PoEvent.to_status))
            .where(col(PoEvent.po_line_id).is_(None))
            .order_by(col(PoEvent.id))
        ).all()
    assert [tuple(e) for e in events][-2:] == [("alice", "approved"), ("procure:reorder", "sent")]


@pytest.mark.parametrize("who", ["procure:reorder", "policy:auto-release", "Procure:Reorder "])
def test_the_automation_never_approves_a_po_over_the_limit(
    engine: Engine, held: str, who: str
) -> None:
    with pytest.raises(RuleViolation):
        approve_po(engine, held, by=who, as_of=AS_OF)


def test_the_creator_cannot_approve_their_own_po(engine: Engine, held: str) -> None:
    with session_scope(engine) as session:
        po = session.execute(select(PurchaseOrder)).scalar_one()
        po.created_by = "bob"
        session.add(po)
    with pytest.raises(RuleViolation, match="bob created"):
        approve_po(engine, held, by="bob", as_of=AS_OF)


def test_an_approved_po_cannot_be_approved_again(engine: Engine, held: str) -> None:
    approve_po(engine, held, by="alice", as_of=AS_OF)
    with pytest.raises(RuleViolation, match="sent"):
        approve_po(engine, held, by="carol", as_of=AS_OF)


def test_approving_an_unknown_po_names_it(engine: Engine) -> None:
    with pytest.raises(UnknownRecord, match="PO-999999"):
        approve_po(engine, "PO-999999", by="alice", as_of=AS_OF)


def test_a_po_of_a_supplier_blocked_by_hand_is_not_approved(engine: Engine, held: str) -> None:
    with session_scope(engine) as session:
        factories.manual_standing(session, "=cmd|' /C calc'!A0", "blocked", date(2026, 11, 30))
    with pytest.raises(RuleViolation, match="blocked"):
        approve_po(engine, held, by="alice", as_of=AS_OF)


def test_po_list_filters_by_status_and_supplier(engine: Engine, held: str) -> None:
    with Session(engine) as session:
        [po] = list_pos(session, status="pending_approval")
        assert po["po_number"] == held
        assert po["lines"][0]["covers"] == ["SO-1-1"]
        assert list_pos(session, status="sent") == []
        assert list_pos(session, supplier="Nobody") == []
        with pytest.raises(InputRejected, match="unknown PO status"):
            list_pos(session, status="lost")


def test_po_show_carries_candidates_and_the_audit_trail(engine: Engine, held: str) -> None:
    with Session(engine) as session:
        document = show_po(session, held)
    assert document["lines"][0]["candidates"][0]["rank"] == 1
    assert [e["to"] for e in document["events"] if e["line_id"] is None] == [
        "draft",
        "pending_approval",
    ]


def test_exported_po_documents_never_hold_a_live_formula(
    engine: Engine, held: str, tmp_path: Path
) -> None:
    sending = Sending(tmp_path / "documents", FileDropTransport(tmp_path / "outbox"))
    result = approve_po(engine, held, by="alice", as_of=AS_OF, sending=sending)
    [delivered] = result.delivered
    assert delivered.status == "sent"
    folder = Path(delivered.where)
    workbook = load_workbook(folder / f"{held}-v1.xlsx")
    cells = [cell for row in workbook.active.iter_rows() for cell in row]  # type: ignore[union-attr]
    assert all(cell.data_type != "f" for cell in cells)
    assert any(cell.value == "'=cmd|' /C calc'!A0" for cell in cells)
    text = (folder / f"{held}-v1.csv").read_text(encoding="utf-8")
    assert all(
        not field.startswith(("=", "+", "-", "@"))
        for row in text.splitlines()
        for field in row.split(",")
    )
