"""The knobs of the scoring formula, with the defaults PRODUCT.md prescribes."""

from __future__ import annotations

from dataclasses import dataclass, field

from purchasing.errors import InputRejected
from purchasing.reliability import MIN_SKU_LINES

# Bump whenever a change alters any number a snapshot stores: snapshots of another
# formula version are history and are never rewritten.
FORMULA_VERSION = "otif-1"


@dataclass(frozen=True)
class StandingThresholds:
    """Enter/leave thresholds on the score's credible interval (hysteresis).

    Moving *up* needs the interval's lower bound to clear the enter threshold; falling
    *down* needs the upper bound below it. Leaving uses a looser threshold than entering,
    so a supplier hovering around one value does not flap between standings.
    """

    preferred_enter_low: float = 0.90
    preferred_leave_low: float = 0.85
    watch_enter_high: float = 0.80
    watch_leave_high: float = 0.85
    blocked_enter_high: float = 0.50
    blocked_leave_high: float = 0.60

    def __post_init__(self) -> None:
        pairs = (
            ("preferred", self.preferred_leave_low, self.preferred_enter_low),
            ("watch", self.watch_enter_high, self.watch_leave_high),
            ("blocked", self.blocked_enter_high, self.blocked_leave_high),
        )
        for name, lower, upper in pairs:
            if not 0.0 <= lower <= upper <= 1.0:
                raise InputRejected(
                    f"standing thresholds for {name} must satisfy 0 ≤ {lower} ≤ {upper} ≤ 1"
                )


@dataclass(frozen=True)
class ScoringParams:
    """How delivery lines are judged, weighted and shrunk into a score."""

    # Days a delivery may arrive before the original promise and still count as on
    # time; ``None`` means early always counts as on time (the default).
    early_limit_days: int | None = None
    # Share of the ordered quantity that may be missing and still count as in full.
    qty_tolerance: float = 0.0
    # Half-life of the recency weight: a line due this many days before the as-of date
    # weighs half as much as one due on it.
    half_life_days: float = 180.0
    # Strength of the prior, in lines: how many lines of evidence it takes to move a
    # supplier halfway from the population rate to its own rate.
    prior_lines: float = 10.0
    # Width of the credible interval (0.90 → the 5th to the 95th percentile).
    credible_level: float = 0.90
    # Supplier×SKU figures are used only with at least this many lines behind them.
    min_sku_lines: int = MIN_SKU_LINES
    thresholds: StandingThresholds = field(default_factory=StandingThresholds)
    formula_version: str = FORMULA_VERSION

    def __post_init__(self) -> None:
        if self.early_limit_days is not None and self.early_limit_days < 0:
            raise InputRejected("early_limit_days must be 0 or more (or None for no limit)")
        if not 0.0 <= self.qty_tolerance < 1.0:
            raise InputRejected("qty_tolerance must be at least 0 and below 1")
        if self.half_life_days <= 0:
            raise InputRejected("half_life_days must be above 0")
        if self.prior_lines <= 0:
            raise InputRejected("prior_lines must be above 0")
        if not 0.0 < self.credible_level < 1.0:
            raise InputRejected("credible_level must be between 0 and 1")
        if self.min_sku_lines < 1:
            raise InputRejected("min_sku_lines must be at least 1")
