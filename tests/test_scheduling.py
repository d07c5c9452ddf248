"""A scheduled run that starts far too late skips itself; on-time and manual runs go ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prefect import flow
from prefect.context import FlowRunContext

import flows.scheduling
from flows.scheduling import describe_lateness, lateness, skipped, started_too_late

NOON = datetime(2025, 3, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("started", "limit", "late"),
    [
        (NOON, timedelta(minutes=15), None),
        (NOON + timedelta(minutes=15), timedelta(minutes=15), None),
        (NOON + timedelta(minutes=16), timedelta(minutes=15), timedelta(minutes=16)),
        (NOON + timedelta(hours=9), timedelta(hours=2), timedelta(hours=9)),
        (NOON - timedelta(minutes=1), timedelta(0), None),
    ],
)
def test_a_run_is_late_only_beyond_the_allowed_delay(
    started: datetime, limit: timedelta, late: timedelta | None
) -> None:
    assert lateness(NOON, started, limit) == late


def test_the_skip_line_says_when_it_was_due_how_late_and_what_happens_next() -> None:
    line = describe_lateness(NOON, timedelta(hours=4, minutes=32), timedelta(minutes=30))

    assert line == (
        "skipped: scheduled for 2025-03-30 12:00 UTC but started 4h 32m late (more than "
        "the 30m allowed, e.g. after an outage); the next scheduled run does this work"
    )


def test_a_skipped_run_completes_under_a_name_that_stands_out() -> None:
    state = skipped()

    assert (state.is_completed(), state.name) == (True, "Skipped")


def _as_if(monkeypatch: pytest.MonkeyPatch, *, auto_scheduled: bool, expected: datetime) -> None:
    """Make the running flow look as if a schedule (or a person) created it for ``expected``."""
    real = FlowRunContext.get()
    assert real is not None
    assert real.flow_run is not None
    run = real.flow_run.model_copy(
        update={"auto_scheduled": auto_scheduled, "expected_start_time": expected}
    )
    monkeypatch.setattr(flows.scheduling, "current_flow_run", lambda: run)


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize(
    ("auto_scheduled", "minutes_late", "skips"),
    [(True, 240, True), (True, 2, False), (False, 240, False)],
)
def test_only_a_scheduled_run_that_starts_too_late_skips_itself(
    monkeypatch: pytest.MonkeyPatch, auto_scheduled: bool, minutes_late: int, skips: bool
) -> None:
    @flow
    def nightly() -> bool:
        expected = datetime.now(UTC) - timedelta(minutes=minutes_late)
        _as_if(monkeypatch, auto_scheduled=auto_scheduled, expected=expected)
        return started_too_late(timedelta(minutes=30))

    assert nightly() is skips


def test_outside_a_flow_run_nothing_is_late() -> None:
    assert started_too_late(timedelta(0)) is False
