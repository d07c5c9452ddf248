"""`procure serve` serves every deployment; a run through it ingests a dropped file."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from procure.deployments import read_deployments
from tests.prefect_server import prefect_server, stop

PROCURE = str(Path(sys.executable).with_name("procure"))


def _deployments(api_url: str) -> set[str]:
    found = httpx.post(f"{api_url}/deployments/filter", json={}, timeout=30).json()
    return {item["name"] for item in found}


@pytest.mark.slow
@pytest.mark.timeout(480)
def test_serve_registers_every_deployment_and_runs_a_dropped_file(tmp_path: Path) -> None:
    home = tmp_path / "procure"
    dropped = home / "drop" / "stock" / "Acme Ltd" / "avail.csv"
    dropped.parent.mkdir(parents=True)
    dropped.write_text("sku,available_qty\nA-1,5\n", encoding="utf-8")
    wanted = {spec.name for spec in read_deployments()}
    with prefect_server(tmp_path) as env:
        env = {**env, "PROCURE_HOME": str(home), "PROCURE_DROP_SETTLE_SECONDS": "0"}
        env.pop("PROCURE_DATABASE_URL", None)
        api_url = env["PREFECT_API_URL"]
        with (tmp_path / "serve.log").open("wb") as log:
            serving = subprocess.Popen(
                [PROCURE, "serve"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 120
            while _deployments(api_url) != wanted and time.monotonic() < deadline:
                time.sleep(1)
            assert _deployments(api_url) == wanted
            run = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from prefect.deployments import run_deployment;"
                    "r = run_deployment('poll-drop-folder/poll-drop-folder', timeout=150);"
                    "print(r.state.type.value)",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=200,
            )
            assert run.stdout.strip().endswith("COMPLETED"), run.stdout + run.stderr
            assert (home / "drop/done/stock/Acme Ltd/avail.csv").is_file()
        finally:
            code = stop(serving)
        output = (tmp_path / "serve.log").read_text(encoding="utf-8")
        assert f"Prefect UI: {api_url.removesuffix('/api')}" in output
        assert code in (0, 130), output[-3000:]
