"""The scheduled scoring run: score every supplier as of today, on the configured database.

``score-suppliers`` takes the database URL and the date as parameters (what the CLI passes);
a schedule knows neither, and a URL with a password must not be stored as a run parameter,
so this flow takes both from the running installation and reuses the scoring steps.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State

from flows.scheduling import skipped, started_too_late
from flows.score import emit_standing_changes, score_and_record, scorecard_rows, scorecard_summary
from flows.wiring import flow_runtime

# A nightly score that starts after the working day began is better left to the next night.
MAX_DELAY = timedelta(hours=3)


@flow(name="score-suppliers-today", flow_run_name="scores as of {as_of}")
def score_suppliers_today(
    as_of: date | None = None, since_days: int | None = None
) -> dict[str, Any] | State[Any]:
    """Score every supplier as of ``as_of`` (default today, UTC) over the last ``since_days``."""
    if started_too_late(MAX_DELAY):
        return skipped()
    day = as_of or datetime.now(UTC).date()
    since = day - timedelta(days=since_days) if since_days else None
    url = flow_runtime().engine().url.render_as_string(hide_password=False)
    run = score_and_record(url, day, since)
    emitted = emit_standing_changes(run.transitions)
    create_table_artifact(
        key="supplier-scorecard",
        table=scorecard_rows(run),
        description=f"Supplier scorecard as of {day.isoformat()}",
    )
    create_markdown_artifact(
        key="supplier-scorecard-summary",
        markdown=scorecard_summary(run),
        description=f"Scorecard summary as of {day.isoformat()}",
    )
    get_run_logger().info(
        "scored %d suppliers as of %s; %d standing change(s) emitted",
        len(run.scorecards),
        day.isoformat(),
        emitted,
    )
    return {"as_of": day.isoformat(), "suppliers": len(run.scorecards), "changes": emitted}
