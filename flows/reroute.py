"""The ``reroute-slipped-orders`` flow: decide every slip, announce, refresh customers' ETAs.

Run on a schedule (the reconcile that catches slips whose event was lost), on the
``procure.supplier.slipped`` deployment trigger, or by hand. ``check-supplier-slips`` is
the lighter scheduled slip check: it records time-based slips and announces them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.etas import eta_move_rows, refresh_customer_etas
from flows.run_names import as_of_name
from flows.slip_events import announce_escalations, announce_slips
from flows.wiring import flow_runtime, po_sending
from models.db import session_scope
from services.etas import EtaRefresh
from services.reorder_state import load_state
from services.reroute import RerouteResult, RerouteSettings, reroute
from services.slips import SlipCheck, check_slips


def _today() -> date:
    # Schedules and triggers pass no date; entry points that know the store's timezone do.
    return datetime.now(UTC).date()


@task(name="reroute-slipped-lines")
def reroute_slipped_lines(as_of: date) -> RerouteResult:
    """Record due slips and reroute, keep or escalate every undecided one (one transaction)."""
    runtime = flow_runtime()
    return reroute(
        runtime.engine(),
        as_of=as_of,
        settings=RerouteSettings(
            auto_release_limit=runtime.auto_release_limit, base_currency=runtime.base_currency
        ),
        # A triggered run waits for a running reorder rather than skip the slip it was for.
        wait=True,
        sending=po_sending(runtime),
    )


@task(name="announce-slips")
def announce_recorded_slips() -> int:
    """Emit the slipped event of every slip not announced yet (after it is in the database)."""
    return announce_slips(flow_runtime().engine())


def slip_rows(result: RerouteResult) -> list[dict[str, Any]]:
    """One artifact row per slip the run decided on (JSON types only)."""
    return [
        {
            "po": f"{slip.evidence.get('po_number')} line {slip.evidence.get('line_no')}",
            "supplier": slip.supplier,
            "sku": slip.sku,
            "signal": slip.signal,
            "detected_on": slip.detected_on.isoformat(),
            "new_date": None if slip.new_date is None else slip.new_date.isoformat(),
            "evidence": str(slip.evidence.get("reason", "")),
        }
        for slip in result.slips_handled
    ]


def reroute_rows(result: RerouteResult) -> list[dict[str, Any]]:
    """One artifact row per back-order group moved to an alternate."""
    return [
        {
            "from": f"{line.from_line.po_number} line {line.from_line.line_no}",
            "from_supplier": line.from_line.supplier,
            "to": f"{line.to_line.po_number} line {line.to_line.line_no}",
            "to_supplier": line.to_line.supplier,
            "sku": line.sku,
            "qty": line.to_line.qty,
            "covers": ", ".join(line.covers),
            "reason_code": line.reason_code,
            "reason": line.reason,
        }
        for line in result.rerouted
    ]


def held_rows(result: RerouteResult) -> list[dict[str, Any]]:
    """One artifact row per slipped line left where it is (escalated or kept), with why."""
    return [
        {
            "outcome": outcome,
            "po": f"{held.line.po_number} line {held.line.line_no}",
            "supplier": held.line.supplier,
            "sku": held.sku,
            "covers": ", ".join(held.covers),
            "reason_code": held.reason_code,
            "reason": held.reason,
        }
        for outcome, group in (("escalated", result.escalated), ("kept", result.kept))
        for held in group
    ]


def reroute_summary(result: RerouteResult, etas: EtaRefresh | None) -> str:
    """A short markdown account of the run for purchasing leads."""
    lines = [f"# Reroute as of {result.as_of.isoformat()} ({result.status})", ""]
    if result.status == "skipped":
        return "\n".join([*lines, result.message, ""])
    lines.append(
        f"{len(result.slips_handled)} slip(s) decided ({result.slips_recorded} recorded by this "
        f"run); {len(result.rerouted)} line(s) rerouted, {len(result.escalated)} escalated, "
        f"{len(result.kept)} kept."
    )
    if result.escalated:
        lines += ["", "## Escalated: a buyer must act", ""]
        lines += [f"- {_cell(held.reason)}" for held in result.escalated]
    if etas is not None:
        lines += ["", f"{len(etas.moved)} customer ETA(s) moved enough to notify the customer."]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@flow(name="reroute-slipped-orders", flow_run_name=as_of_name("reroute"))
def reroute_slipped_orders(as_of: date | None = None) -> RerouteResult:
    """Reroute back orders off slipped PO lines, escalate what cannot move, refresh ETAs."""
    day = as_of or _today()
    result = reroute_slipped_lines(day)
    announced = announce_recorded_slips()
    etas = refresh_customer_etas(day) if result.status == "completed" else None
    announce_escalations(result.escalated)
    create_table_artifact(
        key="reroute-slips-found",
        table=slip_rows(result),
        description=f"Slips decided as of {day.isoformat()}",
    )
    create_table_artifact(
        key="reroute-lines-moved",
        table=reroute_rows(result),
        description=f"Back orders moved to alternates as of {day.isoformat()}",
    )
    create_table_artifact(
        key="reroute-escalations",
        table=held_rows(result),
        description=f"Slipped lines kept or escalated as of {day.isoformat()}",
    )
    if etas is not None:
        create_table_artifact(
            key="customer-etas-moved",
            table=eta_move_rows(etas),
            description=f"Customer ETAs that moved as of {day.isoformat()}",
        )
    create_markdown_artifact(
        key="reroute-summary",
        markdown=reroute_summary(result, etas),
        description=f"Reroute summary as of {day.isoformat()}",
    )
    get_run_logger().info(
        "reroute as of %s: %s, %d rerouted, %d escalated, %d slip event(s) emitted",
        day.isoformat(),
        result.status,
        len(result.rerouted),
        len(result.escalated),
        announced,
    )
    return result


@task(name="record-due-slips")
def record_due_slips(as_of: date) -> SlipCheck:
    """Record the slips the clock and the standings reveal (overdue, blocked) and any missed."""
    runtime = flow_runtime()
    with session_scope(runtime.engine()) as session:
        state = load_state(session, as_of, runtime.base_currency)
        return check_slips(session.connection(), as_of, state.blocked_suppliers())


@flow(name="check-supplier-slips", flow_run_name=as_of_name("slip check"))
def check_supplier_slips(as_of: date | None = None) -> SlipCheck:
    """Record due slips and announce them; the slipped-event trigger runs the reroute."""
    day = as_of or _today()
    check = record_due_slips(day)
    announced = announce_recorded_slips()
    get_run_logger().info(
        "slip check as of %s: %d slip(s) recorded, %d event(s) emitted",
        day.isoformat(),
        len(check.recorded),
        announced,
    )
    return check
