"""Reroute against the system of record, on SQLite and PostgreSQL: slips, moves, audit, ETAs."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

from models import (
    BackorderLine,
    OutboxMessage,
    PoEvent,
    PoLine,
    PoLineCoverage,
    PurchaseOrder,
    Slip,
)
from models.db import session_scope
from models.types import utcnow
from services.etas import refresh_etas
from services.po_desk import show_po
from services.reroute import RerouteResult, RerouteSettings, reroute
from tests import factories
from tests.coverage import open_coverage
from tests.reroute_world import LIMIT, SKUS, build_store, confirm, order, stock_report

ORDERED = date(2026, 12, 1)
SLIPPED_ON = date(2026, 12, 3)
NINETY_DAYS_LATE = ORDERED + timedelta(days=7 + 90)


def run(engine: Engine, as_of: date = SLIPPED_ON) -> RerouteResult:
    return reroute(engine, as_of=as_of, settings=RerouteSettings(auto_release_limit=LIMIT))


def lines(engine: Engine) -> list[tuple[str, int, str, str, int]]:
    """(PO, line, supplier id, status, qty) of every PO line, in id order."""
    with Session(engine) as session:
        rows = session.execute(
            select(
                col(PurchaseOrder.po_number),
                col(PoLine.line_no),
                col(PurchaseOrder.supplier_id),
                col(PoLine.status),
                col(PoLine.qty),
            )
            .join(PurchaseOrder, col(PurchaseOrder.id) == col(PoLine.po_id))
            .order_by(col(PoLine.id))
        ).all()
    return [(r[0], r[1], str(r[2]), r[3], r[4]) for r in rows]


@pytest.fixture
def slipped(engine: Engine, tmp_path: Path) -> Engine:
    """Acme got all three SKUs on one PO, then re-promised every line 90 days late."""
    build_store(engine, ORDERED)
    [po] = order(engine, ORDERED).created
    assert po.supplier == "Acme"
    refresh_etas(engine, as_of=ORDERED)
    result = confirm(
        engine,
        tmp_path / "inbox",
        po.po_number,
        dict.fromkeys(SKUS, NINETY_DAYS_LATE),
        as_of=SLIPPED_ON,
    )
    assert result.counts["slips"] == 3
    return engine


def test_a_confirmation_ninety_days_late_records_a_slip_per_line_with_its_evidence(
    slipped: Engine,
) -> None:
    with Session(slipped) as session:
        slips = session.execute(select(Slip).order_by(col(Slip.id))).scalars().all()
    assert [slip.signal for slip in slips] == ["re-promised"] * 3
    evidence = slips[0].evidence
    assert evidence["days_moved"] == 90
    assert evidence["new_date"] == NINETY_DAYS_LATE.isoformat()
    assert evidence["customer_need_by"] == (ORDERED + timedelta(days=14)).isoformat()
    assert all(slip.handled_at is None for slip in slips)


def test_slipped_lines_move_to_the_alternate_and_a_rerun_moves_nothing_more(
    slipped: Engine,
) -> None:
    result = run(slipped)
    assert [(r.from_line.supplier, r.to_line.supplier) for r in result.rerouted] == [
        ("Acme", "Beta")
    ] * 3
    assert {r.reason_code for r in result.rerouted} == {"alternate-earlier"}
    assert result.escalated == ()
    before = lines(slipped), open_coverage(slipped)
    again = run(slipped)
    assert again.rerouted == ()
    assert again.escalated == ()
    assert again.slips_handled == ()
    assert (lines(slipped), open_coverage(slipped)) == before


def test_a_rerouted_line_is_closed_and_its_back_orders_move_in_one_piece(slipped: Engine) -> None:
    run(slipped)
    statuses = Counter((po, status) for po, _, _, status, _ in lines(slipped))
    assert statuses == {("PO-000001", "rerouted"): 3, ("PO-000002", "sent"): 3}
    coverage = open_coverage(slipped)
    assert len(coverage) == 3
    assert len({b for b, _ in coverage}) == 3
    with Session(slipped) as session:
        new_lines = session.execute(
            select(col(PoLine.id), col(PoLine.rerouted_from_id)).where(
                col(PoLine.rerouted_from_id).is_not(None)
            )
        ).all()
        po = session.execute(
            select(col(PurchaseOrder.status)).where(col(PurchaseOrder.po_number) == "PO-000001")
        ).scalar_one()
    assert {po_line for _, po_line in coverage} == {line_id for line_id, _ in new_lines}
    assert sorted(origin for _, origin in new_lines) == [1, 2, 3]
    assert po == "rerouted"


def test_every_state_change_of_a_reroute_has_exactly_one_audit_event(slipped: Engine) -> None:
    run(slipped)
    with Session(slipped) as session:
        events = session.execute(
            select(col(PoEvent.po_line_id), col(PoEvent.to_status), col(PoEvent.actor)).where(
                col(PoEvent.to_status) == "rerouted"
            )
        ).all()
    by_line = Counter(line_id for line_id, _, _ in events)
    assert by_line == {1: 1, 2: 1, 3: 1, None: 1}  # three lines and the PO itself
    assert {actor for _, _, actor in events} == {"procure:reroute"}


def test_the_slipping_supplier_is_asked_to_cancel_each_rerouted_line(slipped: Engine) -> None:
    run(slipped)
    run(slipped)
    with Session(slipped) as session:
        messages = session.execute(
            select(OutboxMessage).where(col(OutboxMessage.message_type) == "po_line_cancellation")
        ).scalars()
        payloads = sorted((m.payload["po_number"], m.payload["line_no"]) for m in messages)
    assert payloads == [("PO-000001", 1), ("PO-000001", 2), ("PO-000001", 3)]


def test_customers_get_dates_earlier_than_the_slipped_promise_and_are_told(
    slipped: Engine,
) -> None:
    run(slipped)
    refresh = refresh_etas(slipped, as_of=SLIPPED_ON)
    assert [eta.covered_by for eta in refresh.etas] == ["PO-000002"] * 3
    assert all(eta.eta is not None and eta.eta < NINETY_DAYS_LATE for eta in refresh.etas)
    with Session(slipped) as session:
        told = session.execute(
            select(OutboxMessage).where(col(OutboxMessage.message_type) == "customer_eta_changed")
        ).scalars()
        recipients = sorted(message.recipient or "" for message in told)
    assert recipients == ["customer1@example.com", "customer2@example.com", "customer3@example.com"]


def test_customers_are_not_told_of_a_slip_before_the_reroute_decides(slipped: Engine) -> None:
    refresh = refresh_etas(slipped, as_of=SLIPPED_ON)
    assert all(eta.eta is not None and eta.eta > NINETY_DAYS_LATE for eta in refresh.etas)
    assert refresh.moved == ()


def test_po_show_follows_the_reroute_chain(slipped: Engine) -> None:
    run(slipped)
    with Session(slipped) as session:
        old = show_po(session, "PO-000001")
        new = show_po(session, "PO-000002")
    first_old, first_new = old["lines"][0], new["lines"][0]
    assert first_old["rerouted_to"] == f"PO-000002 line {first_new['line_no']}"
    assert first_new["rerouted_from"] == "PO-000001 line 1"
    assert first_new["reroute_chain"][0] == "PO-000001 line 1"


def test_a_small_slip_within_tolerance_is_not_a_slip(engine: Engine, tmp_path: Path) -> None:
    build_store(engine, ORDERED, skus=("SKU-1",))
    [po] = order(engine, ORDERED).created
    result = confirm(
        engine, tmp_path, po.po_number, {"SKU-1": ORDERED + timedelta(days=10)}, as_of=SLIPPED_ON
    )
    assert result.counts["slips"] == 0


def test_an_alternate_not_meaningfully_earlier_keeps_the_line_and_says_why(
    engine: Engine, tmp_path: Path
) -> None:
    build_store(engine, ORDERED, skus=("SKU-1",))
    [po] = order(engine, ORDERED).created
    # Moved 8 days (over the tolerance) but Beta would only be 5 days earlier.
    confirm(engine, tmp_path, po.po_number, {"SKU-1": ORDERED + timedelta(days=15)}, as_of=ORDERED)
    result = run(engine, ORDERED)
    assert result.rerouted == ()
    [kept] = result.kept
    assert kept.reason_code == "alternate-not-earlier-enough"
    assert "Beta" in kept.reason
    assert "7 days earlier needed" in kept.reason


def test_a_slip_nobody_else_can_take_is_escalated_once_and_the_line_kept(
    engine: Engine, tmp_path: Path
) -> None:
    build_store(engine, ORDERED, skus=("SKU-1",))
    with session_scope(engine) as session:
        factories.backorder(session, "SO-9", "SKU-9", 2, ORDERED - timedelta(days=3))
        factories.catalog(
            session, "Acme", [{"sku": s, "unit_price": "10.00"} for s in ("SKU-1", "SKU-9")]
        )
    [po] = order(engine, ORDERED).created
    confirm(engine, tmp_path, po.po_number, {"SKU-9": NINETY_DAYS_LATE}, as_of=SLIPPED_ON)
    result = run(engine)
    [escalated] = result.escalated
    assert escalated.sku == "SKU-9"
    assert escalated.reason_code.startswith("no-alternate")
    assert result.rerouted == ()
    assert run(engine).escalated == ()
    assert [status for *_, status, _ in lines(engine)] == ["sent", "sent"]


def test_an_overdue_line_is_rerouted_when_the_supplier_is_usually_much_later(
    engine: Engine,
) -> None:
    build_store(engine, ORDERED, skus=("SKU-1",))
    po_number = order(engine, ORDERED).created[0].po_number
    with session_scope(engine) as session:
        # Acme's record, learned since: a third of its lines arrive 40 days late.
        factories.delivery_history(session, "Acme", "SKU-1", on_time=14, late=7, days_late=40)
    result = run(engine, ORDERED + timedelta(days=10))  # quoted for day 7, grace 2 days
    [moved] = result.rerouted
    assert moved.signals == ("overdue",)
    assert moved.from_line.po_number == po_number
    assert moved.to_line.supplier == "Beta"


def test_an_overdue_line_from_a_supplier_without_late_history_is_kept(engine: Engine) -> None:
    build_store(engine, ORDERED, skus=("SKU-1",))
    order(engine, ORDERED)
    result = run(engine, ORDERED + timedelta(days=10))
    [kept] = result.kept
    assert kept.signals == ("overdue",)
    with Session(engine) as session:
        slip = session.execute(select(Slip)).scalars().one()
    assert slip.evidence["days_late"] == 3
    assert slip.outcome is not None


def test_no_stock_at_the_supplier_for_an_unconfirmed_line_reroutes_it(
    engine: Engine, tmp_path: Path
) -> None:
    build_store(engine, ORDERED, skus=("SKU-1",))
    order(engine, ORDERED)
    ingested = stock_report(engine, tmp_path, {"SKU-1": 0}, as_of=ORDERED + timedelta(days=1))
    assert ingested.counts["slips"] == 1
    result = run(engine, ORDERED + timedelta(days=1))
    [moved] = result.rerouted
    assert moved.signals == ("no-stock",)
    assert moved.reason_code == "slipped-line-has-no-date"


def test_enough_supplier_stock_or_a_confirmed_line_is_no_slip(
    engine: Engine, tmp_path: Path
) -> None:
    build_store(engine, ORDERED, skus=("SKU-1", "SKU-2"))
    [po] = order(engine, ORDERED).created
    confirm(engine, tmp_path, po.po_number, {"SKU-2": ORDERED + timedelta(days=9)}, as_of=ORDERED)
    ingested = stock_report(engine, tmp_path, {"SKU-1": 50, "SKU-2": 0}, as_of=ORDERED)
    assert ingested.counts["slips"] == 0


def test_a_blocked_supplier_loses_its_open_lines_to_an_alternate(engine: Engine) -> None:
    build_store(engine, ORDERED, skus=("SKU-1",))
    order(engine, ORDERED)
    with session_scope(engine) as session:
        factories.manual_standing(session, "Acme", "blocked", ORDERED + timedelta(days=1))
    result = run(engine, ORDERED + timedelta(days=1))
    [moved] = result.rerouted
    assert moved.signals == ("blocked",)
    assert moved.to_line.supplier == "Beta"


def test_a_partly_received_line_is_reduced_to_what_arrived_and_the_rest_moves(
    engine: Engine, tmp_path: Path
) -> None:
    build_store(engine, ORDERED, skus=("SKU-1",))
    with session_scope(engine) as session:
        factories.backorder(
            session, "SO-7", "SKU-1", 4, ORDERED - timedelta(days=2), promised_date=ORDERED
        )
    [po] = order(engine, ORDERED).created
    [line] = po.lines
    assert line.qty == 7
    with session_scope(engine) as session:
        # Three units arrived and shipped SO-1 (3 units), the oldest line.
        session.execute(update(PoLine).values(received_qty=3, status="partially_received"))
        first = session.execute(
            select(BackorderLine).where(col(BackorderLine.order_id) == "SO-1")
        ).scalar_one()
        first.status, first.fulfilled_on = "fulfilled", ORDERED
        session.add(first)
        session.execute(
            update(PoLineCoverage)
            .where(col(PoLineCoverage.backorder_line_id) == first.id)
            .values(released_at=utcnow(), release_reason="fulfilled")
        )
    confirm(engine, tmp_path, po.po_number, {"SKU-1": NINETY_DAYS_LATE}, as_of=SLIPPED_ON)
    [moved] = run(engine).rerouted
    assert moved.covers == ("SO-7-1",)
    assert moved.to_line.qty == 4
    assert lines(engine)[0][3:] == ("received", 3)


def test_a_skipped_reroute_does_nothing_and_says_so(slipped: Engine) -> None:
    from services.reorder import LOCK_NAME
    from services.run_lock import run_lock

    with run_lock(slipped, LOCK_NAME) as held:
        assert held
        result = run(slipped)
    assert result.status == "skipped"
    assert result.rerouted == ()
    with Session(slipped) as session:
        handled = session.execute(
            select(func.count()).select_from(Slip).where(col(Slip.handled_at).is_not(None))
        ).scalar_one()
    assert handled == 0


def test_settings_refuse_a_negative_gain() -> None:
    from purchasing.errors import InputRejected
    from purchasing.reroute import RerouteRules

    with pytest.raises(InputRejected):
        RerouteSettings(auto_release_limit=Decimal(1), rules=RerouteRules(min_gain_days=-1))


def test_eta_honesty_compares_shipped_lines_with_their_first_announced_date(
    slipped: Engine,
) -> None:
    from services.etas import eta_honesty

    run(slipped)
    refresh_etas(slipped, as_of=SLIPPED_ON)
    with session_scope(slipped) as session:
        for order_id, shipped in (("SO-1", date(2026, 12, 9)), ("SO-2", date(2026, 12, 20))):
            line = session.execute(
                select(BackorderLine).where(col(BackorderLine.order_id) == order_id)
            ).scalar_one()
            line.status, line.fulfilled_on = "fulfilled", shipped
            session.add(line)
    with Session(slipped) as session:
        honesty = eta_honesty(session)
    # First announced on 1 Dec: Acme's quote of 8 Dec + 2 handling days = 10 Dec.
    assert honesty.as_dict() == {"lines": 2, "held": 1, "share_held": 0.5, "mean_days_early": 1.0}
