"""Percentiles of many groups at once, from one sort."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def grouped_percentiles(
    codes: IntArray,
    values: FloatArray | IntArray,
    groups: int,
    quantiles: tuple[float, ...],
    present: npt.NDArray[np.bool_] | None = None,
) -> FloatArray:
    """Linear-interpolated percentiles of ``values`` per group code.

    Only values where ``present`` holds (default: not NaN) count. Returns an array of shape
    (groups, len(quantiles)); a group without values gets NaN. The values are sorted once
    within their groups: whole numbers (day counts) through a single integer key
    (group, value), other values through a lexsort.
    """
    result = np.full((groups, len(quantiles)), np.nan)
    if present is None:
        present = ~np.isnan(values) if values.dtype.kind == "f" else np.ones(len(values), bool)
    codes = codes[present]
    values = values[present]
    if values.size == 0:
        return result
    counts = np.bincount(codes, minlength=groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    filled = counts > 0
    value_at = _ranked_values(codes, values, groups)
    for column, quantile in enumerate(quantiles):
        position = starts[filled] + quantile * (counts[filled] - 1)
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, starts[filled] + counts[filled] - 1)
        share = position - below
        result[filled, column] = value_at(below) * (1.0 - share) + value_at(above) * share
    return result


# A histogram of (group, value) bins replaces the sort while it stays this small.
_MAX_HISTOGRAM_BINS = 4_000_000


def _ranked_values(
    codes: IntArray, values: FloatArray | IntArray, groups: int
) -> Callable[[IntArray], FloatArray]:
    """A lookup: global rank (values ordered by group, then value) → value."""
    whole = values.dtype.kind in "iu" or np.array_equal(values, np.floor(values))
    if whole:
        low = int(values.min())
        width = int(values.max()) - low + 1
        if width * groups <= _MAX_HISTOGRAM_BINS:
            # Counting sort: the cumulative histogram answers "which bin holds rank r".
            key = codes * np.int64(width) + (values - low).astype(np.int64)
            cumulative = np.cumsum(np.bincount(key, minlength=width * groups))

            def from_histogram(rank: IntArray) -> FloatArray:
                bins = np.searchsorted(cumulative, rank, side="right")
                return np.asarray(bins % width + low, dtype=np.float64)

            return from_histogram
    ordered = _sort_within_groups(codes, values, groups)
    return lambda rank: np.asarray(ordered[rank], dtype=np.float64)


def _sort_within_groups(codes: IntArray, values: FloatArray | IntArray, groups: int) -> FloatArray:
    low = values.min()
    span = float(values.max()) - float(low) + 1.0
    whole = values.dtype.kind in "iu" or np.array_equal(values, np.floor(values))
    if whole and span * groups < 2.0**62:
        width = np.int64(span)
        key = codes * width + (values - low).astype(np.int64)
        key.sort()
        return np.asarray((key % width + int(low)).astype(np.float64), dtype=np.float64)
    order = np.lexsort((values, codes))
    return np.asarray(values[order], dtype=np.float64)
