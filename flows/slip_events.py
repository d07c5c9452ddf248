"""The ``procure.supplier.slipped`` event: emitted after the slip is in the database, never before.

Events are not durable, so the slip row is the fact and the event only a nudge: a slip whose
event was lost is still picked up by the scheduled reroute run. A slip still waiting for a
reroute decision carries the resource label ``procure.slip.state = pending``; deployment
triggers match on it, so slips a reroute run recorded and decided itself start nothing.
"""

from __future__ import annotations

from typing import Any

from prefect.events import emit_event
from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
from sqlalchemy import Engine

from services.reroute import HeldLine
from services.slips import RecordedSlip, mark_announced, slips_to_announce

SLIPPED = "procure.supplier.slipped"
ESCALATED = "procure.reroute.escalated"
STATE_LABEL = "procure.slip.state"


def slipped_event(slip: RecordedSlip) -> dict[str, Any]:
    """The event's parts: the supplier as resource, the PO line and SKU as related resources."""
    po_number = slip.evidence.get("po_number")
    line_no = slip.evidence.get("line_no")
    return {
        "event": SLIPPED,
        "resource": {
            "prefect.resource.id": f"procure.supplier.{slip.supplier}",
            "prefect.resource.name": slip.supplier,
            STATE_LABEL: "handled" if slip.handled else "pending",
        },
        "related": [
            {
                "prefect.resource.id": f"procure.po-line.{slip.po_line_id}",
                "prefect.resource.role": "po-line",
                "prefect.resource.name": f"{po_number} line {line_no}",
            },
            {
                "prefect.resource.id": f"procure.sku.{slip.sku}",
                "prefect.resource.role": "sku",
                "prefect.resource.name": slip.sku,
            },
        ],
        "payload": {**slip.as_dict(), "evidence": slip.evidence},
    }


def announce_slips(engine: Engine) -> int:
    """Emit one slipped event per slip not yet announced, then note them as announced."""
    slips = slips_to_announce(engine)
    for slip in slips:
        emit_event(**slipped_event(slip))
    mark_announced(engine, [slip.id for slip in slips])
    return len(slips)


def announce_escalations(escalated: tuple[HeldLine, ...]) -> int:
    """One event per escalation, for automations that page a buyer."""
    for held in escalated:
        emit_event(
            event=ESCALATED,
            resource={
                "prefect.resource.id": f"procure.supplier.{held.line.supplier}",
                "prefect.resource.name": held.line.supplier,
            },
            related=[
                {
                    "prefect.resource.id": f"procure.po.{held.line.po_number}",
                    "prefect.resource.role": "purchase-order",
                },
                {"prefect.resource.id": f"procure.sku.{held.sku}", "prefect.resource.role": "sku"},
            ],
            payload=held.as_dict(),
        )
    return len(escalated)


def reroute_on_slip_trigger() -> DeploymentEventTrigger:
    """Run the reroute deployment when a slip still waiting for a decision is announced."""
    return DeploymentEventTrigger(
        name="reroute-on-supplier-slip",
        expect={SLIPPED},
        match={"prefect.resource.id": "procure.supplier.*", STATE_LABEL: "pending"},
        parameters={},
    )
