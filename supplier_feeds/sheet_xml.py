"""Streaming checks of a worksheet's XML: the real extent of its cells, formulas without a saved
value, Excel error values, over-long texts and shared strings — before any parser builds a grid.

The fast path is a handful of bounded regular expressions over chunks cut at cell boundaries;
whenever a sheet is written in a way those expressions cannot vouch for (cells without a
reference, attribute values holding ``=`` or ``>``), the sheet is re-read with expat instead.
"""

from __future__ import annotations

import html
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from supplier_feeds.raw import ReadLimits

_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
_CHUNK_BYTES = 4 * 1024 * 1024

# Any cell start tag, self-closing or not.
_CELL_TAG = re.compile(rb"<" + _PREFIX + rb"[cC][\s/>]")
_REFERENCE = re.compile(rb"\s[rR]\s*=\s*[\"']([A-Za-z]{1,9})([0-9]{1,12})[\"']")
# The fast path reads sheets written the way every spreadsheet program writes them: each cell
# tag starts `<c r="B12"`, without a namespace prefix. These catch anything else.
_CANONICAL_CELL = b'<c r="'
_ODD_CELL_TAG = re.compile(rb'<c(?:[>/\t\n\r]| (?!r="))')
_PREFIXED_CELL = re.compile(rb":[cC][\s>/]")
# Any r attribute (of a cell or a row, however spaced or quoted, first or repeated) whose value
# is not a plain reference in columns A-Z and rows below 1,000,000. Ordinary sheets have none,
# so one search vouches for a whole chunk; a chunk with some gets the exact treatment.
# (It also stops at header="0.3" and the like; the exact look at that chunk sorts them out.)
_UNUSUAL_R = re.compile(rb"r\s*=\s*[\"'](?![A-Z]?[0-9]{1,6}[\"'])")
# The literal first lets the search jump between candidates; the look-behind then drops
# attributes whose name merely ends in r.
# The extent the fast reading vouches for without measuring it: columns A-Z, rows below
# 1,000,000 (what _UNUSUAL_R lets through).
FAST_MAX_COLUMN = 26
FAST_MAX_ROW = 999_999
_ANY_R = re.compile(rb"r(?<![\w:.\-]r)\s*=\s*[\"']([^\"']*)[\"']")
_PLAIN_R = re.compile(r"([A-Z]{0,3})([0-9]{1,7})")
_FORMULA = re.compile(rb"<" + _PREFIX + rb"f[\s/>]")
# A formula end not followed by a value element with something in it.
_FORMULA_WITHOUT_VALUE = re.compile(
    rb"(?:</" + _PREFIX + rb"f\s*>|<" + _PREFIX + rb"f(?:\s[^>]*)?/>)"
    rb"(?=\s*<)(?!\s*<" + _PREFIX + rb"v(?:\s[^>]*)?>\s*[^<\s])"
)
_ERROR_TYPE = re.compile(rb"\bt\s*=\s*[\"']e[\"']")
_TYPE = re.compile(rb"\bt\s*=\s*[\"']([A-Za-z]+)[\"']")
_VALUE = re.compile(rb"<" + _PREFIX + rb"v(?:\s[^>]*)?>([^<]*)<")
_FORMULA_TEXT = re.compile(rb"<" + _PREFIX + rb"f(?:\s[^>]*)?>([^<]*)<")
_SHARED_CELL_INDEX = re.compile(
    rb"<"
    + _PREFIX
    + rb"[cC]\s[^>]*?\bt\s*=\s*[\"']s[\"'][^>]*>\s*<"
    + _PREFIX
    + rb"v(?:\s[^>]*)?>\s*([0-9]{1,12})\s*<"
)
_SHARED_STRING_START = re.compile(rb"<" + _PREFIX + rb"si[\s/>]")
_PHONETIC = re.compile(rb"<" + _PREFIX + rb"rPh\b.*?</" + _PREFIX + rb"rPh\s*>", re.DOTALL)
_TAG = re.compile(rb"<[^>]*>")
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']+)[\"']")
_MARKUP_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY", b"<!ELEMENT", b"<!ATTLIST")


class SheetXmlError(Exception):
    """The XML of a part is not something a spreadsheet program writes; the text says why."""


