"""The delivery history a simulated store accumulates, as the canonical delivery frame."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from purchasing.delivery_frame import DELIVERY_COLUMNS
from purchasing.simulation.world import HistoryLine

_NO_DAY = -(10**6)


class DeliveryLedger:
    """Every line the store knows (history + its own PO lines), kept as growing columns."""

    def __init__(self, start: date, history: Iterable[HistoryLine] = ()) -> None:
        self._start = np.datetime64(start, "D")
        self._supplier: list[str] = []
        self._sku: list[str] = []
        self._qty: list[int] = []
        self._ordered: list[int] = []
        self._original: list[int] = []
        self._promised: list[int] = []
        self._received: list[int] = []
        self._status: list[str] = []
        for line in history:
            row = self.add(line.supplier, line.sku, line.qty, line.order_day, line.promised_day)
            self.receive(row, line.received_day)

    def __len__(self) -> int:
        return len(self._supplier)

    def add(self, supplier: str, sku: str, qty: int, order_day: int, promised_day: int) -> int:
        """A released PO line becomes an open delivery line; returns its row."""
        self._supplier.append(supplier)
        self._sku.append(sku)
        self._qty.append(qty)
        self._ordered.append(order_day)
        self._original.append(promised_day)
        self._promised.append(promised_day)
        self._received.append(_NO_DAY)
        self._status.append("open")
        return len(self._supplier) - 1

    def repromise(self, row: int, day: int) -> None:
        """A confirmation moved the current promise (the original one never moves)."""
        self._promised[row] = day

    def receive(self, row: int, day: int) -> None:
        """The line arrived in full on ``day``."""
        self._received[row] = day
        self._status[row] = "received"

    def rerouted(self, row: int) -> None:
        """A reroute moved the line away: it counts as the supplier's failure."""
        self._status[row] = "cancelled_by_supplier"

    def frame(self) -> pd.DataFrame:
        """The canonical delivery frame (:mod:`purchasing.delivery_frame`) of every line."""
        received = np.asarray(self._received, dtype=np.int64)
        missing = received == _NO_DAY
        received_dates = self._dates(np.where(missing, 0, received))
        received_dates[missing] = np.datetime64("NaT")
        qty = np.asarray(self._qty, dtype=np.int64)
        frame = pd.DataFrame(
            {
                "supplier": self._supplier,
                "sku": self._sku,
                "ordered_qty": qty,
                "order_date": self._dates(np.asarray(self._ordered, dtype=np.int64)),
                "original_promised_date": self._dates(np.asarray(self._original, dtype=np.int64)),
                "promised_date": self._dates(np.asarray(self._promised, dtype=np.int64)),
                "received_date": received_dates,
                "received_qty": np.where(missing, np.nan, qty.astype(np.float64)),
                "status": self._status,
                "late_tolerance_days": np.zeros(len(qty), dtype=np.int64),
            }
        )
        return frame[list(DELIVERY_COLUMNS)]

    def _dates(self, days: np.ndarray) -> np.ndarray:
        return (self._start + days.astype("timedelta64[D]")).astype("datetime64[ns]")
