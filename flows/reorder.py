"""The ``raise-backorder-pos`` flow: reorder once, and leave what it raised and why for buyers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.etas import refresh_customer_etas
from flows.run_names import as_of_name
from flows.wiring import flow_runtime, po_sending
from services.reorder import ReorderResult, ReorderSettings, money_text, reorder


@task(name="reorder-backorders")
def reorder_backorders(as_of: date, dry_run: bool) -> ReorderResult:
    """Load, decide and write one reorder run (one transaction, under the run lock)."""
    runtime = flow_runtime()
    return reorder(
        runtime.engine(),
        as_of=as_of,
        settings=ReorderSettings(
            auto_release_limit=runtime.auto_release_limit, base_currency=runtime.base_currency
        ),
        dry_run=dry_run,
        sending=po_sending(runtime),
    )


def po_rows(result: ReorderResult) -> list[dict[str, Any]]:
    """One artifact row per PO line raised (JSON types only)."""
    return [
        {
            "po_number": po.po_number,
            "supplier": po.supplier,
            "sku": line.sku,
            "qty": line.qty,
            "unit_price": money_text(line.unit_price),
            "value": money_text(line.unit_price * line.qty),
            "currency": line.currency,
            "status": po.status,
            "covers": ", ".join(line.covers),
            "reason_code": line.reason_code,
            "reason": line.reason,
        }
        for po in result.created
        for line in po.lines
    ]


def uncovered_rows(result: ReorderResult) -> list[dict[str, Any]]:
    """One artifact row per shortage nobody is ordering."""
    return [
        {"sku": item.sku, "qty": item.qty, "reason": item.code, "detail": item.reason}
        for item in result.uncovered
    ]


def reorder_summary(result: ReorderResult) -> str:
    """A short markdown account of the run for purchasing leads."""
    lines = [f"# Reorder as of {result.as_of.isoformat()} ({result.status})", ""]
    if result.status == "skipped":
        return "\n".join([*lines, result.message, ""])
    raised = sum(len(po.lines) for po in result.created)
    lines.append(
        f"{raised} PO line(s) on {len(result.created)} PO(s); "
        f"{len(result.uncovered)} shortage(s) uncovered; "
        f"{result.covered_by_open_pos} back-order line(s) placed on spare open-PO quantity; "
        f"{result.released_coverage} coverage(s) released."
    )
    if result.created:
        lines += ["", "| PO | supplier | status | lines | why |", "|---|---|---|---|---|"]
        lines += [
            f"| {po.po_number} | {_cell(po.supplier)} | {po.status} | {len(po.lines)} | "
            f"{_cell(po.status_reason)} |"
            for po in result.created
        ]
    if result.flagged:
        lines += ["", "## Sent lines a buyer must look at", ""]
        lines += [f"- {_cell(notice.reason)}" for notice in result.flagged]
    if result.uncovered:
        lines += ["", "## Uncovered", ""]
        lines += [
            f"- **{_cell(item.sku)}** ({item.qty}): {_cell(item.reason)}"
            for item in result.uncovered[:50]
        ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    # Supplier text goes into a markdown table: keep it from breaking the table.
    return text.replace("|", "\\|").replace("\n", " ")


@flow(name="raise-backorder-pos", flow_run_name=as_of_name("reorder"))
def raise_backorder_pos(as_of: date | None = None, dry_run: bool = False) -> ReorderResult:
    """Raise POs for back-ordered SKUs' net shortages and report them (as of today by default)."""
    # Schedules pass no date; entry points that know the store's timezone pass it.
    day = as_of or datetime.now(UTC).date()
    result = reorder_backorders(day, dry_run)
    if result.status == "completed":
        refresh_customer_etas(day)  # new POs give waiting customers their dates
    if result.status != "skipped":
        create_table_artifact(
            key="backorder-pos-raised",
            table=po_rows(result),
            description=f"PO lines raised as of {day.isoformat()} (dry run: {dry_run})",
        )
        create_table_artifact(
            key="backorder-shortages-uncovered",
            table=uncovered_rows(result),
            description=f"Shortages nobody is ordering as of {day.isoformat()}",
        )
    create_markdown_artifact(
        key="backorder-reorder-summary",
        markdown=reorder_summary(result),
        description=f"Reorder summary as of {day.isoformat()}",
    )
    get_run_logger().info(
        "reorder as of %s: %s, %d PO(s), %d uncovered",
        day.isoformat(),
        result.status,
        len(result.created),
        len(result.uncovered),
    )
    return result
