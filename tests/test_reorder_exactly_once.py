"""Exactly once: concurrent runs, reruns and killed runs never double-cover a back-order line."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from models import PoLine, PurchaseOrder
from models.db import session_scope
from services.reorder import ReorderResult, reorder
from services.run_lock import run_lock
from tests.coverage import assert_every_open_line_covered_once, po_shape
from tests.exactly_once import AS_OF, SETTINGS, build_world, killed_mid_run, started_at_once


def run_at_once(engine: Engine, runs: int, *, wait: bool) -> list[ReorderResult]:
    return started_at_once(
        runs,
        lambda: reorder(engine, as_of=AS_OF, settings=SETTINGS, wait=wait),
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.parametrize("wait", [False, True], ids=["skip", "wait"])
def test_four_runs_started_at_once_give_the_same_pos_as_one_run(engine: Engine, wait: bool) -> None:
    build_world(engine)
    one_run = reorder(engine, as_of=AS_OF, settings=SETTINGS, dry_run=True)
    results = run_at_once(engine, 4, wait=wait)
    completed = [r for r in results if r.status == "completed" and r.created]
    assert len(completed) == 1
    if not wait:
        assert {r.status for r in results} <= {"completed", "skipped"}
    [winner] = completed
    expected = {
        (po.supplier, line.sku, line.qty, line.covers)
        for po in one_run.created
        for line in po.lines
    }
    actual = {
        (po.supplier, line.sku, line.qty, line.covers) for po in winner.created for line in po.lines
    }
    assert actual == expected
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(PurchaseOrder)).scalar_one() == 3
    assert_every_open_line_covered_once(engine)


def test_a_skipped_run_creates_nothing_and_says_so(engine: Engine) -> None:
    build_world(engine, skus=2, lines_per_sku=1)
    with run_lock(engine, "reorder") as held:
        assert held
        result = reorder(engine, as_of=AS_OF, settings=SETTINGS)
    assert result.status == "skipped"
    assert result.created == ()
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(PoLine)).scalar_one() == 0


CHILD = """
import sys
from datetime import date
from decimal import Decimal
from models.db import make_engine
from services.reorder import ReorderSettings, reorder
engine = make_engine(sys.argv[1])
engine.connect().close()
print("ready", flush=True)
reorder(engine, as_of=date(2026, 12, 1),
        settings=ReorderSettings(auto_release_limit=Decimal("100000")), wait=True)
print("done", flush=True)
"""


@pytest.mark.slow
def test_a_run_killed_at_any_moment_leaves_no_duplicate_and_no_lost_shortage(
    engine: Engine, database_url: str
) -> None:
    build_world(engine, skus=60, lines_per_sku=4)
    rng = random.Random(20261201)
    outcomes = []
    for trial in range(10):
        build_world(engine, skus=60, lines_per_sku=1, start=trial + 1)
        # A run takes ~0.3 s here: most kills land inside its transaction, some after it.
        outcomes.append(killed_mid_run(CHILD, database_url, rng, within=0.4))
    assert "killed" in outcomes  # the kills really landed mid-run
    reorder(engine, as_of=AS_OF, settings=SETTINGS, wait=True)
    assert_every_open_line_covered_once(engine)
    before = po_shape(engine)
    again = reorder(engine, as_of=AS_OF, settings=SETTINGS, wait=True)
    assert again.created == ()
    assert po_shape(engine) == before


def test_a_lease_left_by_a_dead_process_does_not_block_the_next_run(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL drops an advisory lock with its connection; no lease row")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    import socket
    from datetime import timedelta

    from models import RunLock
    from models.types import utcnow

    with session_scope(engine) as session:
        session.add(
            RunLock(
                name="reorder",
                holder=f"{socket.gethostname()}:{dead.stdout.strip()}:gone",
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
    with run_lock(engine, "reorder") as held:
        assert held
