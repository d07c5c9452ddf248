"""The Python type of every cell of a column, asked about one type at a time.

A column of a supplier file nearly always holds one type of cell and some empty ones (a
column of dates, a column of texts). Which cells are of a given type is then known from the
set of types present, without looking at each cell again; only a mixed column is looked at
cell by cell, once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_EMPTY = type(None)


class CellTypes:
    """Masks of the cells of ``values`` that are of given Python types."""

    def __init__(self, values: pd.Series) -> None:
        self._index = values.index
        self._cells: np.ndarray = (
            values.to_numpy() if values.dtype == object else values.to_numpy(dtype=object)
        )
        self.present: frozenset[type] = frozenset(map(type, self._cells))
        self._per_cell: pd.Series | None = None
        self._filled: pd.Series | None = None

    def of(self, *wanted: type) -> pd.Series:
        """True where the cell is of one of the ``wanted`` types (exactly: a bool is no int)."""
        hit = self.present.intersection(wanted)
        if not hit:
            return pd.Series(False, index=self._index)
        if hit == self.present:
            return pd.Series(True, index=self._index)
        if self.present - hit == {_EMPTY}:
            return self.filled().copy()  # a mask of its own: callers may change it
        return self.per_cell().isin(list(wanted))

    def filled(self) -> pd.Series:
        """True where the cell is not None (a NaN read from JSON is a float: filled)."""
        if self._filled is None:
            mask = np.fromiter((cell is not None for cell in self._cells), bool, len(self._cells))
            self._filled = pd.Series(mask, index=self._index)
        return self._filled

    def per_cell(self) -> pd.Series:
        """The type of every cell, for a column that mixes them."""
        if self._per_cell is None:
            types = np.fromiter(map(type, self._cells), dtype=object, count=len(self._cells))
            self._per_cell = pd.Series(types, index=self._index, dtype=object)
        return self._per_cell
