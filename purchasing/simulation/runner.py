"""Run every policy on the same world and compare them with the target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from purchasing.simulation.metrics import PolicyMetrics, policy_metrics, waits
from purchasing.simulation.policies import STATIC_POLICIES, Policy, policies_named
from purchasing.simulation.scenario import Scenario
from purchasing.simulation.store import PolicyOutcome, SimulatedStore
from purchasing.simulation.world import World

# The target the product exists for (see docs/simulation.md).
TARGET_WAIT_REDUCTION = 0.30
TARGET_COST_INCREASE = 0.03
TARGET_ETA_KEPT = 0.90


@dataclass(frozen=True)
class SimulationResult:
    """Each policy's figures and waits on one world."""

    scenario: Scenario
    world: World
    outcomes: dict[str, PolicyOutcome]
    metrics: dict[str, PolicyMetrics]

    def waits(self) -> dict[str, list[int]]:
        """Every line's wait in days, per policy (for charts)."""
        return {
            name: waits(outcome.lines, outcome.last_day) for name, outcome in self.outcomes.items()
        }

    def comparison(self) -> dict[str, Any] | None:
        """procure against the best static policy (lowest mean wait), when both were run."""
        procure = self.metrics.get("procure")
        static = [self.metrics[name] for name in STATIC_POLICIES if name in self.metrics]
        if procure is None or not static:
            return None
        best = min(static, key=lambda m: (m.mean_wait_days, m.purchase_cost))
        reduction = 1 - procure.mean_wait_days / best.mean_wait_days if best.mean_wait_days else 0.0
        cost_increase = (
            float(procure.purchase_cost / best.purchase_cost) - 1 if best.purchase_cost else 0.0
        )
        kept = procure.eta_kept_share
        document: dict[str, Any] = {
            "best_static_policy": best.policy,
            "wait_reduction": round(reduction, 4),
            "cost_increase": round(cost_increase, 4),
            "eta_kept_share": kept,
            "target": {
                "wait_reduction": TARGET_WAIT_REDUCTION,
                "cost_increase": TARGET_COST_INCREASE,
                "eta_kept_share": TARGET_ETA_KEPT,
            },
            "target_met": bool(
                reduction >= TARGET_WAIT_REDUCTION
                and cost_increase <= TARGET_COST_INCREASE
                and kept is not None
                and kept >= TARGET_ETA_KEPT
            ),
        }
        oracle = self.metrics.get("oracle")
        if oracle is not None:
            document["oracle_mean_wait_days"] = round(oracle.mean_wait_days, 3)
        return document

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of ``procure simulate --json``."""
        drift = self.world.drift
        return {
            "scenario": self.scenario.as_dict(),
            "policies": {name: m.as_dict() for name, m in self.metrics.items()},
            "comparison": self.comparison(),
            "suppliers": [
                {
                    "supplier": truth.name,
                    "on_time": round(truth.on_time, 3),
                    "late_median_days": round(truth.late_median_days, 1),
                    "price_level": round(truth.price_level, 3),
                    "drifts_on_day": (
                        drift.from_day if drift is not None and drift.supplier == index else None
                    ),
                }
                for index, truth in enumerate(self.world.suppliers)
            ],
        }


def simulate(scenario: Scenario, policies: Sequence[Policy] | None = None) -> SimulationResult:
    """Run each policy (all by default) on the world of ``scenario``."""
    world = World(scenario)
    chosen = list(policies) if policies else policies_named(None)
    outcomes = {policy.name: SimulatedStore(world, policy).run() for policy in chosen}
    metrics = {name: policy_metrics(outcome) for name, outcome in outcomes.items()}
    return SimulationResult(scenario, world, outcomes, metrics)
