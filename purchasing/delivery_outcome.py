"""The one canonical judgement of a delivery line as of a date: on time, in full, OTIF, lateness.

Every view (scorecards, standings, supplier choice, customer ETAs) is computed from these
outcomes, so the rules live here once:

- *on time*: the line became complete no later than its **original** promise + the
  supplier's late tolerance (and, with an early limit, no earlier than promise − limit);
  re-promises never move that yardstick.
- *complete*: received (on or before the as-of date) with the cumulative quantity in full,
  or closed by the supplier as received; ``received_date`` is the latest receipt, so a
  line delivered in several receipts is judged on the day it became complete.
- *in full*: received quantity ≥ ordered × (1 − quantity tolerance); a missing
  ``received_qty`` on a received line means in full; over-delivery is capped at 100%.
- an open line past its promise (+ tolerance) is **late and not in full** as of that date;
  an open line not yet due is *pending* (not judged yet);
- cancelled by us: excluded; cancelled by the supplier: a failure (neither on time nor in
  full).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from purchasing.scoring_params import ScoringParams

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Day numbers stand in for dates so that all arithmetic is integer numpy arithmetic.
NO_DAY = np.iinfo(np.int64).min


def day_number(value: date) -> int:
    """Days since 1970-01-01, the unit every outcome array uses."""
    return int(np.datetime64(value, "D").astype(np.int64))


_NS_PER_DAY = 86_400 * 10**9


def day_numbers(column: pd.Series) -> IntArray:
    """Day numbers of a datetime column; NaT becomes ``NO_DAY``."""
    days, missing = _days(column)
    days[missing] = NO_DAY
    return days


def _days(column: pd.Series) -> tuple[IntArray, BoolArray]:
    # Day numbers and where the date is missing; a missing date's number is meaningless,
    # so callers mask it instead of paying for a pass that writes NO_DAY into it.
    nanoseconds = column.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return nanoseconds // _NS_PER_DAY, nanoseconds == NO_DAY


@dataclass(frozen=True)
class LineOutcomes:
    """Per-line outcome arrays, aligned with the delivery frame's rows."""

    due_day: IntArray  # original promise, the day the line is judged against
    judged: BoolArray  # counted in rates: complete, cancelled by supplier, or open and late
    pending: BoolArray  # open and not yet past its promise (+ tolerance)
    excluded: BoolArray  # cancelled by us
    on_time: BoolArray
    in_full: BoolArray
    otif: BoolArray
    fill: FloatArray  # delivered share of the ordered quantity, capped at 1
    lateness_days: IntArray  # completion (or as-of for open late lines) − original promise
    has_lateness: BoolArray  # complete or open and late (not cancelled lines)
    lead_time_days: IntArray  # completion − order date
    has_lead_time: BoolArray  # complete lines with an order date
    open_late: BoolArray
    cancelled_by_supplier: BoolArray
    repromise_count: IntArray
    days_moved: IntArray  # current promise − original promise