def column_letters(number: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_number(letters: str) -> int:
    """A → 1, AA → 27."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def split_reference(reference: str) -> tuple[int, int] | None:
    """ "B12" → (12, 2); None when it is not a plain cell reference."""
    match = re.fullmatch(r"\$?([A-Za-z]{1,9})\$?([0-9]{1,12})", reference.strip())
    if match is None:
        return None
    return int(match.group(2)), column_number(match.group(1))


@dataclass
class CellFinding:
    """Something about one cell that the reader must act on."""

    row: int
    column: int
    value: str | None


@dataclass
class SheetFindings:
    """What a worksheet's XML holds, as far as safety and faithful reading are concerned."""

    max_row: int = 0
    max_column: int = 0
    has_cells: bool = False
    formulas_without_value: list[CellFinding] = field(default_factory=list)
    error_values: list[CellFinding] = field(default_factory=list)
    long_texts: list[CellFinding] = field(default_factory=list)  # value = character count
    shared_uses: Counter[int] | None = None
    extent_is_bound: bool = False  # max_row/max_column may overstate the extent (never under)
    may_hold_long_text: bool = False
    cells_checked: bool = True  # formulas, error values and long texts are in (see below)


def check_prolog(first_chunk: bytes, part: str) -> None:
    """Spreadsheet XML is UTF-8; another encoding would blind the byte-level checks."""
    if first_chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first_chunk[:4]:
        raise SheetXmlError(f"part {part} is not UTF-8 XML")
    declared = _XML_ENCODING.match(first_chunk)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise SheetXmlError(f"part {part} declares the encoding {declared.group(1).decode()!r}")


def check_declarations(chunk: bytes, part: str) -> None:
    """No DTDs or entities anywhere: they are how XML bombs and XXE attacks are built."""
    # "!" is rare in sheet XML and found by a plain byte search; "<!" is found by stopping at
    # every "<", which every tag has.
    if chunk.find(b"!") < 0 or chunk.find(b"<!") < 0:
        return
    for declaration in _MARKUP_DECLARATIONS:
        if declaration in chunk:
            raise SheetXmlError(
                f"part {part} declares XML entities or a DTD (an XML bomb or XXE attack?)"
            )


def cell_chunks(stream: Iterable[bytes], part: str) -> Iterator[bytes]:
    """Chunks of a part that each end just before a cell starts, so no cell is split."""
    buffer = b""
    first = True
    for piece in stream:
        if first:
            check_prolog(piece, part)
            first = False
        buffer += piece
        if len(buffer) < _CHUNK_BYTES:
            continue
        cut = buffer.rfind(_CANONICAL_CELL)
        if cut <= 0:
            cut = _last_cell_start(buffer)
        if cut > 0:
            head, buffer = buffer[:cut], buffer[cut:]
            check_declarations(head, part)
            yield head
    if buffer:
        if first:
            check_prolog(buffer, part)
        check_declarations(buffer, part)
        yield buffer


def _last_cell_start(buffer: bytes) -> int:
    window = 64 * 1024
    while True:
        start = max(0, len(buffer) - window)
        last = -1
        for match in _CELL_TAG.finditer(buffer, start):
            last = match.start()
        if last > 0 or start == 0:
            return last
        window *= 16


def scan_sheet_extent(
    stream: Callable[[], Iterable[bytes]],
    part: str,
    limits: ReadLimits,
    *,
    count_shared_uses: bool = False,
    checked: Callable[[bytes | None], None] | None = None,
) -> SheetFindings:
    """What a parser needs known before it builds a grid: the extent of the cells and how often
    shared texts are used. Cell-level findings may be left for :func:`scan_sheet_cells`
    (``cells_checked`` says whether they are in already), which can run beside the parser.

    ``checked`` receives the sheet's XML chunk by chunk, each once it has passed the checks
    and every cell of it lies in columns A-Z and rows below 1,000,000; at the first chunk that
    does not, or that the patterns cannot vouch for, it receives None and nothing more."""
    findings = _fast_extent(stream(), part, count_shared_uses, checked)
    if findings is None or (findings.extent_is_bound and over_limits(findings, limits)):
        findings = _exact_scan(stream(), part, limits.max_cell_chars, count_shared_uses)
    return findings


def over_limits(findings: SheetFindings, limits: ReadLimits) -> bool:
    return (
        findings.max_row > limits.max_rows
        or findings.max_column > limits.max_columns
        or findings.max_row * findings.max_column > limits.max_cells
    )


def _fast_extent(
    stream: Iterable[bytes],
    part: str,
    count_shared_uses: bool,
    checked: Callable[[bytes | None], None] | None,
) -> SheetFindings | None:
    """The extent from rare-pattern searches; None when the sheet is unusual."""
    findings = SheetFindings(shared_uses=Counter() if count_shared_uses else None)
    wide, tall = 0, 0
    for chunk in cell_chunks(stream, part):
        if _ODD_CELL_TAG.search(chunk) or (chunk.find(b":c") >= 0 and _PREFIXED_CELL.search(chunk)):
            # A cell without its reference first (its place is implied), or a prefixed one.
            if checked is not None:
                checked(None)
            return None
        if _UNUSUAL_R.search(chunk):
            extent = _extent(chunk)
            if extent is None:
                if checked is not None:
                    checked(None)
                return None
            tall, wide = max(tall, extent[0]), max(wide, extent[1])
            if checked is not None and (tall > FAST_MAX_ROW or wide > FAST_MAX_COLUMN):
                checked(None)
                checked = None
        if not findings.has_cells:
            findings.has_cells = chunk.find(_CANONICAL_CELL) >= 0
        if findings.shared_uses is not None:
            findings.shared_uses.update(int(index) for index in _SHARED_CELL_INDEX.findall(chunk))
        if checked is not None:
            checked(chunk)
    if findings.has_cells:
        # Without a wide or tall reference, every column is A-Z and every row below 1,000,000:
        # those bounds stand in for the exact extent (they only ever overstate it).
        findings.max_column = max(wide, FAST_MAX_COLUMN)
        findings.max_row = max(tall, FAST_MAX_ROW)
        findings.extent_is_bound = not (wide > FAST_MAX_COLUMN and tall > FAST_MAX_ROW)
    findings.cells_checked = False
    return findings


def scan_sheet_cells(
    stream: Iterable[bytes], part: str, max_cell_chars: int, findings: SheetFindings
) -> None:
    """Formulas without a saved value, error values and over-long texts, by rare-pattern
    searches of a sheet whose extent passed :func:`scan_sheet_extent`'s fast reading."""
    last_reference = (0, 0)
    for chunk in cell_chunks(stream, part):
        if chunk.find(b"<f") >= 0:
            _formulas_without_value(chunk, last_reference, findings)
        if chunk.find(b't="e"') >= 0:
            _error_values(chunk, findings)
        if chunk.find(b"<is") >= 0 or chunk.find(b'"str"') >= 0:
            findings.may_hold_long_text = True
            _long_texts(chunk, max_cell_chars, findings)
        last_reference = _last_reference(chunk, last_reference)
    findings.cells_checked = True


def _extent(chunk: bytes) -> tuple[int, int] | None:
    """Largest row and column among every r attribute of the chunk; None if one is not plain."""
    rows, columns = 0, 0
    for value in set(_ANY_R.findall(chunk)):
        plain = _PLAIN_R.fullmatch(value.decode("ascii", errors="replace"))
        if plain is None:
            return None
        rows = max(rows, int(plain.group(2)))
        if plain.group(1):
            columns = max(columns, column_number(plain.group(1)))
    return rows, columns


def _cell_starts(chunk: bytes) -> list[int]:
    return [match.start() for match in _CELL_TAG.finditer(chunk)]


def _reference_at(chunk: bytes, start: int) -> tuple[int, int] | None:
    tag_end = chunk.find(b">", start)
    match = _REFERENCE.search(chunk, start, tag_end + 1 if tag_end >= 0 else len(chunk))
    if match is None:
        return None
    return int(match.group(2)), column_number(match.group(1).decode())


def _last_reference(chunk: bytes, previous: tuple[int, int]) -> tuple[int, int]:
    tail_start = max(0, len(chunk) - 64 * 1024)
    last = -1
    for match in _CELL_TAG.finditer(chunk, tail_start):
        last = match.start()
    if last < 0:
        return previous
    return _reference_at(chunk, last) or previous


def _formulas_without_value(
    chunk: bytes, previous: tuple[int, int], findings: SheetFindings
) -> None:
    for match in _FORMULA_WITHOUT_VALUE.finditer(chunk):
        cell_start = _cell_start_before(chunk, match.start())
        reference = previous if cell_start < 0 else _reference_at(chunk, cell_start)
        row, column = reference or previous
        tag = chunk[max(cell_start, 0) : match.end()]
        cell_type = _TYPE.search(tag[: tag.find(b">") + 1])
        if cell_type and cell_type.group(1) in (b"str", b"inlineStr"):
            continue  # a formula whose saved result is the empty text
        text = _FORMULA_TEXT.search(tag)
        formula = "=" + _text(text.group(1)) if text and text.group(1) else None
        findings.formulas_without_value.append(CellFinding(row, column, formula))


def _cell_start_before(chunk: bytes, position: int) -> int:
    window = 1024
    while True:
        start = max(0, position - window)
        last = -1
        for match in _CELL_TAG.finditer(chunk, start, position):
            last = match.start()
        if last >= 0 or start == 0:
            return last
        window *= 8


def _error_values(chunk: bytes, findings: SheetFindings) -> None:
    for start in _cell_starts(chunk):
        tag_end = chunk.find(b">", start)
        if tag_end < 0 or not _ERROR_TYPE.search(chunk, start, tag_end):
            continue
        reference = _reference_at(chunk, start)
        if reference is None:
            continue
        value = _VALUE.search(chunk, tag_end, min(len(chunk), tag_end + 64 * 1024))
        code = _text(value.group(1)).strip() if value else ""
        findings.error_values.append(CellFinding(*reference, code or "#VALUE!"))


def _long_texts(chunk: bytes, max_cell_chars: int, findings: SheetFindings) -> None:
    starts = _cell_starts(chunk)
    bounds = [*starts, len(chunk)]
    for start, end in itertools.pairwise(bounds):
        if end - start <= max_cell_chars:
            continue
        cell = chunk[start:end]
        length = text_length(cell[cell.find(b">") + 1 :])
        if length > max_cell_chars:
            reference = _reference_at(chunk, start)
            if reference is not None:
                findings.long_texts.append(CellFinding(*reference, str(length)))


def text_length(xml: bytes) -> int:
    """Characters of text in a fragment of cell XML, phonetic guides left out."""
    return len(_text(_TAG.sub(b"", _PHONETIC.sub(b"", xml))))


def _text(raw: bytes) -> str:
    return html.unescape(raw.decode("utf-8", errors="replace"))


def _exact_scan(
    stream: Iterable[bytes], part: str, max_cell_chars: int, count_shared_uses: bool
) -> SheetFindings:
    """The same findings from expat, for sheets the patterns cannot vouch for."""
    findings = SheetFindings(shared_uses=Counter() if count_shared_uses else None)
    state = _ExactState(findings, max_cell_chars)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = state.start
    parser.EndElementHandler = state.end
    parser.CharacterDataHandler = state.text
    parser.StartDoctypeDeclHandler = _refuse_declarations
    parser.EntityDeclHandler = _refuse_declarations
    try:
        for chunk in cell_chunks(stream, part):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise SheetXmlError(f"part {part} is not well-formed XML ({error})") from None
    except ValueError as error:
        raise SheetXmlError(f"part {part}: {error}") from None
    return findings


def _refuse_declarations(*_args: object) -> None:
    raise ValueError("declares XML entities or a DTD (an XML bomb or XXE attack?)")


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class _ExactState:
    """Where expat is in the sheet: row and column as a spreadsheet program would count them."""

    def __init__(self, findings: SheetFindings, max_cell_chars: int) -> None:
        self.findings = findings
        self.max_cell_chars = max_cell_chars
        self.row = 0
        self.column = 0
        self.in_cell = False
        self.cell_type = ""
        self.has_content = False
        self.formula: str | None = None
        self.value: str | None = None
        self.text_parts: list[str] = []
        self.collecting: str | None = None
        self.text_length = 0
        self.in_phonetic = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "row":
            number = attributes.get("r")
            self.row = int(number) if number and number.isdigit() else self.row + 1
            self.column = 0
        elif tag == "c":
            self._start_cell(attributes)
        elif self.in_cell:
            self.has_content = True
            if tag in ("f", "v"):
                self.collecting, self.text_parts = tag, []
            elif tag == "rPh":
                self.in_phonetic = True
            elif tag == "t" and not self.in_phonetic:
                self.collecting, self.text_parts = "t", []

    def _start_cell(self, attributes: dict[str, str]) -> None:
        reference = attributes.get("r")
        place = split_reference(reference) if reference else None
        if reference and place is None:
            raise ValueError(f"cell reference {reference!r} is not understood")
        if place is None:
            self.column += 1
            if self.row == 0:
                self.row = 1
        else:
            self.row, self.column = place
        self.in_cell, self.has_content = True, False
        self.cell_type = attributes.get("t", "n")
        self.formula, self.value, self.text_length = None, None, 0

    def text(self, data: str) -> None:
        if self.in_cell:
            self.has_content = True
            if self.collecting is not None:
                self.text_parts.append(data)

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag == "c" and self.in_cell:
            self._end_cell()
        elif tag == "rPh":
            self.in_phonetic = False
        elif self.collecting == tag:
            text = "".join(self.text_parts)
            if tag == "f":
                self.formula = text
            elif tag == "v":
                self.value = text
                self.text_length += len(text)
            else:
                self.text_length += len(text)
            self.collecting = None

    def _end_cell(self) -> None:
        findings = self.findings
        self.in_cell = False
        if not self.has_content:
            return
        findings.has_cells = True
        findings.max_row = max(findings.max_row, self.row)
        findings.max_column = max(findings.max_column, self.column)
        has_value = self.value is not None and self.value.strip() != ""
        if (
            self.formula is not None
            and not has_value
            and self.cell_type not in ("str", "inlineStr")
        ):
            shown = "=" + self.formula if self.formula else None
            findings.formulas_without_value.append(CellFinding(self.row, self.column, shown))
        if self.cell_type == "e":
            code = (self.value or "").strip() or "#VALUE!"
            findings.error_values.append(CellFinding(self.row, self.column, code))
        if self.text_length > self.max_cell_chars:
            findings.long_texts.append(CellFinding(self.row, self.column, str(self.text_length)))
        if (
            findings.shared_uses is not None
            and self.cell_type == "s"
            and self.value is not None
            and self.value.strip().isdigit()
        ):
            findings.shared_uses[int(self.value)] += 1


@dataclass
class SharedStrings:
    """Lengths of the workbook's shared texts, by index (an upper bound in characters)."""

    lengths: list[int] = field(default_factory=list)
    exact: dict[int, int] = field(default_factory=dict)  # index → characters, for long ones

    def length(self, index: int) -> int:
        if index in self.exact:
            return self.exact[index]
        return self.lengths[index] if 0 <= index < len(self.lengths) else 0

    @property
    def longest(self) -> int:
        return max(self.lengths, default=0)


def scan_shared_strings(stream: Iterable[bytes], part: str, max_cell_chars: int) -> SharedStrings:
    """Byte span of every shared text, and the exact length of any that might be too long."""
    shared = SharedStrings()
    buffer = b""
    first = True
    for piece in stream:
        if first:
            check_prolog(piece, part)
            first = False
        buffer += piece
        if len(buffer) < _CHUNK_BYTES:
            continue
        starts = [match.start() for match in _SHARED_STRING_START.finditer(buffer)]
        if not starts or starts[-1] == 0:
            continue
        head, buffer = buffer[: starts[-1]], buffer[starts[-1] :]
        check_declarations(head, part)
        _measure_shared(head, shared, max_cell_chars)
    if first and buffer:
        check_prolog(buffer, part)
    check_declarations(buffer, part)
    _measure_shared(buffer, shared, max_cell_chars)
    return shared


def _measure_shared(chunk: bytes, shared: SharedStrings, max_cell_chars: int) -> None:
    # The piece before the first <si> is the document's head, or empty: not a string.
    pieces = _SHARED_STRING_START.split(chunk)[1:]
    offset = len(shared.lengths)
    lengths = [len(piece) for piece in pieces]
    shared.lengths.extend(lengths)
    for position, size in enumerate(lengths):
        if size > max_cell_chars:
            shared.exact[offset + position] = text_length(pieces[position])
