"""Run the demo: a fresh embedded store, the world's files, and every flow in turn."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from procure.demo.files import DemoFile, write_world
from procure.demo.supplier_replies import (
    slipping_supplier,
    write_delivery_note,
    write_late_confirmation,
)
from procure.demo.world import build_world
from procure.settings import Settings, get_settings
from services.scoring import ScoreRun


@dataclass
class DemoStep:
    name: str
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class DemoReport:
    home: Path
    database_url: str
    files: list[DemoFile]
    steps: list[DemoStep] = field(default_factory=list)
    ui_url: str | None = None
    ui_note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "home": str(self.home),
            "database_url": self.database_url,
            "files": [
                {"path": str(f.path), "kind": f.kind, "supplier": f.supplier} for f in self.files
            ],
            "steps": [{"name": s.name, "outcome": s.outcome, **s.details} for s in self.steps],
            "ui_url": self.ui_url,
            "ui_note": self.ui_note,
        }


def fresh_demo_home(root: Path) -> Path:
    """A new folder for this demo run, so an earlier store is never reused or overwritten."""
    home = root / "demo" / datetime.now().strftime("%Y%m%d-%H%M%S-%f")  # noqa: DTZ005 - a folder name
    home.mkdir(parents=True)
    return home


def use_embedded_store(home: Path) -> Settings:
    """Point this process at an SQLite store under ``home`` (the embedded default)."""
    os.environ["PROCURE_HOME"] = str(home)
    os.environ.pop("PROCURE_DATABASE_URL", None)
    get_settings.cache_clear()
    settings = get_settings()
    settings.ensure_home()
    return settings


def run_demo(
    home: Path,
    *,
    today: date,
    seed: int = 7,
    on_step: Callable[[DemoStep], None] | None = None,
) -> DemoReport:
    """Build the world under ``home`` and run each step of the cycle through the flows."""
    settings = use_embedded_store(home)
    # Importing the entry points wires every flow to this store (as a deployed run would be).
    from procure import entrypoints

    entrypoints.configure_from_settings(settings)
    world = build_world(today, seed=seed)
    files = write_world(world, home / "inbox")
    report = DemoReport(home, settings.resolved_database_url, files)

    def record(name: str, outcome: str, **details: Any) -> None:
        step = DemoStep(name, outcome, details)
        report.steps.append(step)
        if on_step:
            on_step(step)

    record(
        "build-world",
        "ok",
        suppliers=len(world.suppliers),
        skus=len(world.skus),
        offers=len(world.offers),
        delivery_lines=len(world.deliveries),
        backorder_lines=len(world.backorders),
    )
    for demo_file in files:
        _ingest(record, demo_file.path, demo_file.kind, demo_file.supplier, today)

    scored = entrypoints.score_suppliers(as_of=today)
    assert isinstance(scored, ScoreRun)  # only a scheduled run can skip itself
    standings = Counter(card.standing for card in scored.scorecards)
    record("score-suppliers", "ok", suppliers=len(scored.scorecards), **dict(standings))

    reordered = entrypoints.raise_backorder_pos(as_of=today)
    record(
        "raise-backorder-pos",
        "ok" if reordered.status == "completed" else reordered.status,
        pos=len(reordered.created),
        lines=sum(len(po.lines) for po in reordered.created),
        uncovered=len(reordered.uncovered),
    )

    pos = _purchase_orders()
    slipping = slipping_supplier(pos)
    note = write_delivery_note(pos, home / "inbox", today, skip=slipping)
    if note:
        _ingest(record, note, "deliveries", None, today)
    if slipping:
        confirmation = write_late_confirmation(pos, slipping, home / "inbox", today)
        if confirmation:
            _ingest(record, confirmation, "confirmations", None, today)

    rerouted = entrypoints.reroute_slipped_orders(as_of=today)
    record(
        "reroute-slipped-orders",
        "ok" if rerouted.status == "completed" else rerouted.status,
        slipping_supplier=slipping,
        rerouted=len(rerouted.rerouted),
        escalated=len(rerouted.escalated),
    )
    etas = entrypoints.refresh_etas(as_of=today)
    record(
        "refresh-etas",
        "ok",
        open_lines=len(etas.etas),
        dated=sum(eta.eta is not None for eta in etas.etas),
        changed_since_first_announced=_etas_changed(),
    )
    return report


def _ingest(
    record: Callable[..., None], path: Path, kind: str, supplier: str | None, today: date
) -> None:
    from procure.entrypoints import ingest_supplier_file

    result = ingest_supplier_file(path=str(path), kind=kind, supplier=supplier, as_of=today)
    outcome = "ok" if result.accepted else result.status
    details: dict[str, Any] = {"file": path.name, "rows": result.rows}
    if not result.accepted:
        details["message"] = result.message
    record(f"ingest-{kind}", outcome, **details)


def _etas_changed() -> int:
    """Customers whose date differs from the first one announced (the slip's reroute moved them)."""
    from sqlmodel import col, func, select

    from models import BackorderEta
    from models.db import session_scope
    from procure.runtime import engine_for

    with session_scope(engine_for()) as session:
        changed = select(func.count()).where(
            col(BackorderEta.first_eta).is_not(None),
            col(BackorderEta.current_eta) != col(BackorderEta.first_eta),
        )
        return int(session.exec(changed).one())


def _purchase_orders() -> list[dict[str, Any]]:
    from models.db import session_scope
    from procure.runtime import engine_for
    from services.po_desk import list_pos

    with session_scope(engine_for()) as session:
        return list_pos(session)
