"""Receiving and fulfilment in Prefect: what arrived against our POs, which customers it served."""

from __future__ import annotations

from datetime import date
from statistics import mean
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.run_names import as_of_name
from flows.wiring import flow_runtime
from models.db import session_scope
from services.fulfilment import FulfilmentResult, fulfil_waiting
from services.receiving import ReceivingResult, take_ingest_result


@task(name="receive-and-fulfil")
def receive_and_fulfil(file_id: int | None, filename: str = "") -> dict[str, Any]:
    """Report what a deliveries file's receipts did: lines received, back orders shipped."""
    result = take_ingest_result(file_id) if file_id is not None else None
    if result is None:
        # Receiving ran inside the file's transaction in another process: nothing to add here.
        return {}
    publish(result, title=f"Receipts in {filename or f'file #{file_id}'}")
    return result.as_dict()


@flow(name="receive-and-fulfil", log_prints=False, flow_run_name=as_of_name("shelf fulfilment"))
def fulfil_from_shelf(as_of: date) -> dict[str, Any]:
    """Ship waiting back orders from stock already on the shelf (e.g. after a stock count)."""
    runtime = flow_runtime()
    with session_scope(runtime.engine()) as session:
        shipped = fulfil_waiting(session, as_of)
    result = ReceivingResult(fulfilment=shipped)
    publish(result, title=f"Back orders served from the shelf on {as_of.isoformat()}")
    return result.as_dict()


def publish(result: ReceivingResult, *, title: str) -> None:
    """The artifacts a purchasing lead reads: a summary, then the tables behind it."""
    create_markdown_artifact(
        markdown=summary_markdown(result, title), key="receiving-summary", description=title
    )
    if result.received:
        create_table_artifact(
            table=[line.as_dict() for line in result.received],
            key="receiving-lines",
            description="PO lines received, judged against their original promise",
        )
    if result.fulfilment.shipped:
        create_table_artifact(
            table=[line.as_dict() for line in result.fulfilment.shipped],
            key="receiving-fulfilled",
            description="Back orders fulfilled, oldest first, with each customer's wait",
        )
    if result.discrepancies:
        create_table_artifact(
            table=[item.as_dict() for item in result.discrepancies],
            key="receiving-discrepancies",
            description="Receipts that did not fit their PO line",
        )


def summary_markdown(result: ReceivingResult, title: str) -> str:
    """Counts and customer waits in a few lines."""
    shipped: FulfilmentResult = result.fulfilment
    waits = [line.wait_days for line in shipped.shipped]
    late = [line for line in result.received if line.on_time is False]
    lines = [
        f"# {title}",
        "",
        "| what | count |",
        "|---|---:|",
        f"| PO lines with receipts | {len(result.received)} |",
        f"| PO lines received in full | {sum(r.status == 'received' for r in result.received)} |",
        f"| units booked to stock | {sum(r.added_qty for r in result.received)} |",
        f"| lines late against the original promise | {len(late)} |",
        f"| back orders fulfilled | {len(shipped.shipped)} |",
        f"| customers notified | {shipped.notifications} |",
        f"| discrepancies | {len(result.discrepancies)} |",
    ]
    if waits:
        lines += [
            "",
            f"Customer wait: mean **{mean(waits):.1f}** days, longest **{max(waits)}** days.",
        ]
    return "\n".join(lines) + "\n"
