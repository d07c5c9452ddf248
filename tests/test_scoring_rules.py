"""The canonical delivery-line outcome, the rates, the shrinkage and the learned lead times."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purchasing.credible_interval import beta_interval, regularised_incomplete_beta
from purchasing.delivery_frame import DELIVERY_COLUMNS, conform_deliveries
from purchasing.delivery_outcome import outcomes_frame
from purchasing.errors import InputRejected
from purchasing.percentiles import grouped_percentiles
from purchasing.reliability import MIN_SKU_LINES, build_reliability
from purchasing.scoring import score_deliveries
from purchasing.scoring_params import ScoringParams
from tests.datasets import SCMS, require

AS_OF = date(2024, 6, 30)
PROMISE = date(2024, 6, 1)


def line(**fields: Any) -> dict[str, Any]:
    """One delivery line, received in full on its promise unless told otherwise."""
    values: dict[str, Any] = {
        "supplier": "Acme",
        "sku": "SKU-1",
        "ordered_qty": 10,
        "order_date": PROMISE - timedelta(days=14),
        "original_promised_date": PROMISE,
        "promised_date": None,
        "received_date": PROMISE,
        "received_qty": None,
        "status": "received",
        "late_tolerance_days": 0,
        "repromise_count": 0,
    }
    values.update(fields)
    if values["promised_date"] is None:
        values["promised_date"] = values["original_promised_date"]
    return values


def frame(*lines: dict[str, Any]) -> pd.DataFrame:
    data = pd.DataFrame(list(lines))
    for name in ("order_date", "original_promised_date", "promised_date", "received_date"):
        data[name] = pd.to_datetime(data[name])
    data["received_qty"] = data["received_qty"].astype(float)
    return data


def outcome(params: ScoringParams | None = None, **fields: Any) -> dict[str, Any]:
    judged = outcomes_frame(
        conform_deliveries(frame(line(**fields))), AS_OF, params or ScoringParams()
    )
    return dict(judged.iloc[0])


def figures(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Supplier → its figures, plainly typed for comparisons."""
    return {str(record["supplier"]): record for record in table.to_dict("records")}  # type: ignore[misc]


def days(n: int) -> date:
    return PROMISE + timedelta(days=n)


# -- on time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "tolerance", "on_time"),
    [
        (days(0), 0, True),
        (days(1), 0, False),
        (days(-5), 0, True),
        (days(2), 2, True),
        (days(3), 2, False),
    ],
)
def test_on_time_means_received_by_the_original_promise_plus_the_late_tolerance(
    received: date, tolerance: int, on_time: bool
) -> None:
    assert outcome(received_date=received, late_tolerance_days=tolerance)["on_time"] is np.bool_(
        on_time
    )


@pytest.mark.parametrize(("received", "on_time"), [(days(-3), True), (days(-4), False)])
def test_an_early_limit_makes_too_early_a_miss(received: date, on_time: bool) -> None:
    params = ScoringParams(early_limit_days=3)
    assert bool(outcome(params, received_date=received)["on_time"]) is on_time


def test_without_an_early_limit_early_counts_as_on_time() -> None:
    assert bool(outcome(received_date=days(-60))["on_time"]) is True


def test_a_re_promise_never_erases_lateness() -> None:
    result = outcome(promised_date=days(10), received_date=days(9), repromise_count=1)
    assert bool(result["on_time"]) is False
    assert result["lateness_days"] == 9
    assert result["repromise_count"] == 1
    assert result["days_moved"] == 10


def test_partial_receipts_are_judged_on_the_day_the_line_became_complete() -> None:
    # The first half came early; the line was only complete with the last receipt, late.
    result = outcome(received_date=days(4), received_qty=10, status="received")
    assert bool(result["on_time"]) is False
    assert result["lateness_days"] == 4


