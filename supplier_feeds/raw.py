"""What the reading layer hands on: the cells of each sheet exactly as the file holds them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

CellValue = str | int | float | bool | datetime.date | datetime.datetime | None

MiB = 1024 * 1024


@dataclass(frozen=True)
class RawSheet:
    """One sheet's cells; ``rows[i]`` is the row the buyer sees as ``i + 1`` (empty cell = None)."""

    name: str  # the sheet's name; for CSV and JSON, the file's name
    rows: list[list[CellValue]]
    date1904: bool = False  # the workbook counts serial dates from 1904 (Mac Excel)
    source: str = "xlsx"  # "xlsx" | "csv" | "json"


@dataclass(frozen=True)
class ReadLimits:
    """Caps that keep a hostile file from exhausting the machine; every one can be overridden."""

    max_file_bytes: int = 512 * MiB
    max_uncompressed_total: int = 256 * MiB  # all parts of a workbook, as declared and as inflated
    max_entry_ratio: float = 100.0  # inflated : compressed, for parts over the next size
    ratio_applies_over_bytes: int = 1 * MiB
    max_entries: int = 10_000  # parts in a workbook's zip container
    max_rows: int = 2_000_000
    max_columns: int = 200
    max_cell_chars: int = 32_767  # Excel's own limit for one cell's text
    # The xlsx parser holds a sheet as a dense grid (32 bytes per cell, empty or not), so the
    # grid's area is capped as well as its sides: 30 million cells is under 1 GB.
    max_cells: int = 30_000_000
