"""The knobs of a simulated world, checked before anything is simulated."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from purchasing.errors import InputRejected

BEST_ON_TIME = 0.95  # the most reliable supplier's hidden on-time probability


@dataclass(frozen=True)
class Scenario:
    """One world to simulate: how long, how many suppliers and SKUs, how reliable, how busy."""

    days: int = 365
    seed: int = 7
    suppliers: int = 6
    skus: int = 40
    # The best supplier is on time with probability 0.95, the worst with 0.95 - spread.
    reliability_spread: float = 0.35
    # A good supplier goes bad half-way through the run.
    drift: bool = True
    # Customer back-order lines per day, across all SKUs.
    demand_per_day: float = 12.0
    # Days of delivery history the store already has when the run starts.
    history_days: int = 180
    # After the last day of demand the world runs on, without new orders, until every
    # waiting line has shipped or this many days have passed (so waits are not cut short).
    drain_days: int = 120
    start: date = date(2025, 1, 6)

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.days <= 3650:
            problems.append(f"days must be between 1 and 3650, got {self.days}")
        if not 2 <= self.suppliers <= 40:
            problems.append(f"suppliers must be between 2 and 40, got {self.suppliers}")
        if not 1 <= self.skus <= 1000:
            problems.append(f"skus must be between 1 and 1000, got {self.skus}")
        if not 0.0 <= self.reliability_spread <= 0.9:
            problems.append(
                f"reliability spread must be between 0 and 0.9, got {self.reliability_spread}"
            )
        if not 0.0 < self.demand_per_day <= 500.0:
            problems.append(
                f"demand per day must be above 0 and at most 500, got {self.demand_per_day}"
            )
        if not 0 <= self.history_days <= 1000:
            problems.append(f"history days must be between 0 and 1000, got {self.history_days}")
        if not 0 <= self.drain_days <= 1000:
            problems.append(f"drain days must be between 0 and 1000, got {self.drain_days}")
        if self.seed < 0:
            problems.append(f"seed must not be negative, got {self.seed}")
        if problems:
            raise InputRejected("simulation scenario rejected: " + "; ".join(problems))

    @property
    def horizon(self) -> int:
        """Simulated days in all: the demand days plus the drain."""
        return self.days + self.drain_days

    @property
    def drift_day(self) -> int:
        """The day the drifting supplier goes bad (half-way through the demand days)."""
        return self.days // 2

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["start"] = self.start.isoformat()
        return document
