"""``procure ingest`` and its flow follow the contract: JSON shape, exit codes, artifacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from procure.cli.app import app
from tests.supplier_files import deliveries_rows, write_csv


@pytest.fixture
def cli(cli_runner: CliRunner, prefect_harness: None) -> CliRunner:
    """The CLI in-process, pointed at the per-test database, inside the Prefect harness."""
    return cli_runner


def _ingest_json(cli: CliRunner, *args: str, code: int) -> dict[str, Any]:
    result = cli.invoke(app, ["ingest", *args, "--json"])
    assert result.exit_code == code, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_an_accepted_file_prints_the_contract_json_and_exits_0(
    cli: CliRunner, engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "orders.csv", deliveries_rows(25))
    document = _ingest_json(cli, str(path), "--kind", "deliveries", code=0)
    assert document["status"] == "accepted"
    assert document["rows"] == 25
    assert len(document["sha256"]) == 64
    assert (document["errors"], document["error_count"], document["report"]) == ([], 0, None)
    again = _ingest_json(cli, str(path), "--kind", "deliveries", code=0)
    assert again["status"] == "duplicate"


def test_a_rejected_file_exits_3_and_still_prints_json_naming_the_cell(
    cli: CliRunner, engine: Engine, tmp_path: Path
) -> None:
    rows = deliveries_rows(1_000)
    rows[700][5] = "not a date"
    path = write_csv(tmp_path / "orders.csv", rows)
    document = _ingest_json(cli, str(path), "--kind", "deliveries", code=3)
    assert document["status"] == "rejected"
    assert document["error_count"] == 1
    assert document["errors"] == [
        {
            "sheet": "orders.csv",
            "row": 701,
            "column": "Due Date",
            "value": "not a date",
            "message": "not a date in the column's format %Y-%m-%d",
        }
    ]
    assert Path(document["report"]).is_file()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM delivery_line")).scalar_one() == 0


def test_a_file_named_by_profile_alone_takes_the_profiles_kind(
    cli: CliRunner, engine: Engine, tmp_path: Path
) -> None:
    rows = [["Artikel", "Preis", "LZ"], ["A1", "1,5", "3"]]
    path = write_csv(tmp_path / "preise.csv", rows)
    profile = tmp_path / "preise.toml"
    profile.write_text(
        'kind = "catalog"\nsupplier = "Muster GmbH"\ndecimal = ","\n'
        '[columns]\nsku = "Artikel"\nunit_price = "Preis"\nlead_time_days = "LZ"\n',
        encoding="utf-8",
    )
    document = _ingest_json(cli, str(path), "--profile", str(profile), code=0)
    assert (document["status"], document["kind"], document["supplier"]) == (
        "accepted",
        "catalog",
        "Muster GmbH",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["missing.csv", "--kind", "deliveries"],
        ["{file}", "--kind", "invoices"],
        ["{file}"],
    ],
    ids=["no-such-file", "unknown-kind", "no-kind"],
)
def test_usage_errors_exit_2(cli: CliRunner, tmp_path: Path, args: list[str]) -> None:
    path = write_csv(tmp_path / "orders.csv", deliveries_rows(2))
    result = cli.invoke(app, ["ingest", *(arg.format(file=path) for arg in args)])
    assert result.exit_code == 2


def test_a_broken_profile_is_rejected_with_exit_3_naming_the_key(
    cli: CliRunner, engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "orders.csv", deliveries_rows(2))
    profile = tmp_path / "bad.toml"
    profile.write_text('kind = "deliveries"\nheader_rows = 2\n', encoding="utf-8")
    document = _ingest_json(
        cli, str(path), "--kind", "deliveries", "--profile", str(profile), code=3
    )
    assert document["status"] == "rejected"
    assert "'header_rows'" in document["message"]


def test_the_flow_leaves_a_summary_and_an_error_table_for_a_rejected_file(
    engine: Engine, database_url: str, prefect_harness: None, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from flows.ingest import ingest_supplier_file
    from flows.wiring import FlowRuntime, configure_flows

    configure_flows(FlowRuntime(engine=lambda: engine, reports_dir=tmp_path / "reports"))
    rows = deliveries_rows(10)
    rows[3][4] = "=1+1"
    path = write_csv(tmp_path / "orders.csv", rows)
    state = ingest_supplier_file(path=str(path), kind="deliveries", return_state=True)
    assert state.is_completed()
    result = state.result()
    assert result.status == "rejected"

    run_id = state.state_details.flow_run_id
    assert run_id is not None
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
        run = client.read_flow_run(run_id)
    assert run.name == "deliveries: orders.csv"
    by_type = {artifact.type: artifact for artifact in artifacts}
    assert set(by_type) == {"markdown", "table"}
    table: Any = by_type["table"].data
    rows_in_table = json.loads(table) if isinstance(table, str) else table
    assert rows_in_table[0]["row"] == 4
    assert rows_in_table[0]["value"] == "=1+1"
