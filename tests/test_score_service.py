"""Scoring from the system of record: one SELECT in, snapshots and standing changes out."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows.wiring import FlowRuntime, configure_flows
from models import DeliveryLine, PromiseChange, ScoreSnapshot, StandingChange, Supplier
from models.db import session_scope
from purchasing.errors import InputRejected, UnknownRecord
from purchasing.scoring_params import ScoringParams
from services.scoring import (
    ScoreRun,
    load_deliveries,
    score_suppliers,
    set_standing_override,
)
from tests import factories

AS_OF = date(2024, 6, 30)


def delivery(
    session: Session,
    supplier: str,
    sku: str,
    *,
    promised: date,
    received: date | None,
    key: str,
    status: str = "received",
    **fields: Any,
) -> DeliveryLine:
    party = factories.supplier(session, supplier)
    item = factories.sku(session, sku)
    row = DeliveryLine(
        supplier_id=party.id,  # type: ignore[arg-type]  # flushed: the id is set
        po_number="PO-1",
        line_key=key,
        sku_id=item.id,  # type: ignore[arg-type]  # flushed: the id is set
        ordered_qty=fields.pop("ordered_qty", 10),
        original_promised_date=promised,
        promised_date=fields.pop("promised_date", promised),
        received_date=received,
        status=status,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def history(session: Session, supplier: str, on_time: int, late: int, start: int = 0) -> None:
    for index in range(on_time + late):
        promised = AS_OF - timedelta(days=30 + index)
        received = promised + timedelta(days=0 if index < on_time else 4)
        delivery(
            session, supplier, "SKU-1", promised=promised, received=received, key=f"{start + index}"
        )


def test_the_loaded_frame_holds_every_line_with_its_re_promises(engine: Engine) -> None:
    with session_scope(engine) as session:
        factories.supplier(session, "Acme", late_tolerance_days=2)
        row = delivery(
            session, "Acme", "0042", promised=date(2024, 5, 1), received=None, key="1",
            status="open", promised_date=date(2024, 5, 9), order_date=date(2024, 4, 1),
        )  # fmt: skip
        session.add(
            PromiseChange(
                delivery_line_id=row.id, promised_date=date(2024, 5, 9),
                previous_date=date(2024, 5, 1), source="deliveries",
            )
        )  # fmt: skip
    with engine.connect() as connection:
        frame = load_deliveries(connection)
    record = frame.iloc[0]
    assert (record["supplier"], record["sku"], record["status"]) == ("Acme", "0042", "open")
    assert record["original_promised_date"].date() == date(2024, 5, 1)
    assert record["promised_date"].date() == date(2024, 5, 9)
    assert record["order_date"].date() == date(2024, 4, 1)
    assert str(record["received_date"]) == "NaT"
    assert (record["late_tolerance_days"], record["repromise_count"]) == (2, 1)


def test_scoring_records_one_snapshot_per_supplier_and_day(engine: Engine) -> None:
    with session_scope(engine) as session:
        history(session, "Acme", on_time=9, late=1)
        factories.supplier(session, "Quiet Ltd")
    with session_scope(engine) as session:
        run = score_suppliers(session, as_of=AS_OF)
    cards = {card.supplier: card for card in run.scorecards}
    assert cards["Acme"].on_time_rate == pytest.approx(0.9)
    assert cards["Quiet Ltd"].standing == "unrated"
    assert cards["Quiet Ltd"].score is None
    with Session(engine) as session:
        snapshots = session.exec(select(ScoreSnapshot)).all()
    assert len(snapshots) == 2
    assert {s.formula_version for s in snapshots} == {run.formula_version}


def test_rescoring_the_same_day_updates_its_snapshot_and_records_no_new_transition(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        history(session, "Acme", on_time=9, late=1)
    with session_scope(engine) as session:
        first = score_suppliers(session, as_of=AS_OF)
    with session_scope(engine) as session:
        again = score_suppliers(session, as_of=AS_OF)
    assert [t.to_standing for t in first.transitions] == ["approved"]
    assert again.transitions == []
    with Session(engine) as session:
        assert len(session.exec(select(ScoreSnapshot)).all()) == 1
        assert len(session.exec(select(StandingChange)).all()) == 1


def test_a_new_formula_version_never_rewrites_a_past_snapshot(engine: Engine) -> None:
    with session_scope(engine) as session:
        history(session, "Acme", on_time=9, late=1)
        # A second supplier puts the population's rate apart from Acme's own, so a stronger
        # prior really does move Acme's score.
        history(session, "Bolt", on_time=2, late=8, start=100)
    with session_scope(engine) as session:
        score_suppliers(session, as_of=AS_OF)
    with Session(engine) as session:
        before = session.exec(
            select(ScoreSnapshot).join(Supplier).where(Supplier.name == "Acme")
        ).one()
    with session_scope(engine) as session:
        score_suppliers(
            session, as_of=AS_OF, params=ScoringParams(prior_lines=50, formula_version="otif-test")
        )
    with Session(engine) as session:
        snapshots = {
            s.formula_version: s
            for s in session.exec(
                select(ScoreSnapshot).where(ScoreSnapshot.supplier_id == before.supplier_id)
            ).all()
        }
    assert set(snapshots) == {before.formula_version, "otif-test"}
    kept = snapshots[before.formula_version]
    assert (kept.score, kept.created_at) == (before.score, before.created_at)
    assert snapshots["otif-test"].score != before.score


def test_a_slipping_supplier_moves_to_watch_and_the_transition_is_recorded(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        history(session, "Acme", on_time=40, late=0)
        history(session, "Background", on_time=80, late=20)
    with session_scope(engine) as session:
        score_suppliers(session, as_of=AS_OF - timedelta(days=60))
        score_suppliers(session, as_of=AS_OF)
    later = AS_OF + timedelta(days=40)
    with session_scope(engine) as session:
        for index in range(40):
            promised = later - timedelta(days=1 + index % 5)
            delivery(session, "Acme", "SKU-1", promised=promised, received=None, status="open",
                     key=f"late-{index}")  # fmt: skip
    with session_scope(engine) as session:
        run = score_suppliers(session, as_of=later)
    moved = [t for t in run.transitions if t.supplier == "Acme"]
    assert [t.to_standing for t in moved] in (["watch"], ["blocked"])
    with Session(engine) as session:
        changes = session.exec(select(StandingChange).order_by(col(StandingChange.as_of))).all()
    assert changes[-1].to_standing == moved[0].to_standing


def test_a_manual_standing_wins_until_it_expires(engine: Engine) -> None:
    with session_scope(engine) as session:
        history(session, "Acme", on_time=9, late=1)
    with session_scope(engine) as session:
        score_suppliers(session, as_of=AS_OF)
        transition = set_standing_override(
            session, supplier="Acme", standing="blocked", reason="failed audit", set_by="maria",
            set_on=AS_OF + timedelta(days=1), until=AS_OF + timedelta(days=10),
        )  # fmt: skip
    assert (transition.from_standing, transition.to_standing) == ("approved", "blocked")
    with session_scope(engine) as session:
        during = score_suppliers(session, as_of=AS_OF + timedelta(days=5))
        after = score_suppliers(session, as_of=AS_OF + timedelta(days=11))
    assert during.scorecards[0].standing == "blocked"
    assert during.transitions == []
    assert after.scorecards[0].standing == "approved"
    assert [(t.from_standing, t.to_standing, t.source) for t in after.transitions] == [
        ("blocked", "approved", "score")
    ]


def test_a_manual_standing_set_on_a_scored_day_starts_from_that_days_score(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        history(session, "Acme", on_time=9, late=1)
    with session_scope(engine) as session:
        score_suppliers(session, as_of=AS_OF)
        transition = set_standing_override(
            session, supplier="Acme", standing="blocked", reason="failed audit", set_by="maria",
            set_on=AS_OF,
        )  # fmt: skip
    assert (transition.from_standing, transition.to_standing) == ("approved", "blocked")


def test_a_manual_standing_for_an_unknown_supplier_is_refused(engine: Engine) -> None:
    with session_scope(engine) as session, pytest.raises(UnknownRecord, match="Nobody"):
        set_standing_override(
            session, supplier="Nobody", standing="watch", reason="r", set_by="m", set_on=AS_OF
        )


@pytest.mark.parametrize(
    ("standing", "reason", "until", "message"),
    [
        ("unrated", "r", None, "not one of"),
        ("watch", "  ", None, "reason"),
        ("watch", "r", AS_OF - timedelta(days=1), "before the day"),
    ],
)
def test_a_malformed_manual_standing_is_refused_and_nothing_is_written(
    engine: Engine, standing: str, reason: str, until: date | None, message: str
) -> None:
    with session_scope(engine) as session:
        factories.supplier(session, "Acme")
    with pytest.raises(InputRejected, match=message), session_scope(engine) as session:
        set_standing_override(
            session, supplier="Acme", standing=standing, reason=reason, set_by="m",
            set_on=AS_OF, until=until,
        )  # fmt: skip
    with Session(engine) as session:
        assert session.exec(select(StandingChange)).all() == []


def test_standing_changed_events_are_emitted_by_the_flow_after_the_write(
    engine: Engine, tmp_path: Path, prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.score as score_flow

    with session_scope(engine) as session:
        history(session, "Acme", on_time=9, late=1)
    seen: list[dict[str, Any]] = []

    def record(**event: Any) -> None:
        with Session(engine) as session:
            event["recorded"] = len(session.exec(select(StandingChange)).all())
        seen.append(event)

    monkeypatch.setattr(score_flow, "emit_event", record)
    configure_flows(FlowRuntime(engine=lambda: engine, reports_dir=tmp_path / "reports"))
    run = score_flow.score_suppliers(as_of=AS_OF)
    assert isinstance(run, ScoreRun)
    assert [e["event"] for e in seen] == [score_flow.STANDING_CHANGED]
    assert seen[0]["payload"]["to"] == "approved"
    assert seen[0]["recorded"] == 1
    assert run.scorecards[0].supplier == "Acme"
