"""How the upload page hands a stored file to the ingest: as a Prefect flow run, by default."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from purchasing.errors import InputRejected


@dataclass(frozen=True)
class IngestRequest:
    """One stored upload to ingest, with what the buyer chose in the form."""

    path: Path
    kind: str
    supplier: str | None
    profile: Path | None
    uploaded_by: str
    display_name: str


@dataclass(frozen=True)
class IngestOutcome:
    """The ingest's JSON document and the flow run that produced it (None outside Prefect)."""

    document: dict[str, Any]
    flow_run_id: str | None


Ingestor = Callable[[IngestRequest], IngestOutcome]


def as_run_name_template(text: str) -> str:
    """The text as a Prefect run-name template that renders to itself."""
    # Prefect formats run names with the flow's parameters: braces must stay literal.
    return text.replace("{", "{{").replace("}", "}}")


def run_name(request: IngestRequest) -> str:
    """'deliveries: acme.xlsx (Acme Ltd) by alice': what the run list in the UI shows."""
    supplier = f" ({request.supplier})" if request.supplier else ""
    return f"{request.kind}: {request.display_name}{supplier} by {request.uploaded_by}"


def ingest_through_flow(request: IngestRequest) -> IngestOutcome:
    """Run the ``ingest-supplier-file`` flow on the stored file and return its result."""
    from flows.ingest import ingest_supplier_file

    flow = ingest_supplier_file.with_options(flow_run_name=as_run_name_template(run_name(request)))
    state = flow(
        path=str(request.path),
        kind=request.kind,
        supplier=request.supplier,
        profile=str(request.profile) if request.profile else None,
        uploaded_by=request.uploaded_by,
        return_state=True,
    )
    flow_run_id = state.state_details.flow_run_id
    run_id = str(flow_run_id) if flow_run_id else None
    try:
        result = state.result()
    except InputRejected as error:
        return IngestOutcome(rejection_document(str(error)), run_id)
    return IngestOutcome(result.as_dict(), run_id)


def rejection_document(message: str) -> dict[str, Any]:
    """The ingest document for a file refused before its cells could be checked."""
    return {
        "status": "rejected",
        "rows": 0,
        "message": message,
        "errors": [{"sheet": "", "row": None, "column": None, "value": None, "message": message}],
        "error_count": 1,
        "report": None,
    }
