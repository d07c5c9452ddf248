"""Supplier and supplier×SKU scorecards from judged delivery lines (all numpy, one pass).

Rates count the lines *due* in the window [since, as_of] — their original promise falls in
it — that can be judged (see :mod:`purchasing.delivery_outcome`). The score is the
recency-weighted on-time rate shrunk toward the population: a Beta prior worth
``prior_lines`` lines centred on the pooled rate of every supplier, updated with each
line's recency weight. One line moves the score a little; a hundred move it a lot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from purchasing.credible_interval import beta_interval
from purchasing.delivery_frame import conform_deliveries
from purchasing.delivery_outcome import LineOutcomes, day_number, judge_lines
from purchasing.percentiles import grouped_percentiles
from purchasing.scoring_params import ScoringParams

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

LATENESS_QUANTILES = (0.5, 0.8, 0.9)
LEAD_TIME_QUANTILES = (0.5, 0.9)
# The population rate is kept off 0 and 1 so the prior always has two proper shapes.
_RATE_FLOOR = 0.02


@dataclass(frozen=True)
class Scores:
    """Everything the scoring rules conclude about a delivery history as of a date."""

    as_of: date
    since: date | None
    population_rate: float
    suppliers: pd.DataFrame  # one row per supplier named in the history, sorted by name
    supplier_skus: pd.DataFrame  # one row per supplier×SKU with at least one judged line


def score_deliveries(
    deliveries: pd.DataFrame,
    as_of: date,
    since: date | None = None,
    params: ScoringParams | None = None,
) -> Scores:
    """Score every supplier and supplier×SKU of a delivery frame over [since, as_of]."""
    params = params or ScoringParams()
    frame = conform_deliveries(deliveries)
    outcome = judge_lines(frame, as_of, params)
    supplier_code, supplier_names = _codes(frame["supplier"])
    sku_code, sku_names = _codes(frame["sku"])

    today = day_number(as_of)
    in_window = outcome.due_day <= today
    if since is not None:
        in_window &= outcome.due_day >= day_number(since)
    counted = in_window & outcome.judged
    # Everything below works on the counted lines only, compressed once.
    lines = _CountedLines.of(frame, outcome, counted, supplier_code, sku_code, today, params)
    total_weight = float(lines.recency.sum())
    pooled = float(lines.recency @ lines.on_time) / total_weight if total_weight > 0 else 0.5
    population_rate = min(max(pooled, _RATE_FLOOR), 1.0 - _RATE_FLOOR)

    suppliers = _supplier_table(
        lines, outcome, in_window, supplier_code, supplier_names, population_rate, params
    )
    supplier_skus = _supplier_sku_table(lines, supplier_names, sku_names, suppliers, params)
    return Scores(as_of, since, population_rate, suppliers, supplier_skus)


@dataclass(frozen=True)
class _CountedLines:
    """The judged lines due in the window, as compact arrays."""

    supplier: IntArray
    sku: IntArray
    on_time: FloatArray
    in_full: FloatArray
    otif: FloatArray
    ordered: FloatArray
    fill: FloatArray
    recency: FloatArray
    lateness: IntArray
    has_lateness: npt.NDArray[np.bool_]
    lead_time: IntArray
    has_lead_time: npt.NDArray[np.bool_]
    open_late: FloatArray
    cancelled_by_supplier: FloatArray

    @classmethod
    def of(
        cls,
        frame: pd.DataFrame,
        outcome: LineOutcomes,
        counted: npt.NDArray[np.bool_],
        supplier_code: IntArray,
        sku_code: IntArray,
        today: int,
        params: ScoringParams,
    ) -> _CountedLines:
        age = (today - outcome.due_day[counted]).astype(np.float64)
        on_time = outcome.on_time[counted].astype(np.float64)
        in_full = outcome.in_full[counted].astype(np.float64)
        return cls(
            supplier=supplier_code[counted],
            sku=sku_code[counted],
            on_time=on_time,
            in_full=in_full,
            otif=on_time * in_full,
            ordered=frame["ordered_qty"].to_numpy(dtype=np.float64)[counted],
            fill=outcome.fill[counted],
            recency=np.exp2(-age / params.half_life_days),
            lateness=outcome.lateness_days[counted],
            has_lateness=outcome.has_lateness[counted],
            lead_time=outcome.lead_time_days[counted],
            has_lead_time=outcome.has_lead_time[counted],
            open_late=outcome.open_late[counted].astype(np.float64),
            cancelled_by_supplier=outcome.cancelled_by_supplier[counted].astype(np.float64),
        )


def _codes(column: pd.Series) -> tuple[IntArray, npt.NDArray[np.object_]]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        names = np.asarray(column.cat.categories, dtype=object)
        return codes, names
    codes, uniques = pd.factorize(column, sort=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _total(codes: IntArray, weights: FloatArray | None, groups: int) -> FloatArray:
    return np.asarray(np.bincount(codes, weights=weights, minlength=groups), dtype=np.float64)


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _posterior(
    on_time_weight: FloatArray,
    weight: FloatArray,
    prior_rate: FloatArray | float,
    params: ScoringParams,
) -> tuple[FloatArray, FloatArray]:
    # Beta prior worth ``prior_lines`` lines at the prior rate, plus the weighted lines.
    alpha = params.prior_lines * prior_rate + on_time_weight
    beta = params.prior_lines * (1.0 - prior_rate) + (weight - on_time_weight)
    return alpha, beta


def _supplier_table(
    lines: _CountedLines,
    outcome: LineOutcomes,
    in_window: npt.NDArray[np.bool_],
    all_codes: IntArray,
    names: npt.NDArray[np.object_],
    population_rate: float,
    params: ScoringParams,
) -> pd.DataFrame:
    groups = len(names)
    code = lines.supplier
    count = _total(code, None, groups)
    on_time = _total(code, lines.on_time, groups)
    quantity = _total(code, lines.ordered, groups)
    weight = _total(code, lines.recency, groups)
    weighted_on_time = _total(code, lines.recency * lines.on_time, groups)
    alpha, beta = _posterior(weighted_on_time, weight, population_rate, params)
    rated = count > 0
    score = np.where(rated, alpha / (alpha + beta), np.nan)
    low, high = np.full(groups, np.nan), np.full(groups, np.nan)
    low[rated], high[rated] = beta_interval(alpha[rated], beta[rated], params.credible_level)
    lateness = grouped_percentiles(
        code, lines.lateness, groups, LATENESS_QUANTILES, lines.has_lateness
    )
    lead_time = grouped_percentiles(
        code, lines.lead_time, groups, LEAD_TIME_QUANTILES, lines.has_lead_time
    )

    # Re-promises are reported for every line due in the window that we did not cancel,
    # judged or still pending.
    reported = in_window & ~outcome.excluded
    moved = outcome.days_moved[reported]
    reported_code = all_codes[reported]
    repromised = (outcome.repromise_count[reported] > 0) | (moved != 0)
    pending = in_window & outcome.pending
    table = pd.DataFrame(
        {
            "supplier": names,
            "lines": count.astype(np.int64),
            "on_time_lines": on_time.astype(np.int64),
            "on_time_rate": _ratio(on_time, count),
            "in_full_rate": _ratio(_total(code, lines.in_full, groups), count),
            "otif_rate": _ratio(_total(code, lines.otif, groups), count),
            "qty_on_time_rate": _ratio(
                _total(code, lines.ordered * lines.on_time, groups), quantity
            ),
            "qty_in_full_rate": _ratio(
                _total(code, lines.ordered * lines.in_full, groups), quantity
            ),
            "qty_otif_rate": _ratio(_total(code, lines.ordered * lines.otif, groups), quantity),
            "fill_rate": _ratio(_total(code, lines.ordered * lines.fill, groups), quantity),
            "recency_on_time_rate": _ratio(weighted_on_time, weight),
            "recency_in_full_rate": _ratio(
                _total(code, lines.recency * lines.in_full, groups), weight
            ),
            "recency_otif_rate": _ratio(_total(code, lines.recency * lines.otif, groups), weight),
            "effective_lines": weight,
            "score": score,
            "score_low": low,
            "score_high": high,
            "lateness_p50_days": lateness[:, 0],
            "lateness_p80_days": lateness[:, 1],
            "lateness_p90_days": lateness[:, 2],
            "lead_time_p50_days": lead_time[:, 0],
            "lead_time_p90_days": lead_time[:, 1],
            "open_late_lines": _total(code, lines.open_late, groups).astype(np.int64),
            "cancelled_by_supplier_lines": _total(code, lines.cancelled_by_supplier, groups).astype(
                np.int64
            ),
            "pending_lines": _total(all_codes[pending], None, groups).astype(np.int64),
            "repromises": _total(
                reported_code, outcome.repromise_count[reported].astype(np.float64), groups
            ).astype(np.int64),
            "repromised_lines": _total(reported_code[repromised], None, groups).astype(np.int64),
            "days_moved": _total(reported_code, moved.astype(np.float64), groups).astype(np.int64),
        }
    )
    return table.sort_values("supplier", kind="stable").reset_index(drop=True)


def _supplier_sku_table(
    lines: _CountedLines,
    supplier_names: npt.NDArray[np.object_],
    sku_names: npt.NDArray[np.object_],
    suppliers: pd.DataFrame,
    params: ScoringParams,
) -> pd.DataFrame:
    # Pairs are numbered among the counted lines only: the rest cannot contribute.
    width = np.int64(max(len(sku_names), 1))
    pair_code, pair_keys = pd.factorize(lines.supplier * width + lines.sku)
    pair_code = pair_code.astype(np.int64)
    groups = len(pair_keys)
    pair_supplier = (pair_keys // width).astype(np.int64)
    pair_sku = (pair_keys % width).astype(np.int64)
    count = _total(pair_code, None, groups)
    on_time = _total(pair_code, lines.on_time, groups)
    weight = _total(pair_code, lines.recency, groups)
    weighted_on_time = _total(pair_code, lines.recency * lines.on_time, groups)

    # A supplier×SKU is shrunk toward its supplier's own score, not the population's.
    supplier_score = (
        suppliers.set_index("supplier")["score"].reindex(supplier_names).to_numpy(dtype=np.float64)
    )
    prior = np.clip(supplier_score[pair_supplier], _RATE_FLOOR, 1.0 - _RATE_FLOOR)
    alpha, beta = _posterior(weighted_on_time, weight, prior, params)

    # Percentiles only matter where the pair has enough lines to be used.
    eligible = (count >= params.min_sku_lines)[pair_code]
    lateness = grouped_percentiles(
        pair_code, lines.lateness, groups, LATENESS_QUANTILES, eligible & lines.has_lateness
    )
    lead_time = grouped_percentiles(
        pair_code, lines.lead_time, groups, LEAD_TIME_QUANTILES, eligible & lines.has_lead_time
    )
    return pd.DataFrame(
        {
            "supplier": supplier_names[pair_supplier],
            "sku": sku_names[pair_sku],
            "lines": count.astype(np.int64),
            "on_time_rate": on_time / count,
            "score": alpha / (alpha + beta),
            "lateness_p50_days": lateness[:, 0],
            "lateness_p80_days": lateness[:, 1],
            "lateness_p90_days": lateness[:, 2],
            "lead_time_p50_days": lead_time[:, 0],
            "lead_time_p90_days": lead_time[:, 1],
        }
    )
