"""Scoring speed against baselines measured in the same run.

1. In memory: the full scoring rules (outcomes, line/quantity/recency rates, shrinkage,
   intervals, lateness and lead-time percentiles per supplier and supplier×SKU) on N
   delivery lines, against one DuckDB group-by computing the raw on-time rate per supplier
   over the same frame. Target: within 5×. Baseline and scoring alternate for
   ``--repetitions`` rounds (default 7, at least 5); the report gives medians and the
   median of the per-round ratios, so a burst of load on a shared machine cannot decide it.
2. From the database: scoring end to end (one SELECT into the frame, score, standings,
   snapshots written) against simply reading the delivery lines into a frame. Target: within
   3×. ``--cli`` also times ``procure score --json`` as a process (Prefect flow included).

    .venv/bin/python benchmarks/bench_scoring.py [--lines 1000000] [--repetitions 7]
        [--db-lines 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = date(2025, 6, 30)


def synthetic_deliveries(lines: int, suppliers: int, skus: int, seed: int = 1) -> pd.DataFrame:
    """A delivery history: each supplier carries a small assortment and its own reliability."""
    rng = np.random.default_rng(seed)
    supplier = rng.integers(0, suppliers, lines)
    assortment = rng.integers(0, skus, (suppliers, 8))
    sku = assortment[supplier, rng.integers(0, 8, lines)]
    reliability = rng.beta(8, 2, suppliers)[supplier]
    promised = np.datetime64(AS_OF) - rng.integers(-30, 730, lines).astype("timedelta64[D]")
    lead = rng.integers(5, 60, lines).astype("timedelta64[D]")
    late = rng.random(lines) > reliability
    lateness = np.where(late, rng.integers(1, 30, lines), -rng.integers(0, 3, lines))
    received = promised + lateness.astype("timedelta64[D]")
    status = np.where(rng.random(lines) < 0.02, "cancelled_by_us", "received")
    status = np.where(rng.random(lines) < 0.01, "cancelled_by_supplier", status)
    not_yet = received > np.datetime64(AS_OF)
    status = np.where(not_yet & (status == "received"), "open", status)
    received = np.where(status == "received", received, np.datetime64("NaT"))
    ordered = rng.integers(1, 500, lines)
    short = rng.random(lines) < 0.05
    received_qty = np.where(short, np.floor(ordered * 0.8), np.nan)
    return pd.DataFrame(
        {
            "supplier": _categorical(supplier, [f"S{i:05d}" for i in range(suppliers)]),
            "sku": _categorical(sku, [f"K{i:06d}" for i in range(skus)]),
            "ordered_qty": ordered,
            "order_date": (promised - lead).astype("datetime64[ns]"),
            "original_promised_date": promised.astype("datetime64[ns]"),
            "promised_date": promised.astype("datetime64[ns]"),
            "received_date": received.astype("datetime64[ns]"),
            "received_qty": received_qty,
            "status": pd.Categorical(
                status, categories=["open", "received", "cancelled_by_us", "cancelled_by_supplier"]
            ),
            "late_tolerance_days": np.zeros(lines, dtype=np.int64),
        }
    )


def _categorical(codes: np.ndarray[Any, Any], names: list[str]) -> pd.Categorical:
    # pandas-stubs ask for a Sequence of codes; pandas takes the ndarray as it is.
    return pd.Categorical.from_codes(codes, pd.Index(names))  # type: ignore[arg-type]


def alternate(runs: int, *works: Callable[[], Any]) -> list[list[float]]:
    """Times of each piece of work, run in turn so that machine load hits all alike."""
    times: list[list[float]] = [[] for _ in works]
    for _ in range(runs):
        for index, work in enumerate(works):
            started = time.perf_counter()
            work()
            times[index].append(time.perf_counter() - started)
    return times


def best_of(runs: int, *works: Callable[[], Any]) -> list[float]:
    """The best time of each piece of work, run in turn (see :func:`alternate`)."""
    return [min(times) for times in alternate(runs, *works)]


def _spread(times: list[float]) -> str:
    return f"(min {min(times):.3f}, max {max(times):.3f})"


def in_memory(lines: int, suppliers: int, skus: int, repetitions: int) -> None:
    import duckdb

    from purchasing.scoring import score_deliveries

    frame = synthetic_deliveries(lines, suppliers, skus)
    connection = duckdb.connect()
    connection.register("deliveries", frame)
    query = """
        SELECT supplier,
               avg(CASE WHEN received_date <= original_promised_date
                             + to_days(CAST(late_tolerance_days AS INTEGER))
                        THEN 1.0 ELSE 0.0 END) AS on_time_rate
        FROM deliveries
        WHERE status <> 'cancelled_by_us'
        GROUP BY supplier
    """
    connection.execute(query).fetchall()  # warm up
    score_deliveries(frame, AS_OF)
    baselines, scorings = alternate(
        repetitions, lambda: connection.execute(query).df(), lambda: score_deliveries(frame, AS_OF)
    )
    # Each repetition's own ratio, then their median: a burst of load on the machine hits
    # one pair of runs, not the figure.
    ratios = [scoring / baseline for baseline, scoring in zip(baselines, scorings, strict=True)]
    baseline, scoring = statistics.median(baselines), statistics.median(scorings)
    print(f"in memory: {lines:,} lines, {suppliers:,} suppliers, {skus:,} SKUs; "
          f"median of {repetitions} alternating repetitions")  # fmt: skip
    print(f"  DuckDB raw on-time group-by (baseline)  {baseline:8.3f} s  {_spread(baselines)}")
    print(f"  full scoring rules                      {scoring:8.3f} s  {_spread(scorings)}")
    print(f"  ratio                                   {statistics.median(ratios):8.1f}×  "
          f"(min {min(ratios):.1f}×, max {max(ratios):.1f}×; target ≤ 5×)")  # fmt: skip


def _fill_database(url: str, lines: int, suppliers: int, skus: int) -> None:
    from sqlalchemy import insert

    from models.db import make_engine, upgrade
    from services.ingest_writers import table

    frame = synthetic_deliveries(lines, suppliers, skus, seed=2)
    engine = make_engine(url)
    upgrade(engine)
    supplier_names = list(frame["supplier"].cat.categories)
    sku_codes = list(frame["sku"].cat.categories)

    def day(values: pd.Series) -> list[date | None]:
        return [None if pd.isna(v) else v.date() for v in values]

    with engine.begin() as connection:
        connection.execute(
            insert(table("supplier")),
            [{"id": i + 1, "name": n} for i, n in enumerate(supplier_names)],
        )
        connection.execute(
            insert(table("sku")), [{"id": i + 1, "code": c} for i, c in enumerate(sku_codes)]
        )
        columns: dict[str, Any] = {
            "supplier_id": frame["supplier"].cat.codes.to_numpy() + 1,
            "sku_id": frame["sku"].cat.codes.to_numpy() + 1,
            "ordered_qty": frame["ordered_qty"].to_numpy(),
            "order_date": day(frame["order_date"]),
            "original_promised_date": day(frame["original_promised_date"]),
            "promised_date": day(frame["promised_date"]),
            "received_date": day(frame["received_date"]),
            "received_qty": [None if np.isnan(v) else int(v) for v in frame["received_qty"]],
            "status": frame["status"].astype(str).to_numpy(),
        }
        batch = 50_000
        for start in range(0, lines, batch):
            stop = min(start + batch, lines)
            rows = [
                {
                    "po_number": "BENCH",
                    "line_key": str(i),
                    **{name: _plain(values[i]) for name, values in columns.items()},
                }
                for i in range(start, stop)
            ]
            connection.execute(insert(table("delivery_line")), rows)
    engine.dispose()


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def from_database(url: str | None, lines: int, suppliers: int, skus: int, cli: bool) -> None:
    from sqlalchemy import text

    from models.db import make_engine, session_scope
    from services.scoring import score_suppliers

    folder = tempfile.mkdtemp(prefix="procure-bench-")
    url = url or f"sqlite:///{folder}/bench.db"
    started = time.perf_counter()
    _fill_database(url, lines, suppliers, skus)
    print(f"\nfrom the database ({url.split(':')[0]}): {lines:,} lines written in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    engine = make_engine(url)

    def read_lines() -> None:
        with engine.connect() as connection:
            pd.read_sql(text("SELECT * FROM delivery_line"), connection)

    def score_end_to_end() -> None:
        with session_scope(engine) as session:
            score_suppliers(session, as_of=AS_OF)

    baseline, scoring = best_of(2, read_lines, score_end_to_end)
    print(f"  read delivery lines into a frame (baseline)  {baseline:8.3f} s")
    print(f"  score end to end (load, score, record)       {scoring:8.3f} s   "
          f"{scoring / baseline:5.1f}× (target ≤ 3×)")  # fmt: skip
    if cli:
        env = {**os.environ, "PROCURE_DATABASE_URL": url, "PROCURE_HOME": folder,
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}  # fmt: skip
        command = [sys.executable, "-m", "procure", "score", "--as-of", AS_OF.isoformat(), "--json"]
        started = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, check=False, cwd=ROOT)
        elapsed = time.perf_counter() - started
        ratio = elapsed / baseline
        print(f"  `procure score --json` as a process          {elapsed:8.3f} s   {ratio:5.1f}× "
              f"(exit {result.returncode}; Prefect flow included)")  # fmt: skip
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--suppliers", type=int, default=5_000)
    parser.add_argument("--skus", type=int, default=20_000)
    parser.add_argument("--repetitions", type=int, default=7, help="in memory; at least 5")
    parser.add_argument("--db-lines", type=int, default=1_000_000, help="0 skips the DB part")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--cli", action="store_true", help="also time `procure score` as a process")
    options = parser.parse_args()
    if options.repetitions < 5:
        parser.error("--repetitions must be at least 5 for a median that load cannot sway")
    in_memory(options.lines, options.suppliers, options.skus, options.repetitions)
    if options.db_lines:
        from_database(
            options.database_url, options.db_lines, options.suppliers, options.skus, options.cli
        )


if __name__ == "__main__":
    main()
