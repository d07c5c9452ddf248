"""The error workbook sent back with a rejected file: the bad rows, each bad cell marked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from purchasing.errors import CellError
from supplier_feeds.raw import RawSheet
from supplier_feeds.safe_cells import safe_xlsx_value

MAX_BAD_ROWS = 1_000
MAX_LISTED_ERRORS = 1_000
MAX_COLUMNS_SHOWN = 200  # a hostile file's width is not copied into the report

BAD_FILL = PatternFill(start_color="FFC7CE", end_color="FFC7CE", fill_type="solid")
HEADER_FONT = Font(bold=True)
_AUTHOR = "procure"


@dataclass(frozen=True)
class ReportSource:
    """The sheet the errors point into, and where its header is (None when no header was found)."""

    sheet: RawSheet
    header_row: int | None


def write_error_workbook(
    path: Path,
    *,
    filename: str,
    errors: list[CellError],
    error_count: int | None = None,
    source: ReportSource | None = None,
    headline: str = "",
) -> Path:
    """Write the report: a summary, the list of errors, and the bad rows of the file."""
    total = len(errors) if error_count is None else error_count
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    _summary(summary, filename, total, headline, errors)
    _error_list(book.create_sheet("Errors"), errors)
    if source is not None:
        title = _sheet_title(f"Bad rows - {source.sheet.name}")
        _bad_rows(book.create_sheet(title), source, errors)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _summary(
    sheet: Worksheet, filename: str, total: int, headline: str, errors: list[CellError]
) -> None:
    bad_rows = len({error.row for error in errors if error.row is not None})
    lines: list[tuple[str, object]] = [
        ("File", filename),
        ("Result", "rejected: nothing was imported"),
        ("Why", headline or (errors[0].message if errors else "")),
        ("Errors found", total),
        ("Errors listed", min(len(errors), MAX_LISTED_ERRORS)),
        ("Rows with errors", bad_rows),
        ("Rows shown", min(bad_rows, MAX_BAD_ROWS)),
        ("What to do", "fix the highlighted cells (each has a comment) and send the file again"),
    ]
    for label, value in lines:
        sheet.append([label, safe_xlsx_value(value)])
        sheet.cell(row=sheet.max_row, column=1).font = HEADER_FONT
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 90


def _error_list(sheet: Worksheet, errors: list[CellError]) -> None:
    sheet.append(["Sheet", "Row", "Column", "Value", "Problem"])
    for cell in sheet[1]:
        cell.font = HEADER_FONT
    for error in errors[:MAX_LISTED_ERRORS]:
        sheet.append(
            [
                safe_xlsx_value(error.sheet),
                error.row,
                safe_xlsx_value(error.column),
                safe_xlsx_value(error.value),
                safe_xlsx_value(error.message),
            ]
        )
    sheet.freeze_panes = "A2"


def _bad_rows(sheet: Worksheet, source: ReportSource, errors: list[CellError]) -> None:
    raw = source.sheet
    header_row = source.header_row
    header = raw.rows[header_row - 1] if header_row and header_row <= len(raw.rows) else []
    header = header[:MAX_COLUMNS_SHOWN]
    sheet.append(["Row in file", *(safe_xlsx_value(value) for value in header)])
    for cell in sheet[1]:
        cell.font = HEADER_FONT
    sheet.freeze_panes = "B2"

    positions = {_key(value): index for index, value in enumerate(header) if value is not None}
    by_row: dict[int, list[CellError]] = defaultdict(list)
    for error in errors:
        if error.row is not None and error.row != header_row:
            by_row[error.row].append(error)

    for row_number in sorted(by_row)[:MAX_BAD_ROWS]:
        values = raw.rows[row_number - 1] if row_number <= len(raw.rows) else []
        values = values[:MAX_COLUMNS_SHOWN]
        sheet.append([row_number, *(safe_xlsx_value(value) for value in values)])
        out_row = sheet.max_row
        notes: dict[int, list[str]] = defaultdict(list)
        for error in by_row[row_number]:
            index = positions.get(_key(error.column))
            # A problem with no column of its own is noted on the row number.
            notes[-1 if index is None else index].append(error.message)
        for index, messages in notes.items():
            cell = sheet.cell(row=out_row, column=index + 2)
            cell.fill = BAD_FILL
            text = "\n".join(dict.fromkeys(messages))
            cell.comment = Comment(str(safe_xlsx_value(text)), _AUTHOR, width=300, height=80)


def _key(value: object) -> str:
    return str(value).strip().casefold() if value is not None else ""


def _sheet_title(text: str) -> str:
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in text)
    return cleaned[:31]
