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
from purchasing.percentiles import grouped_percentiles, run_percentiles
from purchasing.scoring_params import ScoringParams

BoolArray = npt.NDArray[np.bool_]
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
    lines = _Lines.of(frame, outcome, counted, supplier_code, len(supplier_names), today, params)
    # The pooled rate of every supplier, from the suppliers' own recency-weighted sums.
    total_weight = float(lines.weight.sum())
    pooled = float(lines.weighted_on_time.sum()) / total_weight if total_weight > 0 else 0.5
    population_rate = min(max(pooled, _RATE_FLOOR), 1.0 - _RATE_FLOOR)

    suppliers, supplier_score = _supplier_table(
        lines, outcome, in_window, supplier_names, population_rate, params
    )
    supplier_skus = _supplier_sku_table(
        lines, outcome, sku_code, supplier_names, sku_names, supplier_score, params
    )
    return Scores(as_of, since, population_rate, suppliers, supplier_skus)


@dataclass(frozen=True)
class _Lines:
    """Per-line arrays the tables share, aligned with the frame: nothing is compressed.

    A line that is not counted carries the supplier code ``groups`` in ``counted_supplier``,
    so every group-by sends it to one extra bin that is dropped. That costs less than
    compressing a dozen million-line arrays, and each group still sums its lines in order.
    """

    groups: int
    supplier: IntArray  # supplier code of every line
    counted_supplier: IntArray  # supplier code of counted lines, ``groups`` for the rest
    counted: BoolArray
    ordered: FloatArray
    recency: FloatArray  # weight of every line; only read where counted
    recency_on_time: FloatArray
    weight: FloatArray  # per supplier: recency weight of its counted lines
    weighted_on_time: FloatArray  # per supplier: recency weight of its on-time lines

    @classmethod
    def of(
        cls,
        frame: pd.DataFrame,
        outcome: LineOutcomes,
        counted: BoolArray,
        supplier_code: IntArray,
        groups: int,
        today: int,
        params: ScoringParams,
    ) -> _Lines:
        # 2^(−age / half-life), age = today − due, computed in place in float64. Lines
        # due after today are never counted; capping their age at 0 keeps them finite.
        recency = np.subtract(outcome.due_day, today, dtype=np.float64)
        recency /= params.half_life_days
        np.minimum(recency, 0.0, out=recency)
        np.exp2(recency, out=recency)
        counted_supplier = np.where(counted, supplier_code, groups)
        recency_on_time = recency * outcome.on_time
        return cls(
            groups=groups,
            supplier=supplier_code,
            counted_supplier=counted_supplier,
            counted=counted,
            ordered=frame["ordered_qty"].to_numpy(dtype=np.float64),
            recency=recency,
            recency_on_time=recency_on_time,
            weight=_total(counted_supplier, recency, groups),
            weighted_on_time=_total(counted_supplier, recency_on_time, groups),
        )


