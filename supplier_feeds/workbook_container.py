"""The zip container of an xlsx workbook, checked before anything inflates a byte of it."""

from __future__ import annotations

import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from purchasing.errors import CellError, FileRejected
from supplier_feeds.raw import ReadLimits

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_LOCAL_HEADER = b"PK\x03\x04"
_STORED, _DEFLATED = 0, 8
# A central-directory record is 46 bytes plus its name; names in real workbooks are short.
_MAX_DIRECTORY_BYTES_PER_ENTRY = 46 + 1024
_READ_STEP = 1024 * 1024
_INFLATE_STEP = 4 * 1024 * 1024


def human_bytes(size: int) -> str:
    """A size the way a buyer reads it: 1.2 GB, 340 MB, 12 KB."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def rejected(file_name: str, message: str) -> FileRejected:
    """A rejection of the whole file, with the one error that says why."""
    return FileRejected(message, [CellError(file_name, None, None, None, message)])


@dataclass(frozen=True)
class Part:
    """One entry of the container: where its bytes are and what its directory declares."""

    name: str
    data_start: int
    compressed_size: int
    size: int
    crc: int
    method: int


class WorkbookContainer:
    """A zip whose directory passed the limits; parts are inflated by us, never past their size."""

    def __init__(self, path: Path, limits: ReadLimits) -> None:
        self.path = path
        self.file_name = path.name
        self.parts: dict[str, Part] = {}
        self._limits = limits
        self._file: BinaryIO = path.open("rb")
        try:
            self._check_directory()
        except BaseException:
            self._file.close()
            raise

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> WorkbookContainer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _damaged(self, why: str) -> FileRejected:
        return rejected(
            self.file_name,
            f"the workbook is damaged ({why}); open it in Excel and save it again as .xlsx",
        )

    def _check_directory(self) -> None:
        limits = self._limits
        size = self.path.stat().st_size
        declared_entries, directory_bytes, directory_start = self._end_of_directory(size)
        if declared_entries > limits.max_entries or directory_bytes > (
            limits.max_entries * _MAX_DIRECTORY_BYTES_PER_ENTRY
        ):
            shown = max(declared_entries, directory_bytes // _MAX_DIRECTORY_BYTES_PER_ENTRY)
            raise rejected(
                self.file_name,
                f"the workbook holds {shown:,} parts, over the limit of {limits.max_entries:,}",
            )
        try:
            with zipfile.ZipFile(self._file) as archive:
                infos = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as error:
            raise self._damaged(f"unreadable zip directory: {error}") from None
        except NotImplementedError as error:
            raise self._damaged(str(error)) from None
        if len(infos) > limits.max_entries:
            raise rejected(
                self.file_name,
                f"the workbook holds {len(infos):,} parts, over the limit of "
                f"{limits.max_entries:,}",
            )
        total = 0
        for info in infos:
            self._check_entry(info)
            total += info.file_size
        if total > limits.max_uncompressed_total:
            raise rejected(
                self.file_name,
                f"the workbook expands to {human_bytes(total)}, over the limit of "
                f"{human_bytes(limits.max_uncompressed_total)} (a zip bomb, or far too big "
                "to be a supplier file)",
            )
        self._locate_parts(infos, directory_start)

    def _end_of_directory(self, size: int) -> tuple[int, int, int]:
        """Entry count, directory size and directory offset, read before zipfile trusts them."""
        tail_length = min(size, 22 + 65535)
        self._file.seek(size - tail_length)
        tail = self._file.read(tail_length)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < 22:
            raise self._damaged("the end of the zip directory is missing; the file is cut short")
        entries, directory_bytes, directory_start = struct.unpack(
            "<xxxxxxxxxxHII", tail[at : at + 20]
        )
        if entries == 0xFFFF or directory_bytes == 0xFFFFFFFF or directory_start == 0xFFFFFFFF:
            locator = tail[at - 20 : at]
            if len(locator) != 20 or not locator.startswith(_ZIP64_LOCATOR):
                raise self._damaged("a zip64 directory without its locator")
            (record_offset,) = struct.unpack("<Q", locator[8:16])
            self._file.seek(record_offset)
            record = self._file.read(56)
            if len(record) != 56 or not record.startswith(_ZIP64_EOCD):
                raise self._damaged("the zip64 directory record is missing")
            entries, directory_bytes, directory_start = struct.unpack("<QQQ", record[32:56])
        return entries, directory_bytes, directory_start

    def _check_entry(self, info: zipfile.ZipInfo) -> None:
        limits = self._limits
        if info.flag_bits & 0x1:
            raise rejected(
                self.file_name,
                "the workbook is password-protected; remove the password and save it again",
            )
        if info.compress_type not in (_STORED, _DEFLATED):
            raise self._damaged(f"part {info.filename} uses an unsupported compression")
        if info.file_size > limits.ratio_applies_over_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_entry_ratio:
                raise rejected(
                    self.file_name,
                    f"part {info.filename} of the workbook expands {ratio:,.0f} times "
                    f"(to {human_bytes(info.file_size)}); more than {limits.max_entry_ratio:,.0f}"
                    " times is the signature of a zip bomb",
                )

    def _locate_parts(self, infos: list[zipfile.ZipInfo], directory_start: int) -> None:
        """Read each local header; parts must not overlap each other or the directory."""
        previous_end = 0
        previous_name = ""
        for info in sorted(infos, key=lambda item: item.header_offset):
            if info.filename in self.parts:
                raise self._damaged(f"two parts are named {info.filename}")
            if info.header_offset < previous_end:
                raise self._damaged(
                    f"parts {previous_name} and {info.filename} overlap (a zip bomb trick)"
                )
            self._file.seek(info.header_offset)
            header = self._file.read(30)
            if len(header) != 30 or not header.startswith(_LOCAL_HEADER):
                raise self._damaged(f"part {info.filename} has no local header")
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            data_start = info.header_offset + 30 + name_length + extra_length
            data_end = data_start + info.compress_size
            if data_end > directory_start:
                raise self._damaged(f"part {info.filename} runs past the end of its data")
            self.parts[info.filename] = Part(
                info.filename,
                data_start,
                info.compress_size,
                info.file_size,
                info.CRC,
                info.compress_type,
            )
            previous_end, previous_name = data_end, info.filename

    def resolve(self, base_part: str, target: str) -> str:
        """The part a relationship target names, relative to the part that holds the link."""
        if target.startswith("/"):
            name = target.lstrip("/")
        else:
            name = posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))
        return name

    def read(self, name: str) -> bytes:
        """A whole (small) part, inflated and verified."""
        return b"".join(self.stream(name))

    def stream(self, name: str) -> Iterator[bytes]:
        """Inflate a part step by step, stopping the moment it outgrows its declared size."""
        part = self.parts.get(name)
        if part is None:
            raise self._damaged(f"part {name} is missing")
        self._file.seek(part.data_start)
        remaining = part.compressed_size
        produced = 0
        crc = 0
        inflater = zlib.decompressobj(-15) if part.method == _DEFLATED else None
        while remaining:
            self._file.seek(part.data_start + part.compressed_size - remaining)
            raw = self._file.read(min(_READ_STEP, remaining))
            if not raw:
                raise self._damaged(f"part {name} is cut short")
            remaining -= len(raw)
            pending = raw
            while pending:
                if inflater is None:
                    data, pending = pending, b""
                else:
                    try:
                        data = inflater.decompress(pending, _INFLATE_STEP)
                    except zlib.error as error:
                        raise self._damaged(f"part {name} does not inflate: {error}") from None
                    pending = inflater.unconsumed_tail
                produced += len(data)
                if produced > part.size:
                    raise rejected(
                        self.file_name,
                        f"part {name} of the workbook inflates past its declared "
                        f"{human_bytes(part.size)} (a zip bomb trick)",
                    )
                crc = zlib.crc32(data, crc)
                if data:
                    yield data
                if inflater is not None and inflater.eof:
                    # Anything after the end of the deflate stream is never read by anyone.
                    pending, remaining = b"", 0
        if inflater is not None and not inflater.eof:
            raise self._damaged(f"part {name} is cut short")
        if produced != part.size or crc != part.crc:
            raise self._damaged(f"part {name} does not match its checksum")
