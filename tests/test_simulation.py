"""The decision simulator: a fair, repeatable comparison run through procure's real rules."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from purchasing.errors import InputRejected
from purchasing.simulation.metrics import eta_kept, policy_metrics, purchase_cost, waits
from purchasing.simulation.policies import POLICIES, policies_named
from purchasing.simulation.runner import simulate
from purchasing.simulation.scenario import Scenario
from purchasing.simulation.store import LineOutcome, PolicyOutcome, Purchase, SimulatedStore
from purchasing.simulation.world import (
    CustomerLine,
    HistoryLine,
    LineFate,
    SupplierTruth,
    World,
    late_days,
    lateness_quantiles,
)
from purchasing.supplier_choice import OfferRow

TINY = Scenario(days=12, seed=3, suppliers=4, skus=6, demand_per_day=4.0, history_days=60)


def test_the_same_seed_gives_the_same_figures() -> None:
    first = simulate(TINY).as_dict()
    again = simulate(TINY).as_dict()
    assert first == again


def test_another_seed_gives_another_world() -> None:
    assert World(TINY).demand != World(replace(TINY, seed=4)).demand


def test_every_policy_serves_the_same_customer_lines() -> None:
    result = simulate(TINY)
    seen = {
        name: [(line.backorder_id, line.ordered_day) for line in outcome.lines]
        for name, outcome in result.outcomes.items()
    }
    expected = [(line.backorder_id, line.day) for line in World(TINY).demand]
    assert set(seen) == set(POLICIES)
    assert all(lines == expected for lines in seen.values())


def test_a_line_placed_with_the_same_supplier_on_the_same_day_meets_the_same_fate() -> None:
    world, other = World(TINY), World(TINY)
    sku, offers = next(iter(world.offers.items()))
    supplier = offers[0].supplier
    assert world.fate(supplier, sku, 5, 7) == other.fate(supplier, sku, 5, 7)


def test_the_drifting_supplier_behaves_worse_from_the_drift_day() -> None:
    world = World(TINY)
    assert world.drift is not None
    index = world.drift.supplier
    before = world.truth(index, TINY.drift_day - 1)
    after = world.truth(index, TINY.drift_day)
    assert after.on_time < before.on_time
    assert World(replace(TINY, drift=False)).drift is None


def test_switching_drift_off_changes_nothing_else_in_the_world() -> None:
    assert World(replace(TINY, drift=False)).offers == World(TINY).offers


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"days": 0}, "days"),
        ({"suppliers": 1}, "suppliers"),
        ({"reliability_spread": 1.5}, "reliability spread"),
        ({"demand_per_day": 0.0}, "demand per day"),
        ({"seed": -1}, "seed"),
    ],
)
def test_a_bad_scenario_is_rejected_naming_the_option(
    changes: dict[str, object], named: str
) -> None:
    with pytest.raises(InputRejected, match=named):
        Scenario(**changes)  # type: ignore[arg-type]


def test_an_unknown_policy_is_rejected_naming_the_choices() -> None:
    with pytest.raises(InputRejected, match="unknown policy nope; choose from procure"):
        policies_named(["nope"])


def test_late_lines_are_always_at_least_a_day_late() -> None:
    assert min(late_days(u / 100, 12.0) for u in range(100)) == 1


def test_the_oracle_knows_an_always_punctual_supplier_is_never_late() -> None:
    punctual = SupplierTruth("Punctual", 1.0, 5.0, 0.0, 0.0, 14.0, 1.0)
    assert lateness_quantiles(punctual, (0.5, 0.9)) == [-1.0, 0.0]


# Metrics on hand-made outcomes -------------------------------------------------------------

LINES = (
    LineOutcome(1, ordered_day=0, fulfilled_day=3, first_eta_day=4),  # waited 3, date kept
    LineOutcome(2, ordered_day=1, fulfilled_day=8, first_eta_day=5),  # waited 7, date broken
    LineOutcome(3, ordered_day=2, fulfilled_day=None, first_eta_day=20),  # waiting, not judged
)


def test_a_line_still_waiting_counts_the_days_until_the_run_ended() -> None:
    assert waits(LINES, last_day=9) == [3, 7, 8]


def test_an_eta_is_kept_when_the_line_ships_on_or_before_it() -> None:
    assert eta_kept(LINES, last_day=9) == (1, 2)


def test_a_line_still_waiting_past_its_eta_broke_it() -> None:
    late = (LineOutcome(4, ordered_day=0, fulfilled_day=None, first_eta_day=5),)
    assert eta_kept(late, last_day=9) == (0, 1)


def test_a_rerouted_away_line_is_not_paid_for() -> None:
    purchases = (
        Purchase("A", "X", 2, Decimal("10.00"), rerouted_away=False),
        Purchase("B", "X", 5, Decimal("100.00"), rerouted_away=True),
        Purchase("C", "X", 3, Decimal("1.50"), rerouted_away=False),
    )
    assert purchase_cost(purchases) == Decimal("24.50")


def test_policy_metrics_sum_up_a_run() -> None:
    outcome = PolicyOutcome("procure", LINES, (), reroutes=2, escalations=0, last_day=9)
    metrics = policy_metrics(outcome)
    assert metrics.mean_wait_days == pytest.approx(6.0)
    assert metrics.p90_wait_days == pytest.approx(7.8)  # linear between 7 and 8
    assert metrics.eta_kept_share == pytest.approx(0.5)
    assert (metrics.fulfilled, metrics.still_waiting, metrics.reroutes) == (2, 1, 2)


# A tiny world a buyer can check by hand ----------------------------------------------------


class HandWorld(World):
    """One SKU, a cheap slow supplier and a 4% dearer fast one; both deliver exactly on time."""

    def __init__(self) -> None:
        super().__init__(Scenario(days=2, seed=1, suppliers=2, skus=1, history_days=0))
        sku = self.skus[0]
        self.offers = {
            sku: (
                OfferRow(1, "Slow Cheap", sku, Decimal("10.00"), lead_time_days=10),
                OfferRow(2, "Fast Dear", sku, Decimal("10.40"), lead_time_days=4),
            )
        }
        self.supplier_index = {"Slow Cheap": 0, "Fast Dear": 1}
        self.default_supplier = {sku: "Slow Cheap"}
        self.first_vendor = {sku: "Slow Cheap"}
        self.__dict__["demand"] = (
            CustomerLine(1, "SO-1", "SO-1-1", sku, 1, day=0),
            CustomerLine(2, "SO-2", "SO-2-1", sku, 2, day=1),
        )
        self.__dict__["history"] = ()

    def fate(self, supplier: str, sku: str, order_day: int, lead_days: int) -> LineFate:
        return LineFate(order_day + lead_days, order_day + lead_days, None)


@pytest.mark.parametrize(
    ("policy", "waits_days", "cost"),
    [
        # Cheapest buys from Slow Cheap: each customer waits its 10-day lead time.
        ("cheapest", [10, 10], Decimal("30.00")),
        # procure takes the earliest arrival within 5% of the cheapest: Fast Dear, 4 days.
        ("procure", [4, 4], Decimal("31.20")),
        ("default-supplier", [10, 10], Decimal("30.00")),
    ],
)
def test_a_hand_checkable_world_gives_the_expected_waits_and_cost(
    policy: str, waits_days: list[int], cost: Decimal
) -> None:
    outcome = SimulatedStore(HandWorld(), POLICIES[policy]).run()
    metrics = policy_metrics(outcome)
    assert waits(outcome.lines, outcome.last_day) == waits_days
    assert metrics.purchase_cost == cost
    # Dates announced as the quote + 2 handling days hold when suppliers are on time.
    assert metrics.eta_kept_share == 1.0


def test_history_lines_feed_the_learned_reliability() -> None:
    world = HandWorld()
    world.__dict__["history"] = tuple(
        HistoryLine("Fast Dear", world.skus[0], 1, day - 30, day - 26, day - 10)
        for day in range(-20, 0)
    )
    outcome = SimulatedStore(world, POLICIES["procure"]).run()
    # Fast Dear's history is 16 days late every time: Slow Cheap now arrives first.
    assert waits(outcome.lines, outcome.last_day) == [10, 10]


@pytest.mark.parametrize("seed", [1, 2])
def test_no_back_order_line_is_ever_covered_by_two_open_po_lines(seed: int) -> None:
    world = World(replace(TINY, seed=seed))
    store = SimulatedStore(world, POLICIES["procure"])
    for day in range(TINY.days + 20):
        store.run_day(day)
        covering: dict[int, int] = {}
        for line in store.open_lines.values():
            for backorder_id in line.covers:
                assert backorder_id not in covering, f"day {day}: line {backorder_id} twice"
                covering[backorder_id] = line.po_line_id
        assert covering == store.covered_by
        assert set(covering) <= set(store.waiting_by_id)


def test_every_customer_line_ships_no_earlier_than_it_was_ordered() -> None:
    for outcome in simulate(TINY).outcomes.values():
        assert all(
            line.fulfilled_day is None or line.fulfilled_day >= line.ordered_day
            for line in outcome.lines
        )
