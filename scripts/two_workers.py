"""Team scale on one machine: a PostgreSQL-backed Prefect server, two process workers, and
overlapping reorder runs fired through deployments — then a count of duplicate coverage.

    .venv/bin/python scripts/two_workers.py [--postgres postgresql://postgres@127.0.0.1:5432]
                                            [--runs 8] [--keep]

It (re)creates two databases of its own — ``procure_scale_prefect`` for Prefect and
``procure_scale_app`` for procure — builds the demo store into the app database, starts the
server and two workers (``prefect worker start --pool procure-pool``), and fires the runs in
two rounds: first through a copy of ``raise-backorder-pos`` without Prefect's concurrency
limit (so runs really overlap and only the database keeps them apart), then through the
deployment exactly as ``prefect.yaml`` declares it (limit 1, queued). It prints what it
measured and exits non-zero if any back-order line is covered by two open PO lines.
Everything it starts is stopped before it exits.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PREFECT_DB = "procure_scale_prefect"
APP_DB = "procure_scale_app"
POOL = "procure-pool"
OVERLAP_DEPLOYMENT = "raise-backorder-pos-overlap"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _recreate_databases(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as connection:
        for name in (PREFECT_DB, APP_DB):
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    """Run ``command`` in its own process group for the block; stop it afterwards."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _wait_healthy(api_url: str, seconds: float) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the Prefect server at {api_url} did not start within {seconds:.0f} s")


def _load_demo_store(app_url: str, home: Path) -> dict[str, int]:
    """The demo world's files, ingested into the app database the way buyers would."""
    from models.db import make_engine, upgrade
    from procure.demo.files import write_world
    from procure.demo.world import build_world
    from services.ingest import ingest_file

    engine = make_engine(app_url)
    upgrade(engine)
    world = build_world(datetime.now(UTC).date(), seed=7)
    counts: dict[str, int] = {}
    for item in write_world(world, home / "inbox"):
        result = ingest_file(
            engine, item.path, item.kind, reports_dir=home / "reports", supplier=item.supplier
        )
        if result.status == "rejected":
            raise SystemExit(f"demo file {item.path} was rejected: {result.message}")
        counts[item.kind] = counts.get(item.kind, 0) + result.rows
    engine.dispose()
    return counts


def _deploy(env: dict[str, str]) -> None:
    """The reorder deployment from prefect.yaml, plus a copy without Prefect's limit."""
    subprocess.run(
        [str(BIN / "prefect"), "work-pool", "create", POOL, "--type", "process"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", "deploy", "--name", "raise-backorder-pos"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    script = (
        "from dataclasses import replace\n"
        "from procure.deployments import read_deployments, runner_deployment\n"
        "(spec,) = [s for s in read_deployments() if s.name == 'raise-backorder-pos']\n"
        f"spec = replace(spec, name={OVERLAP_DEPLOYMENT!r}, concurrency_limit=None, schedules=())\n"
        f"runner_deployment(spec).apply(work_pool_name={POOL!r})\n"
    )
    subprocess.run(
        [sys.executable, "-c", script], env=env, check=True, capture_output=True, timeout=300
    )


def _fire(env: dict[str, str], deployment: str, runs: int, wait_seconds: float) -> dict[str, Any]:
    """Create ``runs`` runs at once, wait for all to finish, and measure their overlap."""
    script = f"""
import json, time
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
ids = [run_deployment({deployment!r}, timeout=0).id for _ in range({runs})]
deadline = time.monotonic() + {wait_seconds}
with get_client(sync_client=True) as client:
    while True:
        found = [client.read_flow_run(i) for i in ids]
        if all(r.state and r.state.is_final() for r in found) or time.monotonic() > deadline:
            break
        time.sleep(1)
spans = [(r.start_time.timestamp(), r.end_time.timestamp()) for r in found
         if r.start_time and r.end_time]
edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
running = peak = 0
for _, step in edges:
    running += step
    peak = max(peak, running)
print(json.dumps({{
    "states": sorted(r.state.name for r in found if r.state),
    "peak_overlap": peak,
    "wall_seconds": round(max(e for _, e in spans) - min(s for s, _ in spans), 1)
    if spans else None,
}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=wait_seconds + 120,
        check=True,
    )
    import json

    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def _coverage(app_url: str) -> dict[str, int]:
    from sqlalchemy import text

    from models.db import make_engine

    engine = make_engine(app_url)
    with engine.connect() as connection:
        duplicates = connection.execute(
            text(
                "SELECT count(*) FROM (SELECT backorder_line_id FROM po_line_coverage "
                "WHERE released_at IS NULL GROUP BY backorder_line_id HAVING count(*) > 1) d"
            )
        ).scalar_one()
        covered = connection.execute(
            text("SELECT count(*) FROM po_line_coverage WHERE released_at IS NULL")
        ).scalar_one()
        pos = connection.execute(text("SELECT count(*) FROM purchase_order")).scalar_one()
    engine.dispose()
    return {"purchase_orders": pos, "open_coverage": covered, "duplicate_coverage": duplicates}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait per round")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    admin = args.postgres.rstrip("/")
    host_part = admin.split("://", 1)[1]
    app_url = f"postgresql+psycopg://{host_part}/{APP_DB}"
    prefect_url = f"postgresql+asyncpg://{host_part}/{PREFECT_DB}"
    work = Path(tempfile.mkdtemp(prefix="procure-two-workers-"))
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(work / "prefect"),
        "PREFECT_API_URL": api_url,
        "PREFECT_UI_API_URL": api_url,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PROCURE_HOME": str(work / "procure"),
        "PROCURE_DATABASE_URL": app_url,
    }
    print(f"work folder {work}; Prefect on {prefect_url}; app on {app_url}")
    _recreate_databases(admin)
    started = time.monotonic()
    loaded = _load_demo_store(app_url, work / "procure")
    print(f"demo store loaded in {time.monotonic() - started:.1f} s: {loaded}")
    with ExitStack() as stack:
        stack.enter_context(
            _process(
                [
                    str(BIN / "prefect"),
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                env,
                work / "server.log",
            )
        )
        _wait_healthy(api_url, 180)
        _deploy(env)
        for name in ("worker-a", "worker-b"):
            stack.enter_context(
                _process(
                    [str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--name", name],
                    env,
                    work / f"{name}.log",
                )
            )
        rounds = [
            (f"raise-backorder-pos/{OVERLAP_DEPLOYMENT}", "no Prefect limit: runs overlap"),
            ("raise-backorder-pos/raise-backorder-pos", "as deployed: limit 1, queued"),
        ]
        failed = False
        for deployment, note in rounds:
            measured = _fire(env, deployment, args.runs, args.wait)
            coverage = _coverage(app_url)
            print(f"{deployment} ({note}): {args.runs} runs → {measured}; {coverage}")
            completed = measured["states"].count("Completed")
            failed |= coverage["duplicate_coverage"] != 0 or completed != args.runs
    worker_logs = {name: (work / f"{name}.log").read_text() for name in ("worker-a", "worker-b")}
    per_worker = {
        name: text.count("submitted to infrastructure") for name, text in worker_logs.items()
    }
    print(f"runs picked up per worker: {per_worker}")
    if not args.keep and not failed:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    print("RESULT:", "FAIL" if failed else "OK — zero duplicate coverage")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
