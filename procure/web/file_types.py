"""What kind of file an upload really is, judged by its first bytes, never by its name."""

from __future__ import annotations

from dataclasses import dataclass

from purchasing.errors import FileRejected

SNIFF_BYTES = 64 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UTF8_BOM = b"\xef\xbb\xbf"
_REFUSED_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\x7fELF": "a program",
    b"MZ": "a Windows program",
    b"PK\x05\x06": "an empty zip archive",
}


@dataclass(frozen=True)
class SniffedType:
    """The content type procure will treat the upload as, with the suffix it is stored under."""

    name: str
    suffix: str


XLSX = SniffedType("Excel workbook (xlsx)", ".xlsx")
CSV = SniffedType("text (CSV)", ".csv")
JSON = SniffedType("JSON", ".json")


def _refuse(what: str) -> FileRejected:
    return FileRejected(
        f"the file is {what}; send an Excel workbook (.xlsx), a CSV text file or JSON"
    )


def sniff(head: bytes) -> SniffedType:
    """Classify the first bytes of an upload, or raise FileRejected saying what it is."""
    if not head:
        raise FileRejected("the file is empty")
    if head.startswith(ZIP_MAGIC):
        # Every xlsx is a zip; the reader checks the container before opening it.
        return XLSX
    if head.startswith(OLE_MAGIC):
        raise FileRejected(
            "the file is a legacy .xls workbook or a password-protected one; "
            "save it as .xlsx without a password and send it again"
        )
    for magic, what in _REFUSED_MAGIC.items():
        if head.startswith(magic):
            raise _refuse(what)
    # Anything else is treated as text; the reader refuses binary data naming the line.
    text = head.removeprefix(UTF8_BOM).lstrip()
    if text[:1] in (b"{", b"["):
        return JSON
    return CSV
