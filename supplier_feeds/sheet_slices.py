"""Reading a large worksheet on both cores: its checked XML cut into slices at row boundaries.

python-calamine parses one sheet on one core and must not see a byte that the checks have
not passed. A large sheet is therefore cut, while it is being checked, into a few slices of
whole rows; each slice becomes a small workbook of its own (the original's workbook, styles
and shared texts, and that slice of the sheet) and is parsed on a worker thread as soon as
its last row has passed the checks — python-calamine lets go of the interpreter while it
parses, so the checks of the next slice carry on beside it.

The slices are put back together by the positions python-calamine reports. Whenever they do
not fit together exactly (rows written out of order, a slice it could not read), the result
is thrown away and the sheet is read whole, the ordinary way: slicing is only ever an
optimisation, never a second opinion.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from supplier_feeds.raw import CellValue, MiB
from supplier_feeds.workbook_container import WorkbookContainer

# A slice below this size is not worth a workbook of its own.
MIN_SLICE_BYTES = 12 * MiB
MAX_SLICES = 2  # one per core: more slices slow the checks they run beside

_SHEET_DATA = b"<sheetData>"
_ROW_START = b'<row r="'
_ROW_NUMBER = re.compile(rb'<row r="([0-9]{1,7})"')
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_CLOSE = b"</sheetData></worksheet>"

Converter = Callable[[list[list[Any]]], list[list[CellValue]]]


# With two slices the first gets more of the rows: it is parsed while the second is still being
# checked, so both finish at about the same time. (On the benchmark workbook 0.6 read a little
# faster than an even cut, by less than this machine's run-to-run noise.)
FIRST_SHARE = 0.6


def _starts_at(index: int, slices: int) -> float:
    """Where slice ``index`` (1, 2, …) starts, as a share of the sheet's bytes."""
    return FIRST_SHARE if slices == 2 else index / slices


