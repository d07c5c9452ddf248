"""``procure simulate`` follows the command-line contract: one JSON document, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from purchasing.simulation.policies import POLICIES

PROCURE = [sys.executable, "-m", "procure"]
SMALL = ["--days", "8", "--skus", "6", "--suppliers", "4", "--history-days", "30"]
METRICS = {"mean_wait_days", "p90_wait_days", "eta_kept_share", "purchase_cost", "reroutes"}


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "PROCURE_HOME": str(home),
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "MPLCONFIGDIR": str(home / "matplotlib"),
    }
    return subprocess.run(
        [*PROCURE, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_simulate_json_maps_every_policy_to_its_figures(tmp_path: Path) -> None:
    chart = tmp_path / "waits.png"
    result = run("simulate", *SMALL, "--json", "--chart", str(chart), home=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document["policies"]) == list(POLICIES)
    for figures in document["policies"].values():
        assert set(figures) >= METRICS
        assert isinstance(figures["reroutes"], int)
    assert document["scenario"]["days"] == 8
    assert document["comparison"]["best_static_policy"] in {
        "default-supplier",
        "first-vendor",
        "cheapest",
    }
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_simulate_runs_only_the_policies_asked_for(tmp_path: Path) -> None:
    result = run("simulate", *SMALL, "--policy", "cheapest", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document["policies"]) == ["cheapest"]
    assert document["comparison"] is None


def test_simulate_rejects_a_bad_option_with_exit_3_and_a_json_document(tmp_path: Path) -> None:
    result = run("simulate", "--days", "0", "--json", home=tmp_path)
    assert result.returncode == 3
    assert json.loads(result.stdout)["status"] == "rejected"
    assert "days must be between 1 and 3650" in result.stderr
    assert "Traceback" not in result.stderr
