"""Run the demo: a fresh embedded store, the world's files, and every flow in turn."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from procure.demo.files import DemoFile, write_world
from procure.demo.world import build_world
from procure.settings import Settings, get_settings


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
    from procure.runtime import engine_for

    settings = use_embedded_store(home)
    engine_for(settings)
    world = build_world(today, seed=seed)
    files = write_world(world, home / "inbox")
    report = DemoReport(home, settings.resolved_database_url, files)

    def record(step: DemoStep) -> None:
        report.steps.append(step)
        if on_step:
            on_step(step)

    record(
        DemoStep(
            "build-world",
            "ok",
            {
                "suppliers": len(world.suppliers),
                "skus": len(world.skus),
                "offers": len(world.offers),
                "delivery_lines": len(world.deliveries),
                "backorder_lines": len(world.backorders),
                "files": len(files),
            },
        )
    )
    return report
