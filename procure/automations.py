"""procure's automations, created from code (idempotent by name) on the Prefect server.

- A supplier slip still waiting for a decision (event ``procure.supplier.slipped``) runs the
  ``reroute-slipped-orders`` deployment.
- A failed or crashed flow run runs ``record-run-failure``, which writes a message for the
  buyers to procure's outbox (email and webhook actions exist only on Prefect Cloud).

An automation whose target deployment is not on the server yet is reported as pending, not
created: it is set up by running this again after ``procure serve`` or ``prefect deploy``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from flows.run_failures import FLOW_NAME as RUN_FAILURE_FLOW
from flows.slip_events import SLIPPED, STATE_LABEL
from procure.deployments import REROUTE_DEPLOYMENT, RUN_FAILURE_DEPLOYMENT

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.events.schemas.automations import AutomationCore

REROUTE_ON_SLIP = "procure-reroute-on-supplier-slip"
TELL_BUYERS_ON_FAILURE = "procure-tell-buyers-about-failed-runs"
AUTOMATION_NAMES = (REROUTE_ON_SLIP, TELL_BUYERS_ON_FAILURE)


@dataclass(frozen=True)
class AutomationOutcome:
    """What setup did with one automation: created, updated, or pending (with why)."""

    name: str
    status: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def reroute_on_slip(reroute_deployment: UUID) -> AutomationCore:
    """Slip event (still pending a decision) → run the reroute deployment."""
    from prefect.events.actions import RunDeployment
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    return AutomationCore(
        name=REROUTE_ON_SLIP,
        description="A supplier slipped: move the affected back orders to an alternate.",
        trigger=EventTrigger(
            expect={SLIPPED},
            match={"prefect.resource.id": "procure.supplier.*", STATE_LABEL: "pending"},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[RunDeployment(source="selected", deployment_id=reroute_deployment)],
    )


def tell_buyers_on_failure(run_failure_deployment: UUID) -> AutomationCore:
    """A failed or crashed flow run → ``record-run-failure`` with that run's id."""
    from prefect.events.actions import RunDeployment
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    return AutomationCore(
        name=TELL_BUYERS_ON_FAILURE,
        description="A procure run failed or crashed: write a message for the buyers.",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            # Never about its own runs: a failing notifier must not start itself forever.
            match_related={
                "prefect.resource.role": "flow",
                "prefect.resource.name": f"!{RUN_FAILURE_FLOW}",
            },
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[
            RunDeployment(
                source="selected",
                deployment_id=run_failure_deployment,
                parameters={"flow_run": "{{ event.resource.id }}"},
            )
        ],
    )


def deployment_id(client: SyncPrefectClient, name: str) -> UUID | None:
    """The id of the deployment called ``name`` (whatever its flow), if it is on the server."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    found = client.read_deployments(
        deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name]))
    )
    return found[0].id if found else None


def _ensure(client: SyncPrefectClient, automation: AutomationCore) -> AutomationOutcome:
    existing = client.read_automations_by_name(automation.name)
    if existing:
        client.update_automation(existing[0].id, automation)
        for extra in existing[1:]:
            client.delete_automation(extra.id)
        return AutomationOutcome(automation.name, "updated", "already existed; brought up to date")
    client.create_automation(automation)
    return AutomationOutcome(automation.name, "created", automation.description)


def setup_automations() -> list[AutomationOutcome]:
    """Create or update every automation whose deployment exists; report the rest as pending."""
    from prefect.client.orchestration import get_client

    wanted = (
        (REROUTE_ON_SLIP, REROUTE_DEPLOYMENT, reroute_on_slip),
        (TELL_BUYERS_ON_FAILURE, RUN_FAILURE_DEPLOYMENT, tell_buyers_on_failure),
    )
    outcomes: list[AutomationOutcome] = []
    with get_client(sync_client=True) as client:
        for name, deployment, build in wanted:
            target = deployment_id(client, deployment)
            if target is None:
                outcomes.append(
                    AutomationOutcome(
                        name,
                        "pending",
                        f"deployment {deployment} is not on the server yet: run `procure serve` "
                        "or `prefect deploy --all`, then set up automations again",
                    )
                )
                continue
            outcomes.append(_ensure(client, build(target)))
    return outcomes
