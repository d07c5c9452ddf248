"""The ``poll-drop-folder`` flow: ingest every settled file buyers dropped, then file it away."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State
from prefect.states import Failed

from flows.ingest import ingest_supplier_file
from flows.operating import operating
from flows.scheduling import skipped, started_too_late
from supplier_feeds.drop_folder import IngestOutcome, PollReport, poll


def drop_run_name() -> str:
    """'drop folder 2025-03-04 09:15 UTC': when it looked, readable in the run list."""
    return f"drop folder {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"


def ingest_as_subflow(
    path: Path, kind: str, supplier: str | None, profile: Path | None
) -> IngestOutcome:
    """Each claimed file becomes its own ingest run, named for the file, under this poll."""
    return ingest_supplier_file(
        path=str(path),
        kind=kind,
        supplier=supplier,
        profile=str(profile) if profile else None,
        uploaded_by="drop-folder",
    )


@flow(name="poll-drop-folder", flow_run_name=drop_run_name)
def poll_drop_folder(
    folder: str | None = None, settle_seconds: float | None = None
) -> dict[str, Any] | State[Any]:
    """Claim, ingest and file away every settled file in the drop folder."""
    settings = operating()
    if started_too_late(settings.poll_max_delay):
        return skipped()
    root = Path(folder) if folder else settings.drop_folder
    settle = settings.drop_settle_seconds if settle_seconds is None else settle_seconds
    report = poll(root, ingest_as_subflow, settle_seconds=settle)
    _artifacts(report)
    logger = get_run_logger()
    logger.info("drop folder %s: %s", root, _counts_text(report))
    for item in report.waiting:
        logger.warning("left in the drop folder: %s (%s)", item.detail, item.reason)
    if report.failed:
        names = ", ".join(item.path for item in report.failed)
        # The files are back in the drop folder; the failed state alerts the buyers.
        return Failed(message=f"ingest failed for {names}; they will be retried", data=None)
    return report.as_dict()


def _counts_text(report: PollReport) -> str:
    return ", ".join(f"{count} {status}" for status, count in report.counts().items())


def report_rows(report: PollReport) -> list[dict[str, Any]]:
    """One row per file looked at (JSON types only)."""
    rows: list[dict[str, Any]] = [
        {
            "file": item.path,
            "kind": item.kind,
            "supplier": item.supplier or "",
            "status": item.status,
            "now_at": item.moved_to or "",
            "error_workbook": item.report or "",
            "message": item.message,
        }
        for item in report.filed
    ]
    rows += [
        {
            "file": item.path,
            "kind": "",
            "supplier": "",
            "status": f"waiting: {item.reason}",
            "now_at": item.path,
            "error_workbook": "",
            "message": item.detail,
        }
        for item in report.waiting
    ]
    return rows


def _artifacts(report: PollReport) -> None:
    if not report.filed and not report.waiting:
        return
    create_table_artifact(
        key="drop-folder-files",
        table=report_rows(report),
        description=f"drop folder {report.folder}: {_counts_text(report)}",
    )
    lines = [f"# Drop folder: {_counts_text(report)}", "", f"Folder: `{report.folder}`", ""]
    lines += [
        f"- **{item.status}** {_md(item.path)}"
        + (f" — error workbook `{item.report}`" if item.report else "")
        for item in report.filed
    ]
    lines += [f"- *waiting* {_md(item.detail)}" for item in report.waiting]
    create_markdown_artifact(
        key="drop-folder-summary", markdown="\n".join(lines) + "\n", description="drop folder poll"
    )


def _md(text: str) -> str:
    # File names come from buyers and suppliers: they must not become links or tables.
    return "".join("\\" + char if char in "\\`*_[]<>|#" else char for char in text)
