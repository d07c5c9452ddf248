"""Standings follow the score's interval with hysteresis; manual overrides win while in force."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from purchasing.scoring_params import StandingThresholds
from purchasing.standings import (
    Override,
    Standing,
    computed_standing,
    decide_standing,
    override_in_force,
)

T = StandingThresholds()


@pytest.mark.parametrize(
    ("low", "high", "standing"),
    [
        (0.92, 0.98, "preferred"),
        (0.70, 0.95, "approved"),
        (0.60, 0.79, "watch"),
        (0.20, 0.45, "blocked"),
        (None, None, "unrated"),
    ],
)
def test_a_fresh_supplier_gets_the_standing_its_interval_earns(
    low: float | None, high: float | None, standing: str
) -> None:
    assert computed_standing("unrated", low, high, T).standing == standing


def test_a_wide_interval_from_few_lines_is_neither_preferred_nor_blocked() -> None:
    assert computed_standing("unrated", 0.35, 0.99, T).standing == "approved"


@pytest.mark.parametrize(
    ("previous", "low", "high", "standing"),
    [
        ("preferred", 0.87, 0.97, "preferred"),  # above the leave threshold: kept
        ("approved", 0.87, 0.97, "approved"),  # below the enter threshold: not earned
        ("preferred", 0.84, 0.97, "approved"),
        ("watch", 0.70, 0.83, "watch"),  # below the leave threshold: kept
        ("approved", 0.70, 0.83, "approved"),  # above the enter threshold: not entered
        ("watch", 0.75, 0.86, "approved"),
        ("blocked", 0.40, 0.55, "blocked"),
        ("watch", 0.40, 0.55, "watch"),
        ("blocked", 0.45, 0.65, "watch"),
    ],
)
def test_leaving_a_standing_takes_a_looser_threshold_than_entering_it(
    previous: Standing, low: float, high: float, standing: str
) -> None:
    assert computed_standing(previous, low, high, T).standing == standing


def test_standings_do_not_flap_under_a_replayed_history_hovering_at_a_threshold() -> None:
    # A supplier whose optimistic estimate wobbles around the watch threshold for a year.
    wobble = [0.79, 0.81, 0.795, 0.82, 0.80, 0.83, 0.79, 0.84, 0.81, 0.78] * 5
    standing: Standing = "approved"
    history = []
    for high in wobble:
        standing = computed_standing(standing, high - 0.15, high, T).standing
        history.append(standing)
    transitions = sum(1 for a, b in itertools.pairwise(history) if a != b)
    assert history[0] == "watch"
    assert transitions == 0


def test_without_hysteresis_the_same_history_would_flap() -> None:
    wobble = [0.79, 0.81] * 10
    fresh = [computed_standing("unrated", high - 0.15, high, T).standing for high in wobble]
    assert len(set(fresh)) == 2


def test_every_verdict_carries_a_reason_code_and_a_sentence() -> None:
    verdict = computed_standing("approved", 0.2, 0.45, T)
    assert verdict.reason_code == "blocked-low-score"
    assert "45%" in verdict.reason


OVERRIDE = Override("blocked", "quality audit failed", "maria", date(2024, 3, 1), date(2024, 3, 31))


@pytest.mark.parametrize(
    ("as_of", "in_force"),
    [
        (date(2024, 2, 29), False),
        (date(2024, 3, 1), True),
        (date(2024, 3, 31), True),
        (date(2024, 4, 1), False),
    ],
)
def test_an_override_is_in_force_from_the_day_it_was_set_through_its_until_date(
    as_of: date, in_force: bool
) -> None:
    assert OVERRIDE.in_force(as_of) is in_force


def test_an_override_without_until_never_expires() -> None:
    assert Override("watch", "r", "m", date(2024, 3, 1)).in_force(date(2030, 1, 1))


def test_an_override_wins_over_the_score_while_in_force_and_expires_after() -> None:
    during = decide_standing("preferred", 0.95, 0.99, [OVERRIDE], date(2024, 3, 15), T)
    after = decide_standing("preferred", 0.95, 0.99, [OVERRIDE], date(2024, 4, 1), T)
    assert (during.effective.standing, during.source) == ("blocked", "manual")
    assert during.computed.standing == "preferred"
    assert "quality audit failed" in during.effective.reason
    assert (after.effective.standing, after.source) == ("preferred", "score")


def test_the_latest_override_set_wins() -> None:
    later = Override("watch", "improving", "li", date(2024, 3, 10))
    assert override_in_force([OVERRIDE, later], date(2024, 3, 15)) == later


def test_thresholds_that_would_invert_hysteresis_are_refused() -> None:
    from purchasing.errors import InputRejected

    with pytest.raises(InputRejected, match="preferred"):
        StandingThresholds(preferred_enter_low=0.8, preferred_leave_low=0.9)
