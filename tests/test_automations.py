"""Automations from code: they exist after setup, and fire (a slip, a failed run → the outbox)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from prefect import flow
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.events import emit_event
from prefect.flow_engine import run_flow
from sqlalchemy import Engine
from sqlmodel import Session, select

from flows.run_failures import record_run_failure
from flows.slip_events import SLIPPED, STATE_LABEL
from models import OutboxMessage
from procure.automations import (
    AUTOMATION_NAMES,
    REROUTE_ON_SLIP,
    TELL_BUYERS_ON_FAILURE,
    setup_automations,
)
from procure.deployments import (
    REROUTE_DEPLOYMENT,
    RUN_FAILURE_DEPLOYMENT,
    read_deployments,
    runner_deployment,
)
from tests.wired import wired_flows

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.slow]
WAIT_SECONDS = 90


def deploy(name: str) -> UUID:
    (spec,) = [spec for spec in read_deployments() if spec.name == name]
    deployment_id = runner_deployment(spec).apply()
    assert isinstance(deployment_id, UUID)
    return deployment_id


def runs_of(client: SyncPrefectClient, deployment_id: UUID) -> list[FlowRun]:
    return client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
    )


def wait_for_run(deployment_id: UUID, wanted: dict[str, str] | None = None) -> FlowRun:
    """The first run the automation created for ``deployment_id`` (bounded wait)."""
    deadline = time.monotonic() + WAIT_SECONDS
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            for run in runs_of(client, deployment_id):
                if wanted is None or all(run.parameters.get(k) == v for k, v in wanted.items()):
                    return run
            time.sleep(0.5)
    raise AssertionError(f"no run of deployment {deployment_id} within {WAIT_SECONDS} s")


@pytest.fixture
def clean_automations() -> Iterator[None]:
    yield
    # Automations live on the session's shared server: leave nothing to fire in other tests.
    with get_client(sync_client=True) as client:
        for name in AUTOMATION_NAMES:
            for automation in client.read_automations_by_name(name):
                client.delete_automation(automation.id)


@pytest.mark.usefixtures("clean_automations")
def test_an_automation_whose_deployment_is_missing_is_reported_pending_not_faked() -> None:
    with get_client(sync_client=True) as client:
        for name in (REROUTE_DEPLOYMENT, RUN_FAILURE_DEPLOYMENT):
            for found in client.read_deployments():
                if found.name == name:
                    client.delete_deployment(found.id)

    outcomes = setup_automations()

    assert [(item.name, item.status) for item in outcomes] == [
        (REROUTE_ON_SLIP, "pending"),
        (TELL_BUYERS_ON_FAILURE, "pending"),
    ]
    with get_client(sync_client=True) as client:
        assert all(client.read_automations_by_name(name) == [] for name in AUTOMATION_NAMES)


@pytest.mark.usefixtures("clean_automations")
def test_automations_exist_after_setup_and_setting_up_again_changes_nothing() -> None:
    deploy(REROUTE_DEPLOYMENT)
    deploy(RUN_FAILURE_DEPLOYMENT)

    first = setup_automations()
    again = setup_automations()

    assert [item.status for item in first] == ["created", "created"]
    assert [item.status for item in again] == ["updated", "updated"]
    with get_client(sync_client=True) as client:
        assert [len(client.read_automations_by_name(name)) for name in AUTOMATION_NAMES] == [1, 1]


@pytest.mark.usefixtures("clean_automations")
def test_a_pending_slip_event_starts_a_reroute_run() -> None:
    reroute = deploy(REROUTE_DEPLOYMENT)
    deploy(RUN_FAILURE_DEPLOYMENT)
    setup_automations()

    emit_event(
        event=SLIPPED,
        resource={
            "prefect.resource.id": "procure.supplier.Acme Ltd",
            "prefect.resource.name": "Acme Ltd",
            STATE_LABEL: "pending",
        },
    )

    assert wait_for_run(reroute).deployment_id == reroute


@pytest.mark.usefixtures("clean_automations")
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_failed_run_becomes_a_message_to_the_buyers(engine: Engine, tmp_path: Path) -> None:
    notifier = deploy(RUN_FAILURE_DEPLOYMENT)
    deploy(REROUTE_DEPLOYMENT)
    setup_automations()

    @flow(name="nightly-reorder-that-breaks")
    def breaks() -> None:
        raise RuntimeError("supplier portal down")

    failed = breaks(return_state=True)
    assert failed.is_failed()
    failed_id = failed.state_details.flow_run_id
    run = wait_for_run(notifier, {"flow_run": f"prefect.flow-run.{failed_id}"})
    with wired_flows(engine, tmp_path):
        run_flow(record_run_failure, flow_run=run, parameters=run.parameters)

    with Session(engine) as session:
        messages = session.exec(select(OutboxMessage)).all()
    assert [(m.message_type, m.dedupe_key, m.recipient) for m in messages] == [
        ("run-failed", f"run-failed:{failed_id}", "buyers")
    ]
    assert "supplier portal down" in messages[0].body
    assert "nightly-reorder-that-breaks" in messages[0].subject
