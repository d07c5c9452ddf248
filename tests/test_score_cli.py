"""``procure score`` and ``procure supplier standing`` follow the command-line contract."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from typer.testing import CliRunner

from models.db import session_scope
from procure.cli.app import app
from tests import factories
from tests.datasets import SCMS, require
from tests.test_score_service import delivery, history
from tests.test_scoring_rules import independent_scms_count

AS_OF = date(2024, 6, 30)


@pytest.fixture
def cli(cli_runner: CliRunner, prefect_harness: None) -> CliRunner:
    """The CLI in-process, pointed at the per-test database, inside the Prefect harness."""
    return cli_runner


def score_json(cli: CliRunner, *args: str) -> list[dict[str, Any]]:
    result = cli.invoke(app, ["score", "--as-of", AS_OF.isoformat(), "--json", *args])
    assert result.exit_code == 0, result.output
    document: list[dict[str, Any]] = json.loads(result.stdout)
    return document


def test_score_json_lists_every_supplier_with_the_contract_fields(
    cli: CliRunner, engine: Engine
) -> None:
    with session_scope(engine) as session:
        history(session, "Acme", on_time=9, late=1)
        factories.supplier(session, "Quiet Ltd")
    document = score_json(cli)
    by_name = {item["supplier"]: item for item in document}
    acme, quiet = by_name["Acme"], by_name["Quiet Ltd"]
    assert acme["lines"] == 10
    assert acme["on_time_rate"] == pytest.approx(0.9)
    assert 0.0 <= acme["score"] <= 1.0
    assert acme["standing"] == "approved"
    assert acme["interval"]["low"] <= acme["score"] <= acme["interval"]["high"]
    for key in (
        "in_full_rate",
        "otif_rate",
        "lateness_p50_days",
        "lateness_p90_days",
        "repromises",
    ):
        assert key in acme
    assert (quiet["lines"], quiet["score"], quiet["standing"]) == (0, None, "unrated")


def test_score_since_limits_the_window_to_lines_due_from_that_date(
    cli: CliRunner, engine: Engine
) -> None:
    with session_scope(engine) as session:
        history(session, "Acme", on_time=9, late=1)
    document = score_json(cli, "--since", (AS_OF - timedelta(days=34)).isoformat())
    assert document[0]["lines"] == 5


def test_score_with_since_after_as_of_is_rejected_with_exit_3(cli: CliRunner) -> None:
    result = cli.invoke(app, ["score", "--as-of", "2024-01-01", "--since", "2024-02-01", "--json"])
    assert result.exit_code == 3
    assert json.loads(result.stdout)["status"] == "rejected"


def test_a_malformed_date_is_a_usage_error(cli: CliRunner) -> None:
    result = cli.invoke(app, ["score", "--as-of", "30/06/2024"])
    assert result.exit_code == 2


def test_the_xlsx_scorecard_has_a_row_per_supplier_colours_and_trend_charts(
    cli: CliRunner, engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        history(session, "Acme", on_time=9, late=1)
        delivery(session, "=HYPERLINK(\"http://x\")", "SKU-9", promised=AS_OF - timedelta(days=40),
                 received=AS_OF - timedelta(days=40), key="h")  # fmt: skip
    for back in (60, 30):
        as_of = (AS_OF - timedelta(days=back)).isoformat()
        assert cli.invoke(app, ["score", "--as-of", as_of, "--json"]).exit_code == 0
    path = tmp_path / "scorecard.xlsx"
    result = cli.invoke(app, ["score", "--as-of", AS_OF.isoformat(), "--xlsx", str(path)])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(path)
    sheet = workbook["Scorecard"]
    names = [str(row[0].value) for row in sheet.iter_rows(min_row=2)]
    assert sorted(names) == sorted(["Acme", '\'=HYPERLINK("http://x")'])
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.conditional_formatting
    assert len(workbook["Trends"]._charts) == 2  # type: ignore[attr-defined]  # no public API


def test_a_manual_standing_is_recorded_and_shows_in_the_score(
    cli: CliRunner, engine: Engine
) -> None:
    with session_scope(engine) as session:
        history(session, "Acme", on_time=9, late=1)
    result = cli.invoke(
        app,
        ["supplier", "standing", "Acme", "blocked", "--reason", "failed audit",
         "--as-of", AS_OF.isoformat(), "--until", (AS_OF + timedelta(days=7)).isoformat(),
         "--by", "maria", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["standing"] == "blocked"
    assert score_json(cli)[0]["standing"] == "blocked"


def test_a_manual_standing_for_an_unknown_supplier_exits_3_with_a_clear_message(
    cli: CliRunner,
) -> None:
    result = cli.invoke(app, ["supplier", "standing", "Nobody", "watch", "--reason", "late"])
    assert result.exit_code == 3
    assert "unknown supplier 'Nobody'" in result.stderr


PROFILE = Path(__file__).resolve().parents[1] / "supplier_feeds/profiles/scms_deliveries.toml"


def test_scms_history_through_ingest_and_score_matches_a_plain_count_and_shrinks_tiny_samples(
    cli: CliRunner, engine: Engine, tmp_path: Path
) -> None:
    from services.ingest import ingest_file

    result = ingest_file(
        engine,
        require(SCMS),
        "deliveries",
        reports_dir=tmp_path,
        profile=PROFILE,
        as_of=date(2016, 1, 1),
    )
    assert result.status == "accepted", result.as_dict()
    scored = cli.invoke(app, ["score", "--as-of", "2016-01-01", "--json"])
    assert scored.exit_code == 0, scored.output
    by_vendor = {item["supplier"]: item for item in json.loads(scored.stdout)}
    expected = independent_scms_count()
    assert set(by_vendor) == set(expected)
    for vendor, (on_time, total) in expected.items():
        assert by_vendor[vendor]["lines"] == total
        assert by_vendor[vendor]["on_time_rate"] == pytest.approx(on_time / total, abs=0.005)
    # A vendor with a single line scores near everybody's rate, far from its own 0% or 100%.
    everybody = sum(on_time for on_time, _ in expected.values()) / sum(
        total for _, total in expected.values()
    )
    tiny = [item for item in by_vendor.values() if item["lines"] == 1]
    assert tiny
    for item in tiny:
        assert item["score"] is not None
        assert abs(item["score"] - everybody) < abs(item["score"] - item["on_time_rate"])
