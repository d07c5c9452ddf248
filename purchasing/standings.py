"""Supplier standings from the score's credible interval, with hysteresis and manual overrides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from purchasing.scoring_params import StandingThresholds

Standing = Literal["preferred", "approved", "watch", "blocked", "unrated"]
STANDINGS: Final[tuple[Standing, ...]] = ("preferred", "approved", "watch", "blocked", "unrated")
MANUAL_STANDINGS: Final = ("preferred", "approved", "watch", "blocked")


@dataclass(frozen=True)
class StandingVerdict:
    """A standing and why (short code + a sentence a buyer can read)."""

    standing: Standing
    reason_code: str
    reason: str


@dataclass(frozen=True)
class Override:
    """A buyer's manual standing, in force from ``set_on`` through ``until`` (None: open-ended)."""

    standing: Standing
    reason: str
    set_by: str
    set_on: date
    until: date | None = None

    def in_force(self, as_of: date) -> bool:
        """True for every decision dated on or after ``set_on`` through ``until``."""
        return self.set_on <= as_of and (self.until is None or as_of <= self.until)


@dataclass(frozen=True)
class StandingDecision:
    """The computed standing, the one in force (override or computed), and its source."""

    computed: StandingVerdict
    effective: StandingVerdict
    source: Literal["score", "manual"]


def computed_standing(
    previous: Standing,
    low: float | None,
    high: float | None,
    thresholds: StandingThresholds,
) -> StandingVerdict:
    """The standing the score's interval earns, given the standing it had before.

    Entering a standing needs the interval to clear the *enter* threshold; keeping it only
    needs the looser *leave* threshold, so a supplier near a boundary does not flap.
    """
    if low is None or high is None:
        return StandingVerdict("unrated", "no-lines", "no delivery line was due in the window")
    t = thresholds
    if previous == "blocked" and high < t.blocked_leave_high:
        return StandingVerdict(
            "blocked",
            "blocked-held",
            f"stays blocked: even the optimistic on-time estimate {high:.0%} is below "
            f"{t.blocked_leave_high:.0%}",
        )
    if high < t.blocked_enter_high:
        return StandingVerdict(
            "blocked",
            "blocked-low-score",
            f"blocked: even the optimistic on-time estimate {high:.0%} is below "
            f"{t.blocked_enter_high:.0%}",
        )
    if previous in ("watch", "blocked") and high < t.watch_leave_high:
        return StandingVerdict(
            "watch",
            "watch-held",
            f"stays on watch until the optimistic on-time estimate reaches "
            f"{t.watch_leave_high:.0%} (now {high:.0%})",
        )
    if high < t.watch_enter_high:
        return StandingVerdict(
            "watch",
            "watch-low-score",
            f"on watch: even the optimistic on-time estimate {high:.0%} is below "
            f"{t.watch_enter_high:.0%}",
        )
    if previous == "preferred" and low >= t.preferred_leave_low:
        return StandingVerdict(
            "preferred",
            "preferred-held",
            f"stays preferred: the cautious on-time estimate {low:.0%} is at least "
            f"{t.preferred_leave_low:.0%}",
        )
    if low >= t.preferred_enter_low:
        return StandingVerdict(
            "preferred",
            "preferred-high-score",
            f"preferred: the cautious on-time estimate {low:.0%} is at least "
            f"{t.preferred_enter_low:.0%}",
        )
    return StandingVerdict(
        "approved",
        "approved",
        f"approved: on-time estimate between {low:.0%} and {high:.0%}",
    )


def override_in_force(overrides: Iterable[Override], as_of: date) -> Override | None:
    """The latest-set override in force on ``as_of`` (later entries win ties on ``set_on``)."""
    chosen: Override | None = None
    for override in overrides:
        if override.in_force(as_of) and (chosen is None or override.set_on >= chosen.set_on):
            chosen = override
    return chosen


def decide_standing(
    previous_computed: Standing,
    low: float | None,
    high: float | None,
    overrides: Iterable[Override],
    as_of: date,
    thresholds: StandingThresholds,
) -> StandingDecision:
    """The standing in force on ``as_of``: an override in force, else the score's."""
    computed = computed_standing(previous_computed, low, high, thresholds)
    override = override_in_force(overrides, as_of)
    if override is None:
        return StandingDecision(computed, computed, "score")
    until = f" until {override.until.isoformat()}" if override.until else ""
    manual = StandingVerdict(
        override.standing,
        "manual-override",
        f"set to {override.standing} by {override.set_by} on {override.set_on.isoformat()}"
        f"{until}: {override.reason}",
    )
    return StandingDecision(computed, manual, "manual")
