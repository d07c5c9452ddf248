"""The canonical delivery-history frame that every reliability view is computed from."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from purchasing.errors import InputRejected

# Column → dtype family. The service layer builds exactly this frame from the database;
# tests and benchmarks build it by hand. ``repromise_count`` (re-promises recorded in the
# promise ledger) is optional and defaults to 0.
DELIVERY_COLUMNS: Final[dict[str, str]] = {
    "supplier": "text",
    "sku": "text",
    "ordered_qty": "int",
    "order_date": "date",
    "original_promised_date": "date",
    "promised_date": "date",
    "received_date": "date",
    "received_qty": "float",
    "status": "text",
    "late_tolerance_days": "int",
}
OPTIONAL_COLUMNS: Final[dict[str, int]] = {"repromise_count": 0}
DELIVERY_STATUSES: Final = ("open", "received", "cancelled_by_us", "cancelled_by_supplier")
DATE_COLUMNS: Final = tuple(name for name, kind in DELIVERY_COLUMNS.items() if kind == "date")


def empty_delivery_frame() -> pd.DataFrame:
    """A frame with the canonical columns and no lines."""
    return conform_deliveries(pd.DataFrame({name: [] for name in DELIVERY_COLUMNS}))


def conform_deliveries(frame: pd.DataFrame) -> pd.DataFrame:
    """Check a delivery frame against the canonical columns and coerce its dtypes.

    Raises :class:`InputRejected` naming every missing column, unknown status and
    non-positive ordered quantity, so a bad frame never produces a score.
    """
    missing = [name for name in DELIVERY_COLUMNS if name not in frame.columns]
    if missing:
        raise InputRejected(f"delivery history is missing columns: {', '.join(missing)}")
    out = frame.copy(deep=False)
    for name, default in OPTIONAL_COLUMNS.items():
        if name not in out.columns:
            out[name] = default
    for name in DATE_COLUMNS:
        if out[name].dtype != "datetime64[ns]":
            out[name] = pd.to_datetime(out[name], errors="raise").astype("datetime64[ns]")
    for name in ("supplier", "sku"):
        if not isinstance(out[name].dtype, pd.CategoricalDtype):
            out[name] = out[name].astype(str)
    # Columns already of the right dtype are kept as they are (no copy of a million lines).
    if out["ordered_qty"].dtype != np.int64:
        out["ordered_qty"] = out["ordered_qty"].astype(np.int64)
    if out["received_qty"].dtype != np.float64:
        out["received_qty"] = out["received_qty"].astype(np.float64)
    for name in ("late_tolerance_days", "repromise_count"):
        if out[name].dtype != np.int64:
            out[name] = out[name].fillna(0).astype(np.int64)
    problems = _problems(out)
    if problems:
        raise InputRejected("delivery history rejected: " + "; ".join(problems))
    return out


def _problems(frame: pd.DataFrame) -> list[str]:
    problems = []
    status = frame["status"]
    # A categorical column is checked by its categories and integer codes: far cheaper on
    # a million lines. Code -1 is a missing status.
    if isinstance(status.dtype, pd.CategoricalDtype):
        codes = status.cat.codes.to_numpy()
        unknown = [
            i for i, name in enumerate(status.cat.categories) if name not in DELIVERY_STATUSES
        ]
        bad_status = (codes < 0) | np.isin(codes, unknown) if unknown else codes < 0
    else:
        bad_status = ~status.isin(DELIVERY_STATUSES).to_numpy()
    if bad_status.any():
        position = int(np.flatnonzero(bad_status)[0])
        problems.append(
            f"{int(bad_status.sum())} line(s) with an unknown status "
            f"(first at row {frame.index[position]}: {status.iloc[position]!r})"
        )
    bad_qty = frame["ordered_qty"].to_numpy() <= 0
    if bad_qty.any():
        first = frame.index[bad_qty][0]
        problems.append(
            f"{int(bad_qty.sum())} line(s) with ordered_qty not above 0 (first at row {first})"
        )
    no_promise = frame["original_promised_date"].isna().to_numpy()
    if no_promise.any():
        first = frame.index[no_promise][0]
        problems.append(
            f"{int(no_promise.sum())} line(s) without an original promised date "
            f"(first at row {first})"
        )
    return problems