def _codes(column: pd.Series) -> tuple[IntArray, npt.NDArray[np.object_]]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        names = np.asarray(column.cat.categories, dtype=object)
        return codes, names
    codes, uniques = pd.factorize(column, sort=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _total(
    codes: IntArray, weights: FloatArray | IntArray | BoolArray | None, groups: int
) -> FloatArray:
    # Codes equal to ``groups`` are the lines left out: their bin is dropped.
    totals = np.bincount(codes, weights=weights, minlength=groups + 1)[:groups]
    return np.asarray(totals, dtype=np.float64)


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


# Every line due in the window falls in exactly one class, so one group-by over
# (supplier, class) gives every whole-number tally of a supplier at once. A judged line's
# class is 1 + on_time + 2·in_full (complete), 5 (open and late) or 9 (cancelled by the
# supplier); 10 is pending; 0 is outside the window or cancelled by us. 16 is added when
# the line was re-promised.
_CLASSES = 32
_REPROMISED = 16
_COUNTED = (1, 2, 3, 4, 5, 9)
_ON_TIME = (2, 4)
_IN_FULL = (3, 4)
_OTIF = (4,)
_OPEN_LATE = (5,)
_CANCELLED_BY_SUPPLIER = (9,)
_PENDING = (10,)


def _line_classes(
    outcome: LineOutcomes, counted: BoolArray, in_window: BoolArray
) -> npt.NDArray[np.uint8]:
    def bit(flags: BoolArray) -> npt.NDArray[np.uint8]:
        return flags.view(np.uint8)

    judged = 1 + bit(outcome.on_time) + 2 * bit(outcome.in_full)
    judged += 4 * bit(outcome.open_late) + 8 * bit(outcome.cancelled_by_supplier)
    classes = judged * bit(counted) + 10 * bit(in_window & outcome.pending)
    # Re-promises are reported for every line due in the window that we did not cancel,
    # judged or still pending.
    repromised = (outcome.repromise_count > 0) | (outcome.days_moved != 0)
    classes += _REPROMISED * bit(repromised & in_window & ~outcome.excluded)
    return np.asarray(classes, dtype=np.uint8)


def _tally(table: FloatArray, classes: tuple[int, ...]) -> FloatArray:
    columns = [*classes, *(c + _REPROMISED for c in classes)]
    return np.asarray(table[:, columns].sum(axis=1), dtype=np.float64)


def _supplier_table(
    lines: _Lines,
    outcome: LineOutcomes,
    in_window: BoolArray,
    names: npt.NDArray[np.object_],
    population_rate: float,
    params: ScoringParams,
) -> tuple[pd.DataFrame, FloatArray]:
    groups = lines.groups
    key = lines.supplier * _CLASSES + _line_classes(outcome, lines.counted, in_window)

    def by_class(weights: FloatArray | None) -> FloatArray:
        totals = np.bincount(key, weights=weights, minlength=groups * _CLASSES)
        return np.asarray(totals, dtype=np.float64).reshape(groups, _CLASSES)

    tallies, quantities = by_class(None), by_class(lines.ordered)
    count, on_time = _tally(tallies, _COUNTED), _tally(tallies, _ON_TIME)
    quantity = _tally(quantities, _COUNTED)
    weight, weighted_on_time = lines.weight, lines.weighted_on_time
    alpha, beta = _posterior(weighted_on_time, weight, population_rate, params)
    rated = count > 0
    score = np.where(rated, alpha / (alpha + beta), np.nan)
    low, high = np.full(groups, np.nan), np.full(groups, np.nan)
    low[rated], high[rated] = beta_interval(alpha[rated], beta[rated], params.credible_level)
    lateness = grouped_percentiles(
        lines.counted_supplier,
        outcome.lateness_days,
        groups,
        LATENESS_QUANTILES,
        lines.counted & outcome.has_lateness,
    )
    lead_time = grouped_percentiles(
        lines.counted_supplier,
        outcome.lead_time_days,
        groups,
        LEAD_TIME_QUANTILES,
        lines.counted & outcome.has_lead_time,
    )
    filled = _total(lines.counted_supplier, lines.ordered * outcome.fill, groups)
    # A line that was never re-promised adds nothing to either sum: only re-promised
    # lines (usually few) are read.
    repromised = np.flatnonzero(key & _REPROMISED)
    repromised_supplier = lines.supplier[repromised]
    repromises = _total(repromised_supplier, outcome.repromise_count[repromised], groups)
    days_moved = _total(repromised_supplier, outcome.days_moved[repromised], groups)
    table = pd.DataFrame(
        {
            "supplier": names,
            "lines": count.astype(np.int64),
            "on_time_lines": on_time.astype(np.int64),
            "on_time_rate": _ratio(on_time, count),
            "in_full_rate": _ratio(_tally(tallies, _IN_FULL), count),
            "otif_rate": _ratio(_tally(tallies, _OTIF), count),
            "qty_on_time_rate": _ratio(_tally(quantities, _ON_TIME), quantity),
            "qty_in_full_rate": _ratio(_tally(quantities, _IN_FULL), quantity),
            "qty_otif_rate": _ratio(_tally(quantities, _OTIF), quantity),
            "fill_rate": _ratio(filled, quantity),
            "recency_on_time_rate": _ratio(weighted_on_time, weight),
            "score": score,
            "score_low": low,
            "score_high": high,
            "lateness_p50_days": lateness[:, 0],
            "lateness_p80_days": lateness[:, 1],
            "lateness_p90_days": lateness[:, 2],
            "lead_time_p50_days": lead_time[:, 0],
            "lead_time_p90_days": lead_time[:, 1],
            "open_late_lines": _tally(tallies, _OPEN_LATE).astype(np.int64),
            "cancelled_by_supplier_lines": _tally(tallies, _CANCELLED_BY_SUPPLIER).astype(np.int64),
            "pending_lines": _tally(tallies, _PENDING).astype(np.int64),
            "repromises": repromises.astype(np.int64),
            "repromised_lines": tallies[:, _REPROMISED:].sum(axis=1).astype(np.int64),
            "days_moved": days_moved.astype(np.int64),
        }
    )
    return table.sort_values("supplier", kind="stable").reset_index(drop=True), score


@dataclass(frozen=True)
class _Pairs:
    """The supplier×SKU pairs of the counted lines, from one sort by (pair, lateness, line)."""

    code: IntArray  # each line's pair number; the number of pairs for lines not counted
    keys: IntArray  # each pair's ``supplier × width + sku``, ascending
    starts: IntArray  # where each pair's lines begin in the sorted order
    lines: IntArray  # counted lines per pair
    late_lines: IntArray  # lines with a lateness per pair; they lead the pair's run
    lateness: IntArray  # lateness of the lines in sorted order, less ``lowest``
    lowest: int

    def lateness_at(self, rank: IntArray) -> FloatArray:
        """Lateness of the line at a rank of the sorted order."""
        return np.asarray(self.lateness[rank] + self.lowest, dtype=np.float64)


def _pairs(
    counted_supplier: IntArray,
    sku_code: IntArray,
    width: int,
    groups: int,
    lateness: IntArray,
    has_lateness: BoolArray,  # counted lines with a lateness: the others sort last
) -> _Pairs:
    # One sort numbers the pairs and orders each pair's lateness: its percentiles then need
    # no sort of their own. Lines without a lateness take the highest value, after the rest.
    lines = len(sku_code)
    line_bits = max(lines - 1, 1).bit_length()
    value_room = 62 - line_bits - ((groups + 1) * width).bit_length()
    # The range of every line's lateness is the cheapest to find; should a stray date make
    # it too wide for the key, only the lines that count are ranged.
    lowest, highest = int(lateness.min(initial=0)), int(lateness.max(initial=0))
    if (highest - lowest + 1).bit_length() > value_room:
        lowest = int(lateness.min(where=has_lateness, initial=0))
        highest = int(lateness.max(where=has_lateness, initial=0))
    # Bit fields, not products: shifts and masks unpack them faster than division.
    value_bits = (highest - lowest + 1).bit_length()
    absent = (1 << value_bits) - 1
    value = lateness - lowest
    np.copyto(value, absent, where=~has_lateness)
    key = counted_supplier * np.int64(width)
    key += sku_code
    if value_bits <= value_room:
        # A stable argsort in one plain sort: the line number rides in the key's low bits.
        key <<= value_bits
        key |= value
        key <<= line_bits
        key |= np.arange(lines, dtype=np.int64)
        key.sort()
        order = key & ((1 << line_bits) - 1)
        key >>= line_bits
        value = key & absent
        key >>= value_bits
    else:
        order = np.lexsort((value, key))
        key, value = key[order], value[order]
    # Lines not counted carry a supplier code past every supplier: they sort last.
    counted = int(np.searchsorted(key, groups * width))
    key, value = key[:counted], value[:counted]
    starts = np.flatnonzero(np.concatenate(([counted > 0], key[1:] != key[:-1])))
    pairs = len(starts)
    lengths = np.diff(np.append(starts, counted))
    block = np.repeat(np.arange(pairs), lengths)
    code = np.full(lines, pairs, dtype=np.int64)
    code[order[:counted]] = block
    # Lines without a lateness are few (cancelled by the supplier): count those instead.
    late_lines = lengths - np.bincount(block[value == absent], minlength=pairs)
    return _Pairs(code, key[starts], starts, lengths, late_lines.astype(np.int64), value, lowest)


def _supplier_sku_table(
    lines: _Lines,
    outcome: LineOutcomes,
    sku_code: IntArray,
    supplier_names: npt.NDArray[np.object_],
    sku_names: npt.NDArray[np.object_],
    supplier_score: FloatArray,
    params: ScoringParams,
) -> pd.DataFrame:
    # Pairs are numbered among the counted lines only: the rest cannot contribute.
    width = max(len(sku_names), 1)
    pairs = _pairs(
        lines.counted_supplier,
        sku_code,
        width,
        lines.groups,
        outcome.lateness_days,
        lines.counted & outcome.has_lateness,
    )
    groups = len(pairs.keys)
    pair_supplier = pairs.keys // width
    pair_sku = pairs.keys % width
    count = pairs.lines.astype(np.float64)
    on_time = _total(pairs.code, outcome.on_time, groups)
    weight = _total(pairs.code, lines.recency, groups)
    weighted_on_time = _total(pairs.code, lines.recency_on_time, groups)

    # A supplier×SKU is shrunk toward its supplier's own score, not the population's.
    prior = np.clip(supplier_score[pair_supplier], _RATE_FLOOR, 1.0 - _RATE_FLOOR)
    alpha, beta = _posterior(weighted_on_time, weight, prior, params)

    # Percentiles only matter where the pair has enough lines to be used.
    eligible = count >= params.min_sku_lines
    lateness = run_percentiles(
        pairs.starts,
        np.where(eligible, pairs.late_lines, 0),
        pairs.lateness_at,
        LATENESS_QUANTILES,
    )
    lead_time = grouped_percentiles(
        pairs.code,
        outcome.lead_time_days,
        groups,
        LEAD_TIME_QUANTILES,
        np.append(eligible, False)[pairs.code] & outcome.has_lead_time,
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
