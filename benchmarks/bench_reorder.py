"""Reorder at scale: 50,000 open back-order lines over 10,000 SKUs with 3 offers each.

Measured at the service layer (no process start), on SQLite and, when a URL is given, on
PostgreSQL. Prints the first run, an immediate rerun (which must change nothing), and a
baseline measured in the same run — loading the state alone — so the figures read as
ratios on any machine. Targets: first run ≤ 10 s, rerun ≤ 2 s.

    .venv/bin/python benchmarks/bench_reorder.py [--postgres URL] [--lines N] [--skus N]

PostgreSQL: the database's ``public`` schema is dropped and recreated: give a scratch one.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, insert, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models import (
    BackorderLine,
    DeliveryLine,
    IngestedFile,
    Offer,
    PriceList,
    Sku,
    Supplier,
)
from models.db import make_engine, upgrade
from models.types import utcnow
from services.reorder import ReorderSettings, reorder
from services.reorder_state import load_state

AS_OF = date(2026, 12, 1)
SUPPLIERS = ("Contoso", "Northwind", "Fabrikam")
TARGET_FIRST, TARGET_RERUN = 10.0, 2.0


def build_world(engine: Engine, *, lines: int, skus: int, history: int, seed: int = 7) -> None:
    """Suppliers, one price list each with an offer for every SKU, history and back orders."""
    rng = random.Random(seed)
    now = utcnow()
    with Session(engine) as session, session.begin():
        session.execute(
            insert(IngestedFile),
            [
                {
                    "sha256": f"bench-{n}",
                    "kind": "catalog",
                    "filename": f"{n}.csv",
                    "status": "accepted",
                    "rows": skus,
                    "error_count": 0,
                    "created_at": now,
                }
                for n in range(len(SUPPLIERS))
            ],
        )
        session.execute(
            insert(Supplier),
            [
                {"name": name, "currency": "USD", "late_tolerance_days": 0, "created_at": now}
                for name in SUPPLIERS
            ],
        )
        session.execute(
            insert(Sku),
            [{"code": f"SKU-{k:05d}", "safety_stock": 0, "created_at": now} for k in range(skus)],
        )
        session.execute(
            insert(PriceList),
            [
                {"supplier_id": n + 1, "file_id": n + 1, "created_at": now}
                for n in range(len(SUPPLIERS))
            ],
        )
        session.execute(
            insert(Offer),
            [
                {
                    "price_list_id": n + 1,
                    "supplier_id": n + 1,
                    "sku_id": k + 1,
                    "unit_price": Decimal(rng.randint(200, 5000)) / 100,
                    "currency": "USD",
                    "moq": rng.choice((1, 1, 5, 10)),
                    "order_multiple": rng.choice((1, 1, 2, 6)),
                    "min_qty": 1,
                    "lead_time_days": rng.randint(3, 30),
                }
                for n in range(len(SUPPLIERS))
                for k in range(skus)
            ],
        )
        session.execute(
            insert(DeliveryLine),
            [
                {
                    "supplier_id": 1 + i % len(SUPPLIERS),
                    "po_number": "H",
                    "line_key": str(i),
                    "sku_id": 1 + rng.randrange(skus),
                    "ordered_qty": 10,
                    "order_date": AS_OF - timedelta(days=200 + i % 150),
                    "original_promised_date": AS_OF - timedelta(days=180 + i % 150),
                    "promised_date": AS_OF - timedelta(days=180 + i % 150),
                    "received_date": AS_OF
                    - timedelta(days=180 + i % 150 - rng.choice((0, 0, 3, 12))),
                    "received_qty": 10,
                    "status": "received",
                    "updated_at": now,
                }
                for i in range(history)
            ],
        )
        rows = [
            {
                "order_id": f"SO-{i // 3}",
                "line_id": str(i % 3 + 1),
                "sku_id": 1 + (i % skus),
                "qty": rng.randint(1, 8),
                "ordered_at": AS_OF - timedelta(days=rng.randint(0, 60)),
                "status": "open",
                "updated_at": now,
            }
            for i in range(lines)
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(BackorderLine), rows[start : start + 5000])


def measure(label: str, engine: Engine, *, lines: int, skus: int) -> dict[str, float]:
    """Build the world, then time: loading the state (baseline), the run, and the rerun."""
    started = time.perf_counter()
    build_world(engine, lines=lines, skus=skus, history=3_000)
    built = time.perf_counter() - started
    settings = ReorderSettings(auto_release_limit=Decimal("5000"))

    started = time.perf_counter()
    with Session(engine) as session:
        load_state(session, AS_OF, "USD")
        session.rollback()
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    first = reorder(engine, as_of=AS_OF, settings=settings)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    again = reorder(engine, as_of=AS_OF, settings=settings)
    rerun_s = time.perf_counter() - started

    po_lines = sum(len(po.lines) for po in first.created)
    assert po_lines > 0, "the first run raised nothing"
    assert again.created == (), "the rerun raised POs"
    assert again.changed == (), "the rerun changed PO lines"
    print(
        f"{label:<10} world {built:5.1f} s | load state (baseline) {baseline:5.2f} s | "
        f"first run {first_s:5.2f} s ({first_s / baseline:4.1f}× baseline, target ≤ "
        f"{TARGET_FIRST:.0f} s: {'ok' if first_s <= TARGET_FIRST else 'MISSED'}) | "
        f"rerun {rerun_s:4.2f} s ({rerun_s / baseline:4.1f}× baseline, target ≤ "
        f"{TARGET_RERUN:.0f} s: {'ok' if rerun_s <= TARGET_RERUN else 'MISSED'}) | "
        f"{len(first.created)} POs, {po_lines:,} lines, {len(first.uncovered)} uncovered"
    )
    return {"baseline": baseline, "first": first_s, "rerun": rerun_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("PROCURE_BENCH_POSTGRES_URL"))
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--skus", type=int, default=10_000)
    args = parser.parse_args()
    print(
        f"reorder benchmark: {args.lines:,} open back-order lines, {args.skus:,} SKUs, "
        f"{len(SUPPLIERS)} offers each"
    )
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        measure("SQLite", engine, lines=args.lines, skus=args.skus)
        engine.dispose()
    if args.postgres:
        engine = make_engine(args.postgres)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        measure("PostgreSQL", engine, lines=args.lines, skus=args.skus)
        engine.dispose()
    else:
        print("PostgreSQL skipped: pass --postgres URL or set PROCURE_BENCH_POSTGRES_URL")


if __name__ == "__main__":
    main()
