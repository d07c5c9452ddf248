"""``procure reorder``, ``procure approve`` and ``procure po`` follow the CLI contract."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from models.db import session_scope
from procure.cli.app import app
from services.run_lock import run_lock
from tests import factories


@pytest.fixture
def cli(cli_runner: CliRunner, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI in-process, pointed at the per-test database, with a small world in it."""
    from procure.settings import get_settings

    monkeypatch.setenv("PROCURE_AUTO_RELEASE_LIMIT", "1000")
    get_settings.cache_clear()
    with session_scope(engine) as session:
        factories.catalog(
            session,
            "Contoso",
            [{"sku": "SKU-1", "unit_price": "9.5"}, {"sku": "SKU-2", "unit_price": "400"}],
        )
        factories.catalog(session, "Blocked Co", [{"sku": "SKU-3", "unit_price": "1"}])
        factories.manual_standing(session, "Blocked Co", "blocked", date(2026, 11, 1))
        factories.backorder(session, "SO-1", "SKU-1", 4, date(2026, 11, 20), line_id="1")
        factories.backorder(session, "SO-2", "SKU-2", 3, date(2026, 11, 21), line_id="1")
        factories.backorder(session, "SO-3", "SKU-3", 2, date(2026, 11, 22), line_id="7")
    return cli_runner


def invoke(cli: CliRunner, *args: str, code: int = 0) -> Any:
    result = cli.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def test_reorder_json_lists_created_pos_and_uncovered_shortages(cli: CliRunner) -> None:
    document = invoke(cli, "reorder", "--as-of", "2026-12-01")
    [po] = document["created"]
    assert (po["po_number"], po["supplier"]) == ("PO-000001", "Contoso")
    assert po["status"] == "pending_approval"  # 4 × 9.5 + 3 × 400 is over the 1000 limit
    assert [(ln["sku"], ln["qty"], ln["unit_price"], ln["covers"]) for ln in po["lines"]] == [
        ("SKU-1", 4, "9.50", ["1"]),
        ("SKU-2", 3, "400.00", ["1"]),
    ]
    assert all(isinstance(ln["qty"], int) and ln["reason"] for ln in po["lines"])
    assert document["uncovered"] == [
        {
            "sku": "SKU-3",
            "qty": 2,
            "reason": "supplier-blocked",
            "detail": "only blocked suppliers offer SKU SKU-3: Blocked Co",
            "covers": ["7"],
        }
    ]


def test_a_second_reorder_creates_nothing(cli: CliRunner) -> None:
    invoke(cli, "reorder", "--as-of", "2026-12-01")
    assert invoke(cli, "reorder", "--as-of", "2026-12-01")["created"] == []


def test_a_dry_run_reports_and_writes_nothing(cli: CliRunner) -> None:
    dry = invoke(cli, "reorder", "--as-of", "2026-12-01", "--dry-run")
    assert (dry["status"], dry["dry_run"], len(dry["created"])) == ("dry-run", True, 1)
    assert invoke(cli, "po", "list") == []


def test_a_run_that_finds_the_lock_taken_skips_and_exits_0(cli: CliRunner, engine: Engine) -> None:
    with run_lock(engine, "reorder") as held:
        assert held
        document = invoke(cli, "reorder", "--as-of", "2026-12-01")
    assert (document["status"], document["created"]) == ("skipped", [])


def test_approve_sends_a_held_po_and_po_list_shows_it(cli: CliRunner, procure_home: Path) -> None:
    invoke(cli, "reorder", "--as-of", "2026-12-01")
    [held] = invoke(cli, "po", "list", "--status", "pending_approval")
    approved = invoke(cli, "approve", held["po_number"], "--by", "alice")
    assert (approved["status"], approved["approved_by"]) == ("sent", "alice")
    [listed] = invoke(cli, "po", "list", "--supplier", "Contoso")
    assert listed["status"] == "sent"
    assert [(ln["sku"], ln["qty"], ln["status"], ln["covers"]) for ln in listed["lines"]] == [
        ("SKU-1", 4, "sent", ["1"]),
        ("SKU-2", 3, "sent", ["1"]),
    ]
    assert (procure_home / "outbox" / "Contoso" / "PO-000001-v1.xlsx").exists()


def test_the_automation_cannot_approve_and_the_refusal_is_json_with_exit_3(
    cli: CliRunner,
) -> None:
    invoke(cli, "reorder", "--as-of", "2026-12-01")
    refused = invoke(cli, "approve", "PO-000001", "--by", "policy:auto-release", code=3)
    assert refused["status"] == "rejected"
    unknown = invoke(cli, "approve", "PO-424242", "--by", "alice", code=3)
    assert "PO-424242" in unknown["error"]