def judge_lines(frame: pd.DataFrame, as_of: date, params: ScoringParams) -> LineOutcomes:
    """Judge every line of a conformed delivery frame as of ``as_of`` (vectorised)."""
    # One pass per array wherever numpy allows it: results are written in place rather
    # than through chains of temporaries, because each temporary of a million lines costs
    # as much as the arithmetic itself.
    today = day_number(as_of)
    status_is = _status_test(frame["status"])
    cancelled_by_us = status_is("cancelled_by_us")
    cancelled_by_supplier = status_is("cancelled_by_supplier")
    closed_as_received = status_is("received")

    ordered = frame["ordered_qty"].to_numpy(dtype=np.float64)
    promise = frame["original_promised_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    # conform_deliveries guarantees an original promise on every line.
    promise = promise // _NS_PER_DAY
    received_day, not_received = _days(frame["received_date"])
    tolerance = frame["late_tolerance_days"].to_numpy(dtype=np.int64)

    # A receipt dated after the as-of date had not happened yet on that date.
    received = ~not_received & (received_day <= today)
    # Missing received_qty on a received line means received in full (PRODUCT.md); an
    # unreceived line has nothing in, which is never in full (ordered_qty is above 0).
    received_qty = frame["received_qty"].to_numpy(dtype=np.float64)
    qty_unknown = np.isnan(received_qty)
    threshold = ordered * (1.0 - params.qty_tolerance)
    threshold -= 1e-9
    quantity_in_full = received & (qty_unknown | (received_qty >= threshold))

    live = ~(cancelled_by_us | cancelled_by_supplier)
    complete = live & received & (quantity_in_full | closed_as_received)
    # Most suppliers have no late tolerance: the promise itself is then the deadline.
    deadline = promise + tolerance if tolerance.any() else promise
    open_late = live & ~complete & (today > deadline)
    pending = live & ~complete & ~open_late
    judged = complete | open_late | cancelled_by_supplier

    on_time = complete & (received_day <= deadline)
    if params.early_limit_days is not None:
        on_time &= received_day >= promise - params.early_limit_days
    in_full = complete & quantity_in_full
    # Delivered share of the order, capped at 1: all of it when the quantity is unknown,
    # none of it before the receipt, and 0 for lines that are not judged.
    fill = received_qty / ordered
    np.minimum(fill, 1.0, out=fill)
    np.copyto(fill, 1.0, where=qty_unknown)
    np.copyto(fill, 0.0, where=~(received & judged))

    # An open late line is at least this late: as-of − promise.
    lateness = np.where(complete, received_day, today)
    lateness -= promise
    order_day, no_order_day = _days(frame["order_date"])
    has_order_day = complete & ~no_order_day
    lead_time = np.subtract(received_day, order_day, out=order_day)
    np.copyto(lead_time, 0, where=~has_order_day)

    current_promise, not_repromised = _days(frame["promised_date"])
    moved = np.subtract(current_promise, promise, out=current_promise)
    np.copyto(moved, 0, where=not_repromised)
    return LineOutcomes(
        due_day=promise,
        judged=judged,
        pending=pending,
        excluded=cancelled_by_us,
        on_time=on_time,
        in_full=in_full,
        otif=on_time & in_full,
        fill=fill,
        lateness_days=lateness,
        has_lateness=complete | open_late,
        lead_time_days=lead_time,
        has_lead_time=has_order_day,
        open_late=open_late,
        cancelled_by_supplier=cancelled_by_supplier,
        repromise_count=frame["repromise_count"].to_numpy(dtype=np.int64),
        days_moved=moved,
    )


def _status_test(status: pd.Series) -> Callable[[str], BoolArray]:
    # A categorical status is compared by its small integer codes, far cheaper than text.
    if isinstance(status.dtype, pd.CategoricalDtype):
        categories = list(status.cat.categories)
        codes = status.cat.codes.to_numpy()

        def by_code(name: str) -> BoolArray:
            if name not in categories:
                return np.zeros(len(codes), dtype=bool)
            return np.asarray(codes == categories.index(name))

        return by_code
    values = status.to_numpy(dtype=object)
    return lambda name: np.asarray(values == name)


def outcomes_frame(frame: pd.DataFrame, as_of: date, params: ScoringParams) -> pd.DataFrame:
    """The per-line outcomes as a frame beside the supplier and SKU, for people and tests."""
    outcome = judge_lines(frame, as_of, params)
    return pd.DataFrame(
        {
            "supplier": frame["supplier"].to_numpy(),
            "sku": frame["sku"].to_numpy(),
            "judged": outcome.judged,
            "pending": outcome.pending,
            "excluded": outcome.excluded,
            "on_time": outcome.on_time,
            "in_full": outcome.in_full,
            "otif": outcome.otif,
            "fill": outcome.fill,
            "lateness_days": np.where(outcome.has_lateness, outcome.lateness_days, np.nan),
            "lead_time_days": np.where(outcome.has_lead_time, outcome.lead_time_days, np.nan),
            "open_late": outcome.open_late,
            "repromise_count": outcome.repromise_count,
            "days_moved": outcome.days_moved,
        },
        index=frame.index,
    )
