"""Reading xlsx/xlsm workbooks: container and sheet checks first, then python-calamine.

python-calamine is many times faster than openpyxl, but it builds each sheet as a dense grid
(it aborts the process on one cell at XFD1048576) and inflates whatever the zip holds, so it
only ever sees a workbook whose every limit has been checked here first. Macros are never run:
only the cells' saved values are read.
"""

from __future__ import annotations

import datetime
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException
from python_calamine import CalamineWorkbook

from purchasing.errors import CellError, FileRejected
from supplier_feeds.cycle_collector import collector_paused
from supplier_feeds.raw import CellValue, RawSheet, ReadLimits
from supplier_feeds.sheet_slices import SheetSlicer, slice_count
from supplier_feeds.sheet_xml import (
    FAST_MAX_COLUMN,
    FAST_MAX_ROW,
    SharedStrings,
    SheetFindings,
    SheetXmlError,
    check_declarations,
    check_prolog,
    column_letters,
    over_limits,
    scan_shared_strings,
    scan_sheet_cells,
    scan_sheet_extent,
)
from supplier_feeds.workbook_container import WorkbookContainer, human_bytes, rejected

_WORKBOOK_PART = "xl/workbook.xml"
_WORKBOOK_RELATIONSHIPS = "xl/_rels/workbook.xml.rels"
_LISTED_ERRORS = 1_000
# A t="s" cell is at least ~25 bytes of sheet XML: enough to bound how often texts repeat.
_MIN_SHARED_CELL_BYTES = 20
_EXACT_INTEGERS = 2.0**53


@dataclass(frozen=True)
class _SheetEntry:
    name: str
    part: str


@dataclass(frozen=True)
class _WorkbookLayout:
    sheets: list[_SheetEntry]
    date1904: bool
    shared_strings: str | None


def read_workbook(path: Path, limits: ReadLimits, sheet: str | None) -> list[RawSheet]:
    """Every worksheet (or the one named), after the container and its XML passed the checks.

    The checks a parser needs first (sizes, extent, shared texts) run before python-calamine
    sees a byte of a sheet; a large sheet is parsed in slices as its rows pass them (see
    sheet_slices), and the cell-level checks (formulas without a value, error values, long
    texts) run beside the parser. The cells are only handed on once everything is done.
    """
    with WorkbookContainer(path, limits) as container, ExitStack() as stack:
        try:
            layout = _layout(container)
            chosen = _choose(layout.sheets, sheet, path.name)
            # The folder outlives the workers (the stack closes the pool, and so waits, first).
            slicer = _slicer(container, chosen, limits, stack)
            findings, check_lengths = _check_parts(container, layout, chosen, limits, slicer)
        except SheetXmlError as error:
            raise rejected(path.name, f"the workbook is not valid: {error}") from None
        pool = stack.enter_context(
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="cell-checks")
        )
        cell_checks = pool.submit(_check_cells, container, chosen, findings, limits)
        return _parse(path, layout, chosen, findings, limits, check_lengths, cell_checks, slicer)


def _slicer(
    container: WorkbookContainer, chosen: list[_SheetEntry], limits: ReadLimits, stack: ExitStack
) -> SheetSlicer | None:
    """Slices for a single large sheet, when the fast checks' bound on a slice (columns A-Z,
    rows below 1,000,000) is within the limits; otherwise the sheet is read whole."""
    if len(chosen) != 1:
        return None
    entry = chosen[0]
    part = container.parts.get(entry.part)
    slices = slice_count(part.size) if part is not None else 1
    bound = SheetFindings(max_row=FAST_MAX_ROW, max_column=FAST_MAX_COLUMN)
    if slices < 2 or over_limits(bound, limits):
        return None
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="procure-sheet-")))
    pool = stack.enter_context(ThreadPoolExecutor(slices, thread_name_prefix="sheet-slices"))
    return SheetSlicer(container, entry.name, entry.part, slices, folder, pool, _cells)


