"""The ``score-suppliers`` flow: score, record standings, leave a scorecard and emit events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State
from prefect.events import emit_event

from flows.run_names import as_of_name
from flows.scheduling import skipped, started_too_late
from flows.wiring import flow_runtime
from models.db import session_scope
from services import scoring
from services.scoring import ScoreRun, StandingTransition

STANDING_CHANGED = "procure.supplier.standing-changed"
MOVERS_SHOWN = 10
UNRATED_SHOWN = 30

# A nightly score that starts after the working day began is better left to the next night.
MAX_DELAY = timedelta(hours=3)


@task(name="score-and-record")
def score_and_record(as_of: date, since: date | None) -> ScoreRun:
    """Load the delivery history, score it, and record snapshots and transitions."""
    with session_scope(flow_runtime().engine()) as session:
        return scoring.score_suppliers(session, as_of=as_of, since=since)


def emit_standing_changes(transitions: list[StandingTransition]) -> int:
    """Emit one standing-changed event per recorded transition (after the DB write)."""
    for transition in transitions:
        emit_event(
            event=STANDING_CHANGED,
            resource={
                "prefect.resource.id": f"procure.supplier.{transition.supplier}",
                "prefect.resource.name": transition.supplier,
            },
            payload={
                "supplier": transition.supplier,
                "as_of": transition.as_of.isoformat(),
                "from": transition.from_standing,
                "to": transition.to_standing,
                "source": transition.source,
                "reason_code": transition.reason_code,
                "reason": transition.reason,
            },
        )
    return len(transitions)


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def scorecard_rows(run: ScoreRun) -> list[dict[str, Any]]:
    """The scorecard as table-artifact rows (JSON types only)."""
    return [
        {
            "supplier": card.supplier,
            "standing": card.standing,
            "lines": card.lines,
            "on_time_rate": _rate(card.on_time_rate),
            "score": _rate(card.score),
            "score_low": _rate(card.score_low),
            "score_high": _rate(card.score_high),
            "in_full_rate": _rate(card.in_full_rate),
            "otif_rate": _rate(card.otif_rate),
            "lateness_p50_days": card.lateness_p50_days,
            "lateness_p90_days": card.lateness_p90_days,
            "lead_time_p50_days": card.lead_time_p50_days,
            "quoted_lead_time_days": card.quoted_lead_time_days,
            "repromises": card.repromises,
            "why": card.standing_reason,
        }
        for card in run.scorecards
    ]


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def scorecard_summary(run: ScoreRun) -> str:
    """A markdown summary: biggest movers, new watch/blocked suppliers, unrated suppliers."""
    since = run.since.isoformat() if run.since else "the first recorded line"
    lines = [
        f"# Supplier scorecard as of {run.as_of.isoformat()}",
        "",
        f"Lines due from {since} to {run.as_of.isoformat()}; formula `{run.formula_version}`; "
        f"population on-time rate {_percent(run.population_rate)}; "
        f"{len(run.scorecards)} suppliers.",
        "",
        "## Biggest movers",
    ]
    movers = sorted(
        (
            card
            for card in run.scorecards
            if card.score is not None and card.previous_score is not None
        ),
        key=lambda card: abs((card.score or 0.0) - (card.previous_score or 0.0)),
        reverse=True,
    )[:MOVERS_SHOWN]
    movers = [card for card in movers if card.score != card.previous_score]
    if movers:
        lines += ["", "| supplier | before | now | standing |", "|---|---|---|---|"]
        lines += [
            f"| {_cell(card.supplier)} | {_percent(card.previous_score)} | "
            f"{_percent(card.score)} | {card.standing} |"
            for card in movers
        ]
    else:
        lines += ["", "No earlier snapshot to compare with, or no score moved."]
    flagged = [t for t in run.transitions if t.to_standing in ("watch", "blocked")]
    lines += ["", "## New on watch or blocked"]
    if flagged:
        lines += [""] + [
            f"- **{_cell(t.supplier)}**: {t.from_standing} → {t.to_standing} — {_cell(t.reason)}"
            for t in flagged
        ]
    else:
        lines += ["", "None."]
    unrated = [card.supplier for card in run.scorecards if card.standing == "unrated"]
    lines += ["", f"## Unrated ({len(unrated)})", ""]
    if unrated:
        shown = ", ".join(_cell(name) for name in unrated[:UNRATED_SHOWN])
        more = f" and {len(unrated) - UNRATED_SHOWN} more" if len(unrated) > UNRATED_SHOWN else ""
        lines.append(f"No line due in the window: {shown}{more}.")
    else:
        lines.append("Every supplier has at least one line due in the window.")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    # Supplier text goes into a markdown table: keep it from breaking the table.
    return text.replace("|", "\\|").replace("\n", " ")


@flow(name="announce-standing-change")
def announce_standing_change(transition: StandingTransition) -> int:
    """Emit the event for a standing a buyer set by hand (already recorded in the database)."""
    return emit_standing_changes([transition])


@flow(name="score-suppliers", flow_run_name=as_of_name("scores"))
def score_suppliers(
    as_of: date | None = None, since: date | None = None, since_days: int | None = None
) -> ScoreRun | State[Any]:
    """Score every supplier as of a date (default today) and leave the scorecard for leads.

    ``since`` (or ``since_days`` before ``as_of``, for schedules) limits the lines counted.
    """
    if started_too_late(MAX_DELAY):
        return skipped()
    as_of = as_of or datetime.now(UTC).date()
    if since is None and since_days:
        since = as_of - timedelta(days=since_days)
    run = score_and_record(as_of, since)
    # Events are not durable: they go out only once the transitions are committed.
    emitted = emit_standing_changes(run.transitions)
    create_table_artifact(
        key="supplier-scorecard",
        table=scorecard_rows(run),
        description=f"Supplier scorecard as of {as_of.isoformat()}",
    )
    create_markdown_artifact(
        key="supplier-scorecard-summary",
        markdown=scorecard_summary(run),
        description=f"Scorecard summary as of {as_of.isoformat()}",
    )
    get_run_logger().info(
        "scored %d suppliers as of %s; %d standing change(s) emitted",
        len(run.scorecards),
        as_of.isoformat(),
        emitted,
    )
    return run
