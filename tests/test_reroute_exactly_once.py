"""Exactly once: concurrent, repeated and killed reroutes never double-cover or double-move."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from models import PoLine, PurchaseOrder, Sku, Slip, Supplier
from services.reroute import RerouteResult, RerouteSettings, reroute
from tests.coverage import assert_every_open_line_covered_once, po_shape
from tests.exactly_once import AS_OF, SETTINGS, build_world, killed_mid_run, started_at_once
from tests.reroute_world import LIMIT

SLIP_DAY = AS_OF + timedelta(days=2)
REROUTE = RerouteSettings(auto_release_limit=LIMIT)


def slip_every_open_line(engine: Engine, folder: Path, tag: str) -> int:
    """Every supplier confirms each of its open, unconfirmed lines 90 days late (ingested)."""
    from services.ingest import ingest_file

    with Session(engine) as session:
        rows = session.execute(
            select(col(Supplier.name), col(PurchaseOrder.po_number), col(PoLine.sku_id))
            .join(PurchaseOrder, col(PurchaseOrder.supplier_id) == col(Supplier.id))
            .join(PoLine, col(PoLine.po_id) == col(PurchaseOrder.id))
            .where(col(PoLine.status) == "sent", col(PoLine.rerouted_from_id).is_(None))
        ).all()
        codes = dict(session.execute(select(col(Sku.id), col(Sku.code))).all())
    late = (SLIP_DAY + timedelta(days=90)).isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"confirmations-{tag}.csv"
    body = "".join(f"{name},{po},{codes[sku]},1,{late}\n" for name, po, sku in rows)
    path.write_text("supplier,po_number,sku,confirmed_qty,confirmed_date\n" + body, "utf-8")
    result = ingest_file(engine, path, "confirmations", reports_dir=folder, as_of=SLIP_DAY)
    assert result.status == "accepted", result.errors[:3]
    return result.counts.get("slips", 0)


def assert_each_slipped_line_moved_once(engine: Engine) -> None:
    with Session(engine) as session:
        origins = (
            session.execute(
                select(col(PoLine.rerouted_from_id)).where(
                    col(PoLine.rerouted_from_id).is_not(None)
                )
            )
            .scalars()
            .all()
        )
        rerouted = set(
            session.execute(
                select(col(PoLine.id)).where(col(PoLine.status) == "rerouted")
            ).scalars()
        )
        undecided = session.execute(
            select(func.count()).select_from(Slip).where(col(Slip.handled_at).is_(None))
        ).scalar_one()
    assert [i for i, n in Counter(origins).items() if n > 1] == []
    assert set(origins) == rerouted
    assert undecided == 0


def reroute_at_once(engine: Engine, runs: int, *, wait: bool) -> list[RerouteResult]:
    return started_at_once(
        runs,
        lambda: reroute(engine, as_of=SLIP_DAY, settings=REROUTE, wait=wait),
        timeout=180,
    )


@pytest.mark.slow
@pytest.mark.parametrize("wait", [False, True], ids=["skip", "wait"])
def test_four_reroutes_started_at_once_move_each_slipped_line_exactly_once(
    engine: Engine, tmp_path: Path, wait: bool
) -> None:
    from services.reorder import reorder

    build_world(engine, skus=20, lines_per_sku=3)
    reorder(engine, as_of=AS_OF, settings=SETTINGS)
    slipped = slip_every_open_line(engine, tmp_path, "first")
    assert slipped == 20
    results = reroute_at_once(engine, 4, wait=wait)
    moved = [line for result in results for line in result.rerouted]
    assert len(moved) == slipped
    assert sum(bool(result.rerouted) for result in results) == 1
    assert_every_open_line_covered_once(engine)
    assert_each_slipped_line_moved_once(engine)
    before = po_shape(engine)
    assert reroute(engine, as_of=SLIP_DAY, settings=REROUTE, wait=True).rerouted == ()
    assert po_shape(engine) == before


CHILD = """
import sys
from datetime import date
from decimal import Decimal
from models.db import make_engine
from services.reroute import RerouteSettings, reroute
engine = make_engine(sys.argv[1])
engine.connect().close()
print("ready", flush=True)
reroute(engine, as_of=date(2026, 12, 3),
        settings=RerouteSettings(auto_release_limit=Decimal("100000")), wait=True)
print("done", flush=True)
"""


@pytest.mark.slow
def test_a_reroute_killed_at_any_moment_leaves_no_duplicate_and_loses_no_slip(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    from services.reorder import reorder

    assert date(2026, 12, 3) == SLIP_DAY  # the child's as-of date
    rng = random.Random(20261203)
    outcomes = []
    for trial in range(8):
        build_world(engine, skus=30, lines_per_sku=1, start=trial)
        reorder(engine, as_of=AS_OF, settings=SETTINGS)
        assert slip_every_open_line(engine, tmp_path, f"trial-{trial}") > 0
        outcomes.append(killed_mid_run(CHILD, database_url, rng, within=1.2))
    assert "killed" in outcomes  # the kills really landed mid-run
    reroute(engine, as_of=SLIP_DAY, settings=REROUTE, wait=True)
    assert_every_open_line_covered_once(engine)
    assert_each_slipped_line_moved_once(engine)
    before = po_shape(engine)
    assert reroute(engine, as_of=SLIP_DAY, settings=REROUTE, wait=True).rerouted == ()
    assert po_shape(engine) == before
