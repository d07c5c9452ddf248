"""Which encoding a supplier's text file is in: BOM, UTF-16, UTF-8, else Windows-1252."""

from __future__ import annotations

import codecs
from pathlib import Path

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_STEP = 1024 * 1024
# Old ERPs export Windows-1252; Latin-1 would also accept the five bytes 1252 leaves undefined,
# which in practice only occur in binary files.
_FALLBACK = "cp1252"


class NotText(Exception):
    """The bytes are not text in any encoding a supplier file plausibly uses; says why."""


def detect_encoding(path: Path, head: bytes) -> str:
    """The codec name to read the whole file with (the file is scanned, not loaded)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    utf16 = _utf16_without_bom(head)
    if utf16 is not None:
        return utf16
    if _is_utf8(path):
        return "utf-8"
    return _FALLBACK


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    # ASCII text in UTF-16 has a zero in every other byte, and nearly never in the others.
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as stream:
        while chunk := stream.read(_STEP):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def check_codec(name: str) -> str:
    """The canonical codec name, or NotText if Python does not know it."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise NotText(f"the encoding {name!r} is not known") from None
