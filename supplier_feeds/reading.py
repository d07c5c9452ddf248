"""``read_sheets``: any supplier file → its sheets of raw cells, or FileRejected saying why.

The kind of file is judged by its content, never by its name: a PNG named ``.csv`` is a PNG.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from supplier_feeds.csv_reading import read_csv
from supplier_feeds.json_reading import read_json
from supplier_feeds.raw import RawSheet, ReadLimits
from supplier_feeds.workbook_container import human_bytes, rejected
from supplier_feeds.workbook_reading import read_workbook

_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NOT_SPREADSHEETS = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"{\\rtf", "a Word (RTF) document"),
)
_HEAD_BYTES = 64 * 1024
# Bytes that never occur in text: control characters other than tab, newlines, form feed, ESC.
# NUL is left to the text reader, which names the line it is on.
_BINARY_BYTES = bytes(set(range(1, 32)) - {9, 10, 12, 13, 27})
_TEXT_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_sheets(
    path: Path,
    *,
    limits: ReadLimits = ReadLimits(),  # noqa: B008  # frozen, so one shared default is safe
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
) -> list[RawSheet]:
    """The sheets of an xlsx/xlsm workbook, or the one sheet of a CSV/TSV/TXT or JSON file."""
    path = Path(path)
    name = path.name
    try:
        if not path.is_file():
            raise rejected(name, f"there is no file at {path}")
        size = path.stat().st_size
        if size == 0:
            raise rejected(name, "the file is empty (0 bytes)")
        if size > limits.max_file_bytes:
            raise rejected(
                name,
                f"the file is {human_bytes(size)}, over the limit of "
                f"{human_bytes(limits.max_file_bytes)}",
            )
        with path.open("rb") as stream:
            head = stream.read(_HEAD_BYTES)
    except OSError as error:
        raise rejected(name, f"the file cannot be read ({error.strerror or error})") from None
    if head.startswith(_OLE):
        raise rejected(
            name,
            "this is a legacy .xls or password-protected workbook; open it in Excel and save it "
            "as .xlsx (without a password)",
        )
    if head.startswith(_ZIP):
        return read_workbook(path, limits, sheet)
    for magic, what in _NOT_SPREADSHEETS:
        if head.startswith(magic):
            raise rejected(name, f"this is {what}, not a spreadsheet, CSV or JSON file")
    text_start = _text_start(head)
    if text_start.startswith(("[", "{")):
        return [read_json(path, head, limits, encoding)]
    if text_start.startswith("<"):
        raise rejected(
            name,
            "this is an XML or HTML file (perhaps a web page or Excel 2003 XML saved with a "
            "spreadsheet's name); save it from Excel as .xlsx or .csv",
        )
    if encoding is None and _looks_binary(head):
        raise rejected(name, "this is not a spreadsheet or a text file (it holds binary data)")
    return [read_csv(path, head, limits, encoding, delimiter)]


def _text_start(head: bytes) -> str:
    """The first non-blank characters, whatever the BOM says the encoding is."""
    if head.startswith(codecs.BOM_UTF8):
        return head[3:512].decode("utf-8", errors="ignore").lstrip()
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[2:514].decode(codec, errors="ignore").lstrip()
    return head[:512].decode("latin-1").lstrip()


def _looks_binary(head: bytes) -> bool:
    if head.startswith(_TEXT_BOMS):
        return False
    sample = head[:8192]
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) or even.count(0) > 0.4 * len(even):
        return False  # UTF-16 without a BOM: the text reader decides
    controls = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    return controls > max(1, len(sample) // 100)
