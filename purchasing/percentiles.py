"""Percentiles of many groups at once, from one sort."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Sort keys below this fit in int32, which sorts twice as fast as int64.
_INT32_KEYS = 2**31 - 1
_INT64_KEYS = 2**62


def grouped_percentiles(
    codes: IntArray,
    values: FloatArray | IntArray,
    groups: int,
    quantiles: tuple[float, ...],
    present: BoolArray | None = None,
) -> FloatArray:
    """Linear-interpolated percentiles of ``values`` per group code.

    Only values where ``present`` holds (default: not NaN) count. Returns an array of shape
    (groups, len(quantiles)); a group without values gets NaN. The values are sorted once
    within their groups: whole numbers (day counts) through a single integer key
    (group, value), other values through a lexsort.
    """
    if present is None:
        present = ~np.isnan(values) if values.dtype.kind == "f" else np.ones(len(values), bool)
    if not present.any():
        return np.full((groups, len(quantiles)), np.nan)
    # Absent values go to an extra group past the last one, which is never read.
    present_codes = np.where(present, codes, groups)
    counts = np.bincount(present_codes, minlength=groups + 1)[:groups]
    starts = np.cumsum(counts) - counts
    value_at = _ranked_values(present_codes, values, groups, present)
    return run_percentiles(starts, counts, value_at, quantiles)


def run_percentiles(
    starts: IntArray,
    counts: IntArray,
    value_at: Callable[[IntArray], FloatArray],
    quantiles: tuple[float, ...],
) -> FloatArray:
    """Linear-interpolated percentiles of groups whose values lie sorted in runs.

    Group g's values are ``value_at(starts[g] + i)`` for i below ``counts[g]``, in
    ascending order. Returns shape (groups, len(quantiles)); an empty group gets NaN.
    """
    result = np.full((len(counts), len(quantiles)), np.nan)
    filled = counts > 0
    # Every quantile of every filled group at once: rows are groups, columns quantiles.
    # Positions are reckoned within each group, so the interpolation share does not lose
    # bits to the size of the group's offset in the sorted order.
    start, count = starts[filled][:, None], counts[filled][:, None]
    position = np.asarray(quantiles) * (count - 1)
    step = np.floor(position)
    share = position - step
    below = start + step.astype(np.int64)
    above = np.minimum(below + 1, start + count - 1)
    result[filled] = value_at(below) * (1.0 - share) + value_at(above) * share
    return result


def _ranked_values(
    present_codes: IntArray, values: FloatArray | IntArray, groups: int, present: BoolArray
) -> Callable[[IntArray], FloatArray]:
    """A lookup: global rank (present values ordered by group, then value) → value."""
    if values.dtype.kind in "iu" and len(values):
        whole = np.asarray(values, dtype=np.int64)
        # The range of all values, absent ones included: it costs a fraction of a masked
        # range, and an absent value's key then lands past every group's keys.
        low, high = int(whole.min()), int(whole.max())
        width = high - low + 1
        if (groups + 1) * width < _INT64_KEYS:
            # int32 keys where they fit: half the bytes to write and to sort.
            narrow = (groups + 1) * width < _INT32_KEYS and -_INT32_KEYS < low <= high < _INT32_KEYS
            key = present_codes.astype(np.int32 if narrow else np.int64)
            np.multiply(key, width, out=key)
            np.add(key, whole, out=key, casting="same_kind")
            np.subtract(key, low, out=key)
            key.sort()

            def from_key(rank: IntArray) -> FloatArray:
                return np.asarray(key[rank] % width + low, dtype=np.float64)

            return from_key
    ordered = _sort_within_groups(present_codes[present], values[present], groups)
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