def test_a_partly_received_open_line_past_its_promise_is_late_and_not_in_full() -> None:
    result = outcome(received_date=days(-1), received_qty=4, status="open")
    assert bool(result["judged"]) is True
    assert bool(result["on_time"]) is False
    assert bool(result["in_full"]) is False
    assert result["fill"] == pytest.approx(0.4)


# -- in full -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_qty", "tolerance", "in_full"),
    [(10, 0.0, True), (9, 0.0, False), (9, 0.1, True), (8, 0.1, False), (None, 0.0, True)],
)
def test_in_full_means_the_ordered_quantity_within_the_quantity_tolerance(
    received_qty: int | None, tolerance: float, in_full: bool
) -> None:
    params = ScoringParams(qty_tolerance=tolerance)
    assert bool(outcome(params, received_qty=received_qty)["in_full"]) is in_full


def test_over_delivery_is_capped_at_a_full_line() -> None:
    result = outcome(received_qty=25)
    assert bool(result["in_full"]) is True
    assert result["fill"] == 1.0


def test_a_missing_received_quantity_on_a_received_line_means_in_full() -> None:
    assert outcome(received_qty=None)["fill"] == 1.0


# -- open and cancelled lines --------------------------------------------------------------


def test_an_open_line_past_its_promise_is_late_and_not_in_full_as_of_the_date() -> None:
    result = outcome(received_date=None, status="open")
    assert bool(result["judged"]) is True
    assert bool(result["open_late"]) is True
    assert bool(result["otif"]) is False
    assert result["lateness_days"] == (AS_OF - PROMISE).days


def test_an_open_line_not_yet_due_is_pending_not_judged() -> None:
    result = outcome(received_date=None, status="open", original_promised_date=AS_OF)
    assert bool(result["pending"]) is True
    assert bool(result["judged"]) is False


def test_an_open_line_within_its_late_tolerance_is_still_pending() -> None:
    result = outcome(
        received_date=None,
        status="open",
        original_promised_date=AS_OF - timedelta(days=2),
        late_tolerance_days=3,
    )
    assert bool(result["pending"]) is True


def test_a_receipt_after_the_as_of_date_had_not_happened_yet() -> None:
    result = outcome(received_date=AS_OF + timedelta(days=1))
    assert bool(result["open_late"]) is True


def test_lines_cancelled_by_us_are_excluded() -> None:
    result = outcome(status="cancelled_by_us", received_date=None)
    assert bool(result["excluded"]) is True
    assert bool(result["judged"]) is False


def test_lines_cancelled_by_the_supplier_count_as_failures() -> None:
    result = outcome(status="cancelled_by_supplier", received_date=None)
    assert bool(result["judged"]) is True
    assert bool(result["on_time"]) is False
    assert bool(result["in_full"]) is False


def test_a_supplier_that_never_ships_does_not_look_fine() -> None:
    never = [line(supplier="Ghost", received_date=None, status="open") for _ in range(5)]
    scores = score_deliveries(frame(*never), AS_OF).suppliers.set_index("supplier")
    assert scores.loc["Ghost", "lines"] == 5
    assert scores.loc["Ghost", "on_time_rate"] == 0.0


# -- rates ---------------------------------------------------------------------------------


def test_rates_count_only_lines_due_in_the_window() -> None:
    history = frame(
        line(original_promised_date=date(2023, 1, 1), received_date=date(2023, 2, 1)),
        line(original_promised_date=date(2024, 5, 1), received_date=date(2024, 5, 1)),
    )
    row = score_deliveries(history, AS_OF, since=date(2024, 1, 1)).suppliers.iloc[0]
    assert row["lines"] == 1
    assert row["on_time_rate"] == 1.0


def test_quantity_weighted_rates_weigh_lines_by_ordered_quantity() -> None:
    history = frame(
        line(ordered_qty=90),
        line(ordered_qty=10, received_date=days(3)),
    )
    row = score_deliveries(history, AS_OF).suppliers.iloc[0]
    assert row["on_time_rate"] == 0.5
    assert row["qty_on_time_rate"] == pytest.approx(0.9)


