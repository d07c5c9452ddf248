"""Exactly-once harness: a world of many back orders, runs started at once, runs killed mid-way."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine

from models.db import session_scope
from services.reorder import ReorderSettings
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 12, 1)
SETTINGS = ReorderSettings(auto_release_limit=Decimal("100000"))

T = TypeVar("T")


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


def started_at_once(runs: int, run: Callable[[], T], *, timeout: float) -> list[T]:
    """The results of ``runs`` threads released together to call ``run`` (errors re-raised)."""
    barrier = threading.Barrier(runs)
    results: list[T] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            barrier.wait()
            results.append(run())
        except BaseException as error:  # collected and re-raised in the test thread
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert errors == []
    return results


def killed_mid_run(script: str, database_url: str, rng: random.Random, *, within: float) -> str:
    """Start ``script`` on the database, SIGKILL it up to ``within`` s after it is ready.

    ``done`` if it had finished by then, else ``killed``.
    """
    child = subprocess.Popen(
        [sys.executable, "-c", script, database_url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    threading.Event().wait(rng.uniform(0.0, within))
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    outcome = "done" if child.stdout.read().strip() == "done" else "killed"
    child.stdout.close()
    return outcome
