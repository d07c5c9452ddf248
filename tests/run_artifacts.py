"""What a flow run left in Prefect: its artifacts by key, and a table artifact's rows."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from prefect.client.schemas.objects import Artifact


def artifacts_by_key(flow_run_id: UUID | None) -> dict[str | None, Artifact]:
    """Every artifact the flow run created, by its key."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {artifact.key: artifact for artifact in artifacts}


def table_rows(artifact: Artifact) -> list[dict[str, object]]:
    """The rows of a table artifact (the API returns them as JSON text or as a list)."""
    data = artifact.data
    rows = json.loads(data) if isinstance(data, str) else data
    assert isinstance(rows, list)
    return rows