def test_otif_needs_both_on_time_and_in_full() -> None:
    history = frame(line(), line(received_qty=5), line(received_date=days(2)))
    row = score_deliveries(history, AS_OF).suppliers.iloc[0]
    assert row["on_time_rate"] == pytest.approx(2 / 3)
    assert row["in_full_rate"] == pytest.approx(2 / 3)
    assert row["otif_rate"] == pytest.approx(1 / 3)


def test_recent_lines_weigh_more_than_old_ones() -> None:
    old_late = line(original_promised_date=date(2023, 6, 1), received_date=date(2023, 6, 20))
    recent_on_time = line(original_promised_date=date(2024, 6, 1))
    row = score_deliveries(frame(old_late, recent_on_time), AS_OF).suppliers.iloc[0]
    assert row["on_time_rate"] == 0.5
    assert row["recency_on_time_rate"] > 0.75


def test_a_re_promise_is_reported_with_the_days_moved() -> None:
    history = frame(line(promised_date=days(7), received_date=days(7), repromise_count=2))
    row = score_deliveries(history, AS_OF).suppliers.iloc[0]
    assert (row["repromises"], row["repromised_lines"], row["days_moved"]) == (2, 1, 7)
    assert row["on_time_rate"] == 0.0


# -- confidence ----------------------------------------------------------------------------


def _population(*lines: dict[str, Any]) -> list[dict[str, Any]]:
    # A background of suppliers that are on time 80% of the time.
    background = []
    for index in range(200):
        late = index % 5 == 0
        background.append(
            line(supplier=f"Other {index % 20}", received_date=days(3 if late else 0))
        )
    return [*background, *lines]


def test_one_on_time_line_scores_below_ninety_five_out_of_a_hundred() -> None:
    one = [line(supplier="New")]
    many = [line(supplier="Steady", received_date=days(0 if i < 95 else 2)) for i in range(100)]
    scores = figures(score_deliveries(frame(*_population(*one, *many)), AS_OF).suppliers)
    assert scores["New"]["on_time_rate"] == 1.0
    assert scores["New"]["score"] < scores["Steady"]["score"]


def test_a_single_line_gets_a_numeric_but_heavily_shrunk_score() -> None:
    scores = score_deliveries(frame(*_population(line(supplier="New"))), AS_OF)
    row = scores.suppliers.set_index("supplier").loc["New"]
    assert 0.0 < row["score"] < 0.9
    assert row["score_low"] < scores.population_rate < row["score_high"]


def test_a_supplier_with_no_line_in_the_window_has_no_score() -> None:
    history = frame(line(supplier="Quiet", original_promised_date=date(2020, 1, 1)))
    row = score_deliveries(history, AS_OF, since=date(2024, 1, 1)).suppliers.iloc[0]
    assert row["lines"] == 0
    assert np.isnan(row["score"])


def test_the_credible_interval_matches_sampled_beta_quantiles() -> None:
    shapes = [(1.9, 0.1), (10.0, 1.0), (104.0, 6.0), (2.0, 2.0), (0.5, 30.0), (900.0, 150.0)]
    a = np.array([s[0] for s in shapes])
    b = np.array([s[1] for s in shapes])
    low, high = beta_interval(a, b, 0.9)
    assert regularised_incomplete_beta(low, a, b) == pytest.approx(np.full(6, 0.05), abs=2e-3)
    assert regularised_incomplete_beta(high, a, b) == pytest.approx(np.full(6, 0.95), abs=3e-3)
    rng = np.random.default_rng(7)
    for (shape_a, shape_b), lo, hi in zip(shapes, low, high, strict=True):
        sample = rng.beta(shape_a, shape_b, 200_000)
        assert np.mean(sample < lo) == pytest.approx(0.05, abs=0.005)
        assert np.mean(sample > hi) == pytest.approx(0.05, abs=0.005)


