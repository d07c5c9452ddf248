"""The command line follows the contract: commands exist, usage errors exit 2, demo runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROCURE = [sys.executable, "-m", "procure"]


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "PROCURE_HOME": str(home),
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    return subprocess.run(
        [*PROCURE, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_an_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = run("no-such-command", home=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_db_upgrade_migrates_the_embedded_store(tmp_path: Path) -> None:
    result = run("db", "upgrade", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "procure.db").exists()
    assert "revision" in result.stdout


def test_demo_builds_a_fresh_world_and_exits(tmp_path: Path) -> None:
    result = run("demo", "--no-ui", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert Path(report["home"]).parent == tmp_path / "demo"
    assert {f["kind"] for f in report["files"]} >= {"catalog", "deliveries", "backorders"}
    assert all(step["outcome"] == "ok" for step in report["steps"])