def _check_cells(
    container: WorkbookContainer,
    chosen: list[_SheetEntry],
    findings: dict[str, SheetFindings],
    limits: ReadLimits,
) -> None:
    for entry in chosen:
        found = findings[entry.name]
        if not found.cells_checked:
            scan_sheet_cells(container.stream(entry.part), entry.part, limits.max_cell_chars, found)
    _enforce_cells(container.file_name, findings)


def _xml(container: WorkbookContainer, part: str) -> Element:
    data = container.read(part)
    check_prolog(data[:1024], part)
    check_declarations(data, part)
    try:
        root: Element = SafeElementTree.fromstring(data)
    except (DefusedXmlException, SafeElementTree.ParseError) as error:
        raise SheetXmlError(f"part {part} is not valid XML ({error})") from None
    return root


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attribute(element: Element, local_name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == local_name:
            return value
    return None


def _layout(container: WorkbookContainer) -> _WorkbookLayout:
    if _WORKBOOK_PART not in container.parts:
        raise rejected(
            container.file_name,
            "this is a zip file but not an Excel workbook (no xl/workbook.xml); save it as .xlsx",
        )
    workbook = _xml(container, _WORKBOOK_PART)
    targets: dict[str, tuple[str, str]] = {}
    if _WORKBOOK_RELATIONSHIPS in container.parts:
        for relationship in _xml(container, _WORKBOOK_RELATIONSHIPS):
            identifier = relationship.get("Id")
            target = relationship.get("Target")
            if identifier and target and relationship.get("TargetMode") != "External":
                kind = (relationship.get("Type") or "").rpartition("/")[2]
                targets[identifier] = (kind, container.resolve(_WORKBOOK_PART, target))
    date1904 = False
    sheets: list[_SheetEntry] = []
    for element in workbook.iter():
        tag = _local(element.tag)
        if tag == "workbookPr":
            date1904 = (element.get("date1904") or "").strip().lower() in ("1", "true")
        elif tag == "sheet":
            name = element.get("name")
            kind, part = targets.get(_attribute(element, "id") or "", ("", ""))
            if name and kind == "worksheet":
                sheets.append(_SheetEntry(name, part))
    shared = [part for kind, part in targets.values() if kind == "sharedStrings"]
    return _WorkbookLayout(sheets, date1904, shared[0] if shared else None)


def _choose(sheets: list[_SheetEntry], wanted: str | None, file_name: str) -> list[_SheetEntry]:
    if not sheets:
        raise rejected(file_name, "the workbook has no worksheet")
    if wanted is None:
        return sheets
    for matches in (
        [entry for entry in sheets if entry.name == wanted],
        [entry for entry in sheets if entry.name.strip().casefold() == wanted.strip().casefold()],
    ):
        if len(matches) == 1:
            return matches
    names = ", ".join(repr(entry.name) for entry in sheets)
    message = f"the workbook has no sheet named {wanted!r} (it has {names})"
    raise FileRejected(message, [CellError(wanted, None, None, None, message)])


def _check_parts(
    container: WorkbookContainer,
    layout: _WorkbookLayout,
    chosen: list[_SheetEntry],
    limits: ReadLimits,
    slicer: SheetSlicer | None = None,
) -> tuple[dict[str, SheetFindings], bool]:
    for entry in chosen:
        if entry.part not in container.parts:
            raise rejected(
                container.file_name,
                f"the workbook is damaged (sheet {entry.name!r} has no data part); "
                "open it in Excel and save it again",
            )
    scanned = {entry.part for entry in chosen}
    shared_parts = {layout.shared_strings} if layout.shared_strings else set()
    shared_parts |= {name for name in container.parts if name.lower().endswith("sharedstrings.xml")}
    shared = SharedStrings()
    for part in sorted(shared_parts & container.parts.keys()):
        found = scan_shared_strings(container.stream(part), part, limits.max_cell_chars)
        if part == layout.shared_strings or len(found.lengths) > len(shared.lengths):
            shared = found
    # Every other XML part is inflated in full too: that verifies its size and checksum, and no
    # part may carry a DTD, whoever reads it.
    for name in container.parts:
        if name not in scanned | shared_parts and name.lower().endswith((".xml", ".rels", ".vml")):
            _check_whole_part(container, name)
    sheet_bytes = sum(container.parts[part].size for part in scanned)
    count_uses = bool(shared.exact) or (
        shared.longest * (sheet_bytes // _MIN_SHARED_CELL_BYTES) > limits.max_uncompressed_total
    )
    if slicer is not None and count_uses:
        slicer.abandon()  # long shared texts: their uses are only known once all are counted
    findings = {
        entry.name: scan_sheet_extent(
            lambda part=entry.part: container.stream(part),  # type: ignore[misc]
            entry.part,
            limits,
            count_shared_uses=count_uses,
            checked=slicer.feed if slicer is not None and slicer.sheet == entry.name else None,
        )
        for entry in chosen
    }
    _enforce(container.file_name, findings, shared, limits)
    if slicer is not None:
        slicer.finish()
    # A shared text over the limit is only an error where a cell of a chosen sheet uses it;
    # which cells those are is easiest to see once the cells are read.
    check_lengths = any(length > limits.max_cell_chars for length in shared.exact.values())
    return findings, check_lengths


def _check_whole_part(container: WorkbookContainer, name: str) -> None:
    first = True
    tail = b""
    for chunk in container.stream(name):
        if first:
            check_prolog(chunk, name)
            first = False
        # Overlap by a few bytes so a declaration split between two chunks is still seen.
        check_declarations(tail + chunk, name)
        tail = chunk[-16:]


def _enforce(
    file_name: str,
    findings: dict[str, SheetFindings],
    shared: SharedStrings,
    limits: ReadLimits,
) -> None:
    expanded = 0
    for sheet, found in findings.items():
        if found.max_row > limits.max_rows:
            raise _sheet_rejected(
                sheet,
                f"sheet {sheet!r} has cells down to row {found.max_row:,}; the limit is "
                f"{limits.max_rows:,} rows",
            )
        if found.max_column > limits.max_columns:
            raise _sheet_rejected(
                sheet,
                f"sheet {sheet!r} has a cell in column {column_letters(found.max_column)} "
                f"(column {found.max_column:,}); the limit is {limits.max_columns:,} columns",
            )
        area = found.max_row * found.max_column
        if area > limits.max_cells:
            raise _sheet_rejected(
                sheet,
                f"sheet {sheet!r} spans {found.max_row:,} rows × {found.max_column:,} columns "
                f"({area:,} cells); the limit is {limits.max_cells:,} cells",
            )
        if found.shared_uses is not None:
            expanded += sum(
                uses * shared.length(index) for index, uses in found.shared_uses.items()
            )
    if expanded > limits.max_uncompressed_total:
        raise FileRejected(
            f"the workbook repeats long texts: its cells expand to {human_bytes(expanded)}, over "
            f"the limit of {human_bytes(limits.max_uncompressed_total)}",
            [CellError(file_name, None, None, None, "texts repeated until they fill memory")],
        )


def _enforce_cells(file_name: str, findings: dict[str, SheetFindings]) -> None:
    errors: list[CellError] = []
    total = 0
    for sheet, found in findings.items():
        for finding in found.formulas_without_value:
            total += 1
            if len(errors) < _LISTED_ERRORS:
                errors.append(
                    CellError(
                        sheet,
                        finding.row,
                        column_letters(finding.column),
                        finding.value,
                        f"cell {column_letters(finding.column)}{finding.row}: formula without a "
                        "saved value — open and save the file in Excel",
                    )
                )
        for finding in found.long_texts:
            total += 1
            if len(errors) < _LISTED_ERRORS:
                errors.append(_long_text_error(sheet, finding.row, finding.column, finding.value))
    if errors:
        first = errors[0].message
        more = f" (and {total - 1:,} more problems)" if total > 1 else ""
        raise FileRejected(first + more, errors)


def _long_text_error(sheet: str, row: int, column: int, length: str | None) -> CellError:
    letters = column_letters(column)
    return CellError(
        sheet,
        row,
        letters,
        None,
        f"cell {letters}{row}: a text of {int(length or 0):,} characters, over Excel's limit "
        "of 32,767",
    )


def _sheet_rejected(sheet: str, message: str) -> FileRejected:
    return FileRejected(message, [CellError(sheet, None, None, None, message)])


def _parse(
    path: Path,
    layout: _WorkbookLayout,
    chosen: list[_SheetEntry],
    findings: dict[str, SheetFindings],
    limits: ReadLimits,
    check_lengths: bool,
    cell_checks: Future[None],
    slicer: SheetSlicer | None,
) -> list[RawSheet]:
    sheets: list[RawSheet] = []
    with ExitStack() as stack:
        stack.enter_context(collector_paused())
        workbook: CalamineWorkbook | None = None
        for entry in chosen:
            rows = slicer.rows() if slicer is not None and slicer.sheet == entry.name else None
            if rows is None:
                if workbook is None:
                    workbook = stack.enter_context(_open(path, cell_checks))
                rows = _read_sheet(workbook, entry, path, cell_checks)
            # The cells' own findings (error values below) are complete before they are used.
            _settle(cell_checks, path)
            if check_lengths:
                _check_lengths(rows, entry.name, limits.max_cell_chars)
            for finding in findings[entry.name].error_values:
                if finding.row <= len(rows) and finding.column <= len(rows[finding.row - 1]):
                    rows[finding.row - 1][finding.column - 1] = finding.value
            while rows and all(value is None for value in rows[-1]):
                rows.pop()
            sheets.append(RawSheet(entry.name, rows, layout.date1904, "xlsx"))
    return sheets


def _open(path: Path, cell_checks: Future[None]) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as error:  # python-calamine raises its own error types for damaged files
        _settle(cell_checks, path)
        raise rejected(path.name, f"the workbook could not be read ({error})") from None


def _read_sheet(
    workbook: CalamineWorkbook, entry: _SheetEntry, path: Path, cell_checks: Future[None]
) -> list[list[CellValue]]:
    try:
        grid = workbook.get_sheet_by_name(entry.name).to_python(skip_empty_area=False)
    except Exception as error:  # same: any parser error means a damaged file
        _settle(cell_checks, path)
        raise rejected(path.name, f"sheet {entry.name!r} could not be read ({error})") from None
    return _cells(grid)


def _settle(cell_checks: Future[None], path: Path) -> None:
    """Wait for the cell-level checks; a file they refuse is refused for that reason first."""
    try:
        cell_checks.result()
    except SheetXmlError as error:
        raise rejected(path.name, f"the workbook is not valid: {error}") from None


_PLAIN = frozenset({int, bool, datetime.date, datetime.datetime})


def _cells(grid: list[list[Any]]) -> list[list[CellValue]]:
    """Calamine's values as RawSheet cells: empty → None, whole floats → int, times → text."""
    text, real, whole, plain, other = str, float, int, _PLAIN, _duration_text
    # One comprehension, not a loop of appends: this runs once per cell of the file.
    converted = [
        [
            (whole(value) if value.is_integer() else value)
            if value.__class__ is real
            else (value or None)
            if value.__class__ is text
            else value
            if value.__class__ in plain
            else other(value)
            for value in row
        ]
        for row in grid
    ]
    return cast(list[list[CellValue]], converted)


def _check_lengths(rows: list[list[CellValue]], sheet: str, longest: int) -> None:
    errors: list[CellError] = []
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if isinstance(value, str) and len(value) > longest:
                errors.append(_long_text_error(sheet, number, column, str(len(value))))
    if errors:
        more = f" (and {len(errors) - 1:,} more cells)" if len(errors) > 1 else ""
        raise FileRejected(errors[0].message + more, errors[:_LISTED_ERRORS])


def _duration_text(value: object) -> CellValue:
    if isinstance(value, datetime.time):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool, datetime.date)):
        return value
    return str(value)
