"""In Prefect: the slipped event triggers the reroute deployment, and the flow reports its work."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models import PoLine
from services.etas import refresh_etas
from services.reroute import RerouteResult
from tests.reroute_world import LIMIT, build_store, confirm, order
from tests.run_artifacts import artifacts_by_key, table_rows

TRIGGER_WAIT_SECONDS = 90


def _configure(engine: Engine, tmp_path: Path) -> None:
    from flows.wiring import FlowRuntime, configure_flows

    configure_flows(
        FlowRuntime(
            engine=lambda: engine, reports_dir=tmp_path / "reports", auto_release_limit=LIMIT
        )
    )


def _slipped_store(engine: Engine, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    build_store(engine, today - timedelta(days=1), skus=("SKU-1",))
    [po] = order(engine, today - timedelta(days=1)).created
    refresh_etas(engine, as_of=today - timedelta(days=1))  # what customers were first told
    confirm(
        engine, tmp_path / "in", po.po_number, {"SKU-1": today + timedelta(days=97)}, as_of=today
    )


def test_a_slipped_event_runs_the_reroute_deployment(
    engine: Engine, prefect_harness: None, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments.runner import RunnerDeployment
    from prefect.events import emit_event
    from prefect.flow_engine import run_flow

    from flows.reroute import reroute_slipped_orders
    from flows.slip_events import announce_slips, reroute_on_slip_trigger, slipped_event
    from services.slips import slips_to_announce

    _configure(engine, tmp_path)
    _slipped_store(engine, tmp_path)
    deployment = reroute_slipped_orders.to_deployment(
        name=f"reroute-on-slip-{engine.dialect.name}", triggers=[reroute_on_slip_trigger()]
    )
    assert isinstance(deployment, RunnerDeployment)
    deployment_id = deployment.apply()
    [slip] = slips_to_announce(engine)
    assert announce_slips(engine) == 1

    deadline = time.monotonic() + TRIGGER_WAIT_SECONDS
    next_nudge = time.monotonic() + 15
    runs: list[FlowRun] = []
    with get_client(sync_client=True) as client:
        while not runs and time.monotonic() < deadline:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
            )
            if not runs and time.monotonic() > next_nudge:
                # The server loads new automations periodically; the same event again is
                # what a re-announcement after a lost event looks like.
                emit_event(**slipped_event(slip))
                next_nudge = time.monotonic() + 15
            time.sleep(0.5)
    assert runs, "the slipped event started no run of the reroute deployment"
    [run] = runs
    with get_client(sync_client=True) as client:
        # Later tests in this harness emit slipped events too: nothing of this test may react.
        client.delete_resource_owned_automations(f"prefect.deployment.{deployment_id}")
    result = run_flow(reroute_slipped_orders, flow_run=run, parameters=run.parameters)
    assert isinstance(result, RerouteResult)
    assert [line.to_line.supplier for line in result.rerouted] == ["Beta"]
    with Session(engine) as session:
        statuses = session.execute(select(col(PoLine.status)).order_by(col(PoLine.id))).scalars()
        assert list(statuses) == ["rerouted", "sent"]


def test_the_reroute_flow_leaves_slips_reroutes_escalations_and_moved_etas(
    engine: Engine, prefect_harness: None, tmp_path: Path
) -> None:

    from flows.reroute import reroute_slipped_orders

    _configure(engine, tmp_path)
    _slipped_store(engine, tmp_path)
    state = reroute_slipped_orders(return_state=True)
    assert state.is_completed()
    by_key = artifacts_by_key(state.state_details.flow_run_id)
    assert set(by_key) == {
        "reroute-slips-found",
        "reroute-lines-moved",
        "reroute-escalations",
        "customer-etas-moved",
        "reroute-summary",
    }

    [slip] = table_rows(by_key["reroute-slips-found"])
    assert (slip["supplier"], slip["signal"]) == ("Acme", "re-promised")
    [moved] = table_rows(by_key["reroute-lines-moved"])
    assert (moved["from_supplier"], moved["to_supplier"], moved["reason_code"]) == (
        "Acme",
        "Beta",
        "alternate-earlier",
    )
    [eta] = table_rows(by_key["customer-etas-moved"])
    assert eta["covered_by"] == str(moved["to"]).split()[0]


def test_the_slip_check_records_overdue_lines_and_announces_them(
    engine: Engine, prefect_harness: None, tmp_path: Path
) -> None:
    from flows.reroute import check_supplier_slips
    from services.slips import slips_to_announce

    _configure(engine, tmp_path)
    today = datetime.now(UTC).date()
    build_store(engine, today - timedelta(days=30), skus=("SKU-1",))
    order(engine, today - timedelta(days=30))  # quoted for 7 days later: long overdue today
    check = check_supplier_slips()
    assert check.signals == {"overdue": 1}
    assert slips_to_announce(engine) == []
