"""The ``record-run-failure`` flow: a failed or crashed run becomes a message to the buyers.

An automation runs it (email and webhook actions exist only on Prefect Cloud); the message
goes to procure's outbox like every other notification.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.settings import get_current_settings

from flows.operating import operating
from flows.wiring import flow_runtime
from services.buyer_alerts import RUN_FAILED, BuyerAlert, alert_buyers

FLOW_NAME = "record-run-failure"


def failed_run_id(resource_id: str) -> UUID:
    """``prefect.flow-run.<uuid>`` (an event's resource) or a bare id → the run's id."""
    try:
        return UUID(resource_id.removeprefix("prefect.flow-run."))
    except ValueError:
        raise ValueError(f"{resource_id!r} is not a flow run id") from None


@flow(name=FLOW_NAME, flow_run_name="failure of {flow_run}")
def record_run_failure(flow_run: str) -> dict[str, Any]:
    """Write one outbox message for the buyers about the failed or crashed run ``flow_run``."""
    run_id = failed_run_id(flow_run)
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        flow_name = client.read_flow(run.flow_id).name
    state = (run.state.name if run.state else None) or "Failed"
    message = (run.state.message if run.state else None) or "no message"
    ui = get_current_settings().ui_url
    link = f"{ui}/runs/flow-run/{run_id}" if ui else f"flow run {run_id}"
    queued = alert_buyers(
        flow_runtime().engine(),
        BuyerAlert(
            message_type=RUN_FAILED,
            dedupe_key=f"{RUN_FAILED}:{run_id}",
            subject=f"procure: {flow_name} run {run.name} {state.lower()}",
            body=(
                f"The {flow_name} run {run.name} ended {state}: {message}\n\n"
                f"Open it in the Prefect UI: {link}\n"
                "A rerun is always safe: procure's steps are idempotent."
            ),
            payload={
                "flow_run_id": str(run_id),
                "flow": flow_name,
                "run": run.name,
                "state": state,
                "message": message,
            },
        ),
        recipient=operating().buyers_address,
    )
    get_run_logger().info(
        "%s run %s %s: %s", flow_name, run.name, state, "buyers told" if queued else "already told"
    )
    return {"flow_run_id": str(run_id), "flow": flow_name, "state": state, "queued": queued}
