"""Deployments as code: every flow is deployed, on London schedules, and `prefect deploy` works."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from prefect.flows import Flow, load_flow_from_entrypoint

import procure.entrypoints
from procure.deployments import PREFECT_YAML, WORK_POOL, DeploymentSpec, read_deployments
from tests.prefect_server import PREFECT, prefect_server

DEPLOYMENTS = read_deployments()
BY_NAME = {spec.name: spec for spec in DEPLOYMENTS}


@pytest.mark.parametrize("spec", DEPLOYMENTS, ids=lambda spec: spec.name)
def test_each_deployment_points_at_a_flow_in_the_pool(spec: DeploymentSpec) -> None:
    flow: object = load_flow_from_entrypoint(spec.entrypoint, use_placeholder_flow=False)

    assert isinstance(flow, Flow)
    assert spec.work_pool == WORK_POOL


def test_every_flow_the_entry_points_offer_is_deployed() -> None:
    offered = {
        f"procure.entrypoints.{name}"
        for name in procure.entrypoints.__all__
        if isinstance(getattr(procure.entrypoints, name), Flow)
    }

    assert offered == {spec.entrypoint for spec in DEPLOYMENTS}


def test_schedules_run_in_london_time_with_stable_unique_slugs() -> None:
    schedules = [item for spec in DEPLOYMENTS for item in spec.schedules]

    assert schedules
    assert {item.timezone for item in schedules} == {"Europe/London"}
    assert len({item.slug for item in schedules}) == len(schedules)


@pytest.mark.parametrize(
    ("name", "strategy"),
    [
        ("poll-drop-folder", "CANCEL_NEW"),
        ("poll-supplier-feeds", "CANCEL_NEW"),
        ("raise-backorder-pos", "ENQUEUE"),
        ("reroute-slipped-orders", "ENQUEUE"),
        ("score-suppliers", "ENQUEUE"),
    ],
)
def test_runs_that_must_not_overlap_have_a_limit_of_one(name: str, strategy: str) -> None:
    spec = BY_NAME[name]

    assert (spec.concurrency_limit, spec.collision_strategy) == (1, strategy)


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_prefect_deploy_all_succeeds_against_a_fresh_local_server(tmp_path: Path) -> None:
    with prefect_server(tmp_path) as env:
        env = {**env, "PROCURE_HOME": str(tmp_path / "procure")}
        pool = subprocess.run(
            [PREFECT, "work-pool", "create", WORK_POOL, "--type", "process"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert pool.returncode == 0, pool.stdout + pool.stderr
        deploy = subprocess.run(
            [PREFECT, "--no-prompt", "deploy", "--all"],
            cwd=PREFECT_YAML.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
        api_url = env["PREFECT_API_URL"]
        found = httpx.post(f"{api_url}/deployments/filter", json={}, timeout=30).json()
        assert sorted(item["name"] for item in found) == sorted(BY_NAME)
        slugs = {s["slug"] for item in found for s in item["schedules"]}
        assert slugs == {s.slug for spec in DEPLOYMENTS for s in spec.schedules}
