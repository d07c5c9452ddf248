"""Approve a PO held over the auto-release limit from the Prefect UI (a form on the deployment).

The person types their name; the same rules as ``procure approve`` apply: only a PO waiting for
approval, never by its creator or the automation's own names, never to a supplier blocked by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.wiring import flow_runtime, po_sending
from purchasing.errors import InputRejected, RuleViolation
from services.po_desk import approve_po


@flow(name="approve-purchase-order", flow_run_name="approve {po_number} by {approved_by}")
def approve_purchase_order(
    po_number: str, approved_by: str, as_of: date | None = None
) -> dict[str, Any]:
    """A person approves a PO waiting for approval; it is sent at once."""
    runtime = flow_runtime()
    day = as_of or datetime.now(UTC).date()
    try:
        result = approve_po(
            runtime.engine(), po_number, by=approved_by, as_of=day, sending=po_sending(runtime)
        )
    except (InputRejected, RuleViolation) as refusal:
        # A refused approval is an answer for the person, not a crash of the run.
        get_run_logger().warning("approval of %s refused: %s", po_number, refusal)
        create_markdown_artifact(
            key="po-approval",
            markdown=f"# {po_number} not approved\n\n{refusal}\n",
            description=f"Approval of {po_number} refused",
        )
        return {"po_number": po_number, "status": "refused", "reason": str(refusal)}
    create_markdown_artifact(
        key="po-approval",
        markdown=(
            f"# {result.po_number} approved\n\n"
            f"{result.supplier}: approved by **{result.approved_by}**, now {result.status}.\n"
        ),
        description=f"Approval of {result.po_number}",
    )
    return result.as_dict()