def slice_count(sheet_bytes: int) -> int:
    """How many slices a sheet of this many (inflated) bytes is cut into; 1 means none."""
    return max(1, min(MAX_SLICES, sheet_bytes // MIN_SLICE_BYTES))


@dataclass(frozen=True)
class _Parsed:
    first_row: int  # 0-based row of the slice's first row in the grid, as python-calamine saw it
    first_column: int
    rows: list[list[CellValue]]


class SheetSlicer:
    """Takes a sheet's XML chunk by chunk (each already checked) and parses it in slices."""

    def __init__(
        self,
        container: WorkbookContainer,
        sheet: str,
        part: str,
        slices: int,
        folder: Path,
        pool: ThreadPoolExecutor,
        convert: Converter,
    ) -> None:
        self._part = part
        self._folder = folder
        self._pool = pool
        self._convert = convert
        self.sheet = sheet
        size = container.parts[part].size
        # What the parser reads besides the sheet: the content types, the relationships, the
        # workbook, its styles (which cells are dates) and its shared texts — all already
        # checked. Read now, before the sheet is streamed, and written into every slice.
        self._other_parts = {
            name: container.read(name) for name in container.parts if _needed(name, part)
        }
        # Where each slice after the first should start (it starts at the next row after).
        self._targets = [int(size * _starts_at(index, slices)) for index in range(1, slices)]
        self._seen = 0
        self._head: bytes | None = None
        self._writer: _SliceWriter | None = None
        self._cut_rows: list[int] = []  # 1-based first row of each slice after the first
        self._parsed: list[Future[_Parsed]] = []
        self.usable = True

    def feed(self, chunk: bytes | None) -> None:
        """The next chunk of the sheet's XML, every byte of it checked; None: read it whole."""
        if chunk is None:
            self.abandon()
        if chunk is None or not self.usable:
            return
        try:
            self._take(chunk)
        except OSError:
            self.abandon()  # no room for the slices (a full disk): the sheet is read whole

    def _take(self, chunk: bytes) -> None:
        start = self._seen
        self._seen += len(chunk)
        position = 0
        if self._head is None:
            position = self._open_first(chunk)
            if position < 0:
                return
        head = self._head
        assert head is not None
        assert self._writer is not None
        while self._targets and self._seen > self._targets[0]:
            at = chunk.find(_ROW_START, max(position, self._targets[0] - start))
            if at < 0:
                break  # no row starts in the rest of this chunk: cut in a later one
            number = _ROW_NUMBER.match(chunk, at)
            if number is None:
                self.abandon()
                return
            self._writer.write(chunk[position:at])
            self._close_slice(_CLOSE)
            self._targets.pop(0)
            self._cut_rows.append(int(number.group(1)))
            self._writer = self._new_writer(head)
            position = at
        self._writer.write(chunk[position:])

    def finish(self) -> None:
        """Every chunk has been fed and the whole sheet passed its checks."""
        if self.usable and self._writer is not None:
            try:
                self._close_slice(b"")
            except OSError:
                self.abandon()

    def abandon(self) -> None:
        """The sheet is to be read whole: drop the slices (running parses end on their own)."""
        self.usable = False
        writer, self._writer = self._writer, None
        if writer is not None:
            with suppress(OSError):
                writer.close()

    def rows(self) -> list[list[CellValue]] | None:
        """The sheet's rows from the slices, or None when it must be read whole after all."""
        try:
            if not self.usable or not self._parsed:
                return None
            try:
                parsed = [future.result() for future in self._parsed]
            except Exception:  # python-calamine's own errors: the whole read will say what
                return None
            return _assemble(parsed, self._cut_rows)
        finally:
            # No slice is still being parsed, or held, when the sheet is read whole instead.
            for future in self._parsed:
                future.cancel()
            wait(self._parsed)
            self._parsed = []

    def _open_first(self, chunk: bytes) -> int:
        """Keep the sheet's head for every slice; where the rows start, or -1 to give up."""
        at = chunk.find(_SHEET_DATA)
        if at < 0:
            self.abandon()  # an unusual head: read the sheet whole
            return -1
        end = at + len(_SHEET_DATA)
        # Each slice declares no dimension of its own: its cells say where they are.
        self._head = _DIMENSION.sub(b"", chunk[:end])
        self._writer = self._new_writer(self._head)
        return end

    def _new_writer(self, head: bytes) -> _SliceWriter:
        index = len(self._parsed)
        writer = _SliceWriter(self._folder / f"slice-{index}.xlsx", self._other_parts, self._part)
        writer.write(head)
        return writer

    def _close_slice(self, tail: bytes) -> None:
        assert self._writer is not None
        self._writer.write(tail)
        path = self._writer.close()
        self._writer = None
        whole_area = not self._parsed  # the first slice is read from A1, like the whole sheet
        self._parsed.append(
            self._pool.submit(_parse_slice, path, self.sheet, whole_area, self._convert)
        )


class _SliceWriter:
    """One slice's workbook: the original's other XML parts and this slice of the sheet."""

    def __init__(self, path: Path, other_parts: dict[str, bytes], part: str) -> None:
        self.path = path
        self._archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED)
        try:
            for name, data in other_parts.items():
                self._archive.writestr(name, data)
            self._sheet = self._archive.open(zipfile.ZipInfo(part), "w")
        except BaseException:
            self._archive.close()
            raise

    def write(self, data: bytes) -> None:
        if data:
            self._sheet.write(data)

    def close(self) -> Path:
        self._sheet.close()
        self._archive.close()
        return self.path


def _needed(name: str, sheet_part: str) -> bool:
    """Whether a part of the workbook goes into each slice's workbook (never a worksheet)."""
    lowered = name.lower()
    if name == sheet_part or lowered.startswith("xl/worksheets/"):
        return False
    return lowered in ("[content_types].xml", "xl/workbook.xml") or lowered.endswith(
        (".rels", "styles.xml", "sharedstrings.xml")
    )


def _parse_slice(path: Path, sheet: str, whole_area: bool, convert: Converter) -> _Parsed:
    with CalamineWorkbook.from_path(str(path)) as workbook:
        parsed = workbook.get_sheet_by_name(sheet)
        grid = parsed.to_python(skip_empty_area=not whole_area)
        start = (0, 0) if whole_area else (parsed.start or (0, 0))
    return _Parsed(start[0], start[1], convert(grid))


def _assemble(parsed: list[_Parsed], cut_rows: list[int]) -> list[list[CellValue]] | None:
    """The slices' rows in one grid, as wide as the widest (as python-calamine makes a whole
    sheet), or None if a slice holds rows outside its own range."""
    width = max(
        (piece.first_column + len(piece.rows[0]) for piece in parsed if piece.rows), default=0
    )
    rows: list[list[CellValue]] = []
    for index, piece in enumerate(parsed):
        if not piece.rows:
            continue
        first = piece.first_row + 1  # 1-based, as the cut rows are
        last = piece.first_row + len(piece.rows)
        low = cut_rows[index - 1] if index > 0 else 1
        high = cut_rows[index] - 1 if index < len(cut_rows) else None
        if first < low or (high is not None and last > high):
            return None  # rows out of order across slices: read the sheet whole
        while len(rows) < piece.first_row:
            rows.append([None] * width)
        before = [None] * piece.first_column
        after = [None] * (width - piece.first_column - len(piece.rows[0]))
        if before or after:
            rows.extend([*before, *row, *after] for row in piece.rows)
        else:
            rows.extend(piece.rows)
    return rows