outcome_lists = st.lists(
    st.tuples(st.integers(-10, 10), st.integers(0, 400), st.booleans()), min_size=0, max_size=40
)


def _history(outcomes: list[tuple[int, int, bool]], extra: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [
        line(
            supplier="S",
            original_promised_date=AS_OF - timedelta(days=age),
            received_date=AS_OF - timedelta(days=age) + timedelta(days=lateness),
            status="received" if arrived else "cancelled_by_supplier",
        )
        for lateness, age, arrived in outcomes
    ]
    rows = [r | {"received_date": min(r["received_date"], AS_OF)} for r in rows]
    return frame(*_population(*rows, *extra))


@settings(max_examples=60, deadline=None)
@given(outcome_lists)
def test_scores_and_intervals_stay_between_zero_and_one(
    outcomes: list[tuple[int, int, bool]],
) -> None:
    table = score_deliveries(_history(outcomes, []), AS_OF).suppliers
    rated = table[table["lines"] > 0]
    for name in ("score", "score_low", "score_high", "on_time_rate", "otif_rate"):
        assert ((rated[name] >= 0.0) & (rated[name] <= 1.0)).all()
    assert (rated["score_low"] <= rated["score"]).all()
    assert (rated["score"] <= rated["score_high"]).all()


@settings(max_examples=60, deadline=None)
@given(outcome_lists, st.integers(0, 400))
def test_adding_an_on_time_line_never_lowers_the_score(
    outcomes: list[tuple[int, int, bool]], age: int
) -> None:
    def score(history: pd.DataFrame) -> float:
        table = figures(score_deliveries(history, AS_OF).suppliers)
        return float(table["S"]["score"]) if "S" in table else 0.0

    on_time = line(supplier="S", original_promised_date=AS_OF - timedelta(days=age))
    on_time["received_date"] = on_time["original_promised_date"]
    before = _history(outcomes, [])
    after = _history(outcomes, [on_time])
    if len(outcomes) == 0:
        assert not np.isnan(score(after))
    else:
        assert score(after) >= score(before) - 1e-12


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(2, 20))
def test_the_same_record_over_more_lines_moves_further_from_the_population(
    on_time: int, factor: int
) -> None:
    total = on_time + max(1, on_time // 4)
    few = [line(supplier="Few", received_date=days(0 if i < on_time else 5)) for i in range(total)]
    many = [
        line(supplier="Many", received_date=days(0 if i < on_time * factor else 5))
        for i in range(total * factor)
    ]
    scores = score_deliveries(frame(*_population(*few, *many)), AS_OF)
    table = figures(scores.suppliers)
    raw: float = table["Few"]["on_time_rate"]
    distance_few = abs(table["Few"]["score"] - raw)
    distance_many = abs(table["Many"]["score"] - table["Many"]["on_time_rate"])
    assert distance_many <= distance_few + 1e-9
    # A shrunk score lies between the population rate and the supplier's own rate.
    low, high = sorted((scores.population_rate, raw))
    assert low - 1e-9 <= table["Few"]["score"] <= high + 1e-9


# -- lead times and the reliability book ---------------------------------------------------


def test_lead_time_and_lateness_percentiles_are_learned_per_supplier() -> None:
    history = frame(
        *[line(order_date=PROMISE - timedelta(days=10), received_date=days(i)) for i in range(10)]
    )
    row = score_deliveries(history, AS_OF).suppliers.iloc[0]
    assert row["lateness_p50_days"] == pytest.approx(4.5)
    assert row["lateness_p90_days"] == pytest.approx(8.1)
    assert row["lead_time_p50_days"] == pytest.approx(14.5)


def test_supplier_sku_figures_are_used_only_with_enough_lines() -> None:
    busy = [line(sku="BUSY", received_date=days(5)) for _ in range(MIN_SKU_LINES)]
    rare = [line(sku="RARE") for _ in range(MIN_SKU_LINES - 1)]
    book = build_reliability(frame(*busy, *rare), AS_OF)
    assert book.lookup("Acme", "BUSY").basis == "supplier-sku"
    assert book.lookup("Acme", "BUSY").lateness_p50_days == 5.0
    assert book.lookup("Acme", "RARE").basis == "supplier"
    assert book.lookup("Acme", "RARE").lines == 2 * MIN_SKU_LINES - 1
    unknown = book.lookup("Nobody", "BUSY")
    assert (unknown.basis, unknown.score) == ("none", None)


def test_grouped_percentiles_match_numpy_per_group() -> None:
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 7, 500)
    values = rng.integers(-20, 40, 500).astype(float)
    values[::11] = np.nan
    got = grouped_percentiles(codes, values, 8, (0.5, 0.8, 0.9))
    for group in range(7):
        chosen = values[(codes == group) & ~np.isnan(values)]
        assert got[group] == pytest.approx(np.percentile(chosen, [50, 80, 90]))
    assert np.isnan(got[7]).all()


