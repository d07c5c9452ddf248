"""The ``ingest_supplier_file`` flow: one supplier file in, a summary (and errors) for the UI."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.runtime import flow_run

from flows.etas import after_accepted_file
from flows.receiving import receive_and_fulfil
from flows.wiring import flow_runtime
from services.ingest import IngestResult, add_progress_listener, ingest_file

# Files smaller than this finish before a progress artifact would be worth its API calls.
PROGRESS_FROM_BYTES = 1 << 20
_PROGRESS_EVERY_SECONDS = 1.0


def ingest_run_name() -> str:
    """'deliveries: acme.xlsx (Acme Ltd)': the file and supplier, readable in the run list."""
    parameters = flow_run.parameters
    name = Path(str(parameters.get("path", "?"))).name
    supplier = parameters.get("supplier")
    suffix = f" ({supplier})" if supplier else ""
    return f"{parameters.get('kind', 'file')}: {name}{suffix}"


@flow(name="ingest-supplier-file", flow_run_name=ingest_run_name, log_prints=False)
def ingest_supplier_file(
    path: str,
    kind: str | None = None,
    supplier: str | None = None,
    profile: str | None = None,
    as_of: date | None = None,
    uploaded_by: str | None = None,
) -> IngestResult:
    """Ingest one supplier file whole or reject it whole; a rejection is a result, not a failure."""
    runtime = flow_runtime()
    file_path = Path(path)
    tracker = _ProgressArtifact(file_path)
    stop = add_progress_listener(tracker.update)
    try:
        result = ingest_file(
            runtime.engine(),
            file_path,
            kind,
            reports_dir=runtime.reports_dir,
            supplier=supplier,
            profile=Path(profile) if profile else None,
            as_of=as_of,
            base_currency=runtime.base_currency,
            uploaded_by=uploaded_by,
        )
    finally:
        stop()
    tracker.finish()
    _artifacts(result)
    if result.counts.get("receipts"):
        receive_and_fulfil(result.file_id, result.filename)  # receipts against our POs
    if result.status == "accepted":
        after_accepted_file(result.kind, as_of)  # slips announced, customers' ETAs refreshed
    get_run_logger().info(result.message)
    return result


class _ProgressArtifact:
    """A Prefect progress artifact for long files, updated at most once a second."""

    def __init__(self, path: Path) -> None:
        try:
            self.enabled = path.stat().st_size >= PROGRESS_FROM_BYTES
        except OSError:
            self.enabled = False
        self.artifact_id: UUID | None = None
        self.last = 0.0

    def update(self, fraction: float, stage: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.artifact_id is None:
            created = create_progress_artifact(
                progress=fraction * 100, key="ingest-progress", description=stage
            )
            self.artifact_id = created if isinstance(created, UUID) else None
            self.last = now
        elif now - self.last >= _PROGRESS_EVERY_SECONDS:
            update_progress_artifact(self.artifact_id, fraction * 100, description=stage)
            self.last = now

    def finish(self) -> None:
        if self.artifact_id is not None:
            update_progress_artifact(self.artifact_id, 100.0, description="done")


def _artifacts(result: IngestResult) -> None:
    create_markdown_artifact(
        markdown=summary_markdown(result),
        key=f"ingest-{result.kind}-summary",
        description=f"{result.filename}: {result.status}",
    )
    if result.status == "rejected" and result.errors:
        create_table_artifact(
            table=error_table(result),
            key=f"ingest-{result.kind}-errors",
            description=f"bad cells of {result.filename} (first {len(result.errors)})",
        )


def summary_markdown(result: IngestResult) -> str:
    """What a purchasing lead reads in the run's artifacts."""
    lines = [
        f"# {result.filename}: {result.status}",
        "",
        f"- kind: **{result.kind}**",
        f"- supplier: {_md(result.supplier or '(named in the file)')}",
        f"- data rows: **{result.rows:,}**",
        f"- sha256: `{result.sha256}`",
        f"- {_md(result.message)}",
    ]
    if result.status == "rejected":
        lines += [
            f"- errors: **{result.error_count:,}** (the first {len(result.errors):,} are listed)",
            f"- error workbook: `{result.report}`",
        ]
    if result.counts:
        lines += ["", "| what | count |", "|---|---:|"]
        lines += [
            f"| {name.replace('_', ' ')} | {count:,} |" for name, count in result.counts.items()
        ]
    return "\n".join(lines) + "\n"


def error_table(result: IngestResult) -> list[dict[str, Any]]:
    """The errors as table rows of plain JSON types."""
    return [
        {
            "sheet": error.sheet,
            "row": error.row,
            "column": error.column,
            "value": error.value,
            "message": error.message,
        }
        for error in result.errors
    ]


def _md(text: str) -> str:
    # Supplier text must not turn into links, tables or HTML in the UI.
    return "".join("\\" + char if char in "\\`*_[]<>|#" else char for char in text)
