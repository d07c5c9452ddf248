"""Writing small supplier files for tests: CSV text and xlsx workbooks in several layouts."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

Row = Sequence[Any]


def write_csv(
    path: Path, rows: Sequence[Row], *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        for row in rows:
            writer.writerow(["" if cell is None else cell for cell in row])
    return path


def write_xlsx(path: Path, sheets: dict[str, Any]) -> Path:
    book = Workbook()
    first = True
    for name, rows in sheets.items():
        if first:
            sheet = book.active
            assert sheet is not None
            sheet.title = name
            first = False
        else:
            sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def deliveries_rows(count: int, *, supplier: str = "Acme Ltd") -> list[list[Any]]:
    """A clean deliveries sheet with a header and ``count`` data rows."""
    rows: list[list[Any]] = [
        ["Vendor", "PO Number", "Line", "SKU", "Qty", "Due Date", "Received Date"]
    ]
    for index in range(1, count + 1):
        day = 1 + index % 28
        rows.append(
            [
                supplier,
                f"SUP-{index // 10:04d}",
                str(index),
                f"{index % 50:04d}",
                str(1 + index % 9),
                f"2024-03-{day:02d}",
                f"2024-04-{day:02d}" if index % 3 else "",
            ]
        )
    return rows