# -- the frame contract --------------------------------------------------------------------


def test_a_frame_missing_columns_is_rejected_naming_them() -> None:
    with pytest.raises(InputRejected, match="received_qty, status"):
        conform_deliveries(frame(line()).drop(columns=["received_qty", "status"]))


def test_a_frame_with_an_unknown_status_is_rejected() -> None:
    with pytest.raises(InputRejected, match="unknown status"):
        conform_deliveries(frame(line(status="lost")))


def test_the_canonical_columns_are_the_ones_the_contract_names() -> None:
    assert list(DELIVERY_COLUMNS) == [
        "supplier", "sku", "ordered_qty", "order_date", "original_promised_date",
        "promised_date", "received_date", "received_qty", "status", "late_tolerance_days",
    ]  # fmt: skip


# -- the SCMS delivery history -------------------------------------------------------------


def scms_frame() -> pd.DataFrame:
    raw = pd.read_csv(require(SCMS), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    promised = pd.to_datetime(raw["Scheduled Delivery Date"], format="%d-%b-%y")
    received = pd.to_datetime(raw["Delivered to Client Date"], format="%d-%b-%y")
    quantity = pd.to_numeric(raw["Line Item Quantity"]).clip(lower=1)
    return pd.DataFrame(
        {
            "supplier": raw["Vendor"].str.strip(),
            "sku": raw["Item Description"],
            "ordered_qty": quantity.astype(int),
            "order_date": pd.NaT,
            "original_promised_date": promised,
            "promised_date": promised,
            "received_date": received,
            "received_qty": np.nan,
            "status": "received",
            "late_tolerance_days": 0,
        }
    )


def _day(text: str) -> date:
    return datetime.strptime(text, "%d-%b-%y").replace(tzinfo=UTC).date()


def independent_scms_count() -> dict[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    with require(SCMS).open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            vendor = record["Vendor"].strip()
            scheduled = _day(record["Scheduled Delivery Date"])
            delivered = _day(record["Delivered to Client Date"])
            on_time, total = counts.get(vendor, (0, 0))
            counts[vendor] = (on_time + (delivered <= scheduled), total + 1)
    return counts


def test_scms_raw_on_time_rates_equal_a_plain_count_per_vendor() -> None:
    table = score_deliveries(scms_frame(), date(2016, 1, 1)).suppliers.set_index("supplier")
    expected = independent_scms_count()
    assert len(expected) == 73
    assert sorted(table.index) == sorted(expected)
    for vendor, (on_time, total) in expected.items():
        assert table.loc[vendor, "lines"] == total
        assert table.loc[vendor, "on_time_lines"] == on_time
        assert table.loc[vendor, "on_time_rate"] == pytest.approx(on_time / total, abs=1e-12)
