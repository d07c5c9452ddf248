"""Exactly once: concurrent runs, reruns and killed runs never double-cover a back-order line."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from models import BackorderLine, PoLine, PoLineCoverage, PurchaseOrder, StockOnHand
from models.db import session_scope
from services.reorder import ReorderResult, ReorderSettings, reorder
from services.run_lock import run_lock
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 12, 1)
SETTINGS = ReorderSettings(auto_release_limit=Decimal("100000"))


def build_world(engine: Engine, skus: int = 40, lines_per_sku: int = 5, start: int = 0) -> None:
    """Three suppliers for every SKU and a few open back-order lines on each."""
    with session_scope(engine) as session:
        if start == 0:
            for n, name in enumerate(("Contoso", "Northwind", "Fabrikam")):
                factories.catalog(
                    session,
                    name,
                    [
                        {
                            "sku": f"SKU-{k:04d}",
                            "unit_price": f"{10 + n * 0.2 + k % 7:.2f}",
                            "lead_time_days": 5 + (k + n) % 9,
                            "moq": 1 + (k % 3) * 5,
                        }
                        for k in range(skus)
                    ],
                )
        for k in range(skus):
            for j in range(lines_per_sku):
                factories.backorder(
                    session,
                    f"SO-{start}-{k}-{j}",
                    f"SKU-{k:04d}",
                    1 + (k + j) % 6,
                    date(2026, 11, 1 + (j + start) % 28),
                )


def po_shape(engine: Engine) -> set[tuple[str, str, int, tuple[str, ...]]]:
    """(supplier id, SKU id, qty, covered line ids) of every open PO line."""
    with Session(engine) as session:
        rows = session.execute(
            select(
                col(PurchaseOrder.supplier_id),
                col(PoLine.sku_id),
                col(PoLine.qty),
                col(BackorderLine.line_id),
                col(BackorderLine.order_id),
                col(PoLine.id),
            )
            .join(PoLine, col(PoLine.po_id) == col(PurchaseOrder.id))
            .join(PoLineCoverage, col(PoLineCoverage.po_line_id) == col(PoLine.id))
            .join(BackorderLine, col(BackorderLine.id) == col(PoLineCoverage.backorder_line_id))
            .where(col(PoLineCoverage.released_at).is_(None))
        ).all()
    covers: dict[int, list[str]] = {}
    keys: dict[int, tuple[str, str, int]] = {}
    for supplier_id, sku_id, qty, line_id, order_id, po_line_id in rows:
        covers.setdefault(po_line_id, []).append(f"{order_id}/{line_id}")
        keys[po_line_id] = (str(supplier_id), str(sku_id), qty)
    return {(*keys[i], tuple(sorted(c))) for i, c in covers.items()}


def assert_every_open_line_covered_once(engine: Engine) -> None:
    """No back-order line has two open coverages; every open line is covered by stock or a PO."""
    with Session(engine) as session:
        open_cover = (
            session.execute(
                select(col(PoLineCoverage.backorder_line_id)).where(
                    col(PoLineCoverage.released_at).is_(None)
                )
            )
            .scalars()
            .all()
        )
        open_lines = set(
            session.execute(
                select(col(BackorderLine.id)).where(col(BackorderLine.status) == "open")
            ).scalars()
        )
        stock = session.execute(select(func.count()).select_from(StockOnHand)).scalar_one()
    assert [i for i, n in Counter(open_cover).items() if n > 1] == []
    assert stock == 0  # no stock in these worlds: every open line must be on a PO line
    assert open_lines == set(open_cover)


def run_at_once(engine: Engine, runs: int, *, wait: bool) -> list[ReorderResult]:
    barrier = threading.Barrier(runs)
    results: list[ReorderResult] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            barrier.wait()
            results.append(reorder(engine, as_of=AS_OF, settings=SETTINGS, wait=wait))
        except BaseException as error:  # collected and re-raised in the test thread
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


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
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outcomes = []
    for trial in range(10):
        build_world(engine, skus=60, lines_per_sku=1, start=trial + 1)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, database_url],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        # A run takes ~0.3 s here: most kills land inside its transaction, some after it.
        threading.Event().wait(rng.uniform(0.0, 0.4))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        outcomes.append("done" if child.stdout.read().strip() == "done" else "killed")
        child.stdout.close()
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
