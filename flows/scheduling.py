"""A scheduled run that starts far too late (after an outage) skips itself, not stampedes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import get_run_logger
from prefect.client.schemas.objects import FlowRun, State
from prefect.context import FlowRunContext
from prefect.states import Completed

SKIPPED = "Skipped"


def lateness(scheduled: datetime, started: datetime, max_delay: timedelta) -> timedelta | None:
    """How late a run started, when that is more than ``max_delay``; ``None`` when in time."""
    late = started - scheduled
    return late if late > max_delay else None


def describe_lateness(scheduled: datetime, late: timedelta, max_delay: timedelta) -> str:
    """The log line a purchasing lead reads on a skipped run."""
    return (
        f"skipped: scheduled for {scheduled.astimezone(UTC):%Y-%m-%d %H:%M} UTC but started "
        f"{_span(late)} late (more than the {_span(max_delay)} allowed, e.g. after an outage); "
        "the next scheduled run does this work"
    )


def started_too_late(max_delay: timedelta, *, now: datetime | None = None) -> bool:
    """True (and logged) when this run was created by a schedule and started too late."""
    run = current_flow_run()
    if run is None:
        return False
    # Only runs a schedule created: a run a person asked for is never "late".
    if not run.auto_scheduled or run.expected_start_time is None:
        return False
    scheduled = run.expected_start_time
    late = lateness(scheduled, now or datetime.now(UTC), max_delay)
    if late is None:
        return False
    get_run_logger().warning(describe_lateness(scheduled, late, max_delay))
    return True


def current_flow_run() -> FlowRun | None:
    """The flow run this code runs in, if any."""
    context = FlowRunContext.get()
    return context.flow_run if context is not None else None


def skipped(reason: str = "started too late") -> State[Any]:
    """The final state of a run that skipped itself: completed, named so it stands out."""
    return Completed(name=SKIPPED, message=reason)


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if minutes or not parts:
        parts.append(f"{minutes}m")
    return " ".join(parts)
