"""Read a multipart upload as it streams in, stopping at the size cap before it is all read.

Files go straight to randomly named files in the uploads folder; the name the client
gave is kept for display only and never becomes part of a path.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from procure.web.file_types import SNIFF_BYTES
from purchasing.errors import InputRejected

# Room for the boundaries, part headers and the small text fields around the files.
FORM_OVERHEAD_BYTES = 64 * 1024
MAX_DISPLAY_NAME = 255


class FormRefused(InputRejected):
    """The request is not a well-formed upload form."""


class UploadTooLarge(InputRejected):
    """The upload passed its size cap while it was streaming in."""


@dataclass
class ReceivedFile:
    """One file part, already on disk under a random name."""

    field: str
    display_name: str
    path: Path
    size: int
    sha256: str
    head: bytes


@dataclass
class ReceivedForm:
    """The text fields and the non-empty files of one upload form."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, ReceivedFile] = field(default_factory=dict)

    def discard(self) -> None:
        """Delete every stored file of this form."""
        for received in self.files.values():
            received.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class FormLimits:
    """Caps for one form: bytes per file field, text field size, number of parts."""

    file_caps: dict[str, int]
    max_field_bytes: int = 4096
    max_parts: int = 12

    @property
    def max_body_bytes(self) -> int:
        return sum(self.file_caps.values()) + FORM_OVERHEAD_BYTES

    @property
    def too_large(self) -> UploadTooLarge:
        # Buyers know the file limit; the form's own overhead is not theirs to count.
        largest = max(self.file_caps.values(), default=0)
        return UploadTooLarge(
            f"the file is larger than the limit of {_megabytes(largest)}; "
            "split it into smaller files"
        )


def display_name(raw: str) -> str:
    """The client's file name made safe to show: last path segment, no control characters."""
    last = raw.replace("\\", "/").rsplit("/", 1)[-1]
    shown = "".join(ch for ch in last if unicodedata.category(ch)[0] != "C").strip()
    return shown[:MAX_DISPLAY_NAME] or "upload"


def _disposition(value: bytes) -> tuple[str | None, str | None]:
    _, options = parse_options_header(value.decode("latin-1"))
    name = options.get(b"name")
    filename = options.get(b"filename")
    return (
        name.decode("utf-8", "replace") if name is not None else None,
        filename.decode("utf-8", "replace") if filename is not None else None,
    )


def _open_random(folder: Path) -> tuple[Path, BinaryIO]:
    path = folder / f"{secrets.token_hex(16)}.part"
    # O_EXCL: never follow or reuse an existing entry; 0600: only procure reads uploads.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return path, os.fdopen(descriptor, "wb")


class _FormReader:
    """Multipart parser callbacks that enforce the limits part by part."""

    def __init__(
        self,
        folder: Path,
        limits: FormLimits,
        before_first_file: Callable[[dict[str, str]], None],
    ) -> None:
        self.folder = folder
        self.limits = limits
        self.before_first_file = before_first_file
        self.form = ReceivedForm()
        self.parts = 0
        self.finished = False
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._field_name: str | None = None
        self._text: bytearray | None = None
        self._file: BinaryIO | None = None
        self._received: ReceivedFile | None = None
        self._digest = hashlib.sha256()
        self._files_seen = False
        self._nameless = False

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise FormRefused(f"the form has more than {self.limits.max_parts} parts")
        self._headers = {}
        self._field_name = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        name = bytes(self._header_field).decode("latin-1").strip().lower()
        self._headers[name] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        name, filename = _disposition(self._headers.get("content-disposition", b""))
        if not name:
            raise FormRefused("a form part has no field name")
        self._field_name = name
        if filename is None:
            if name in self.limits.file_caps:
                raise FormRefused(f"the field {name!r} must be a file")
            self._text = bytearray()
            return
        if name not in self.limits.file_caps:
            raise FormRefused(f"the form does not take a file in the field {name!r}")
        if name in self.form.files or (self._received and self._received.field == name):
            raise FormRefused(f"the form takes one file in the field {name!r}")
        if not self._files_seen:
            self._files_seen = True
            # The CSRF check happens here, so a forged post never gets a byte written.
            self.before_first_file(dict(self.form.fields))
        path, handle = _open_random(self.folder)
        self._file = handle
        self._digest = hashlib.sha256()
        self._received = ReceivedFile(name, display_name(filename), path, 0, "", b"")
        self._nameless = not filename.strip()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._text is not None:
            self._text += chunk
            if len(self._text) > self.limits.max_field_bytes:
                raise FormRefused(
                    f"the field {self._field_name!r} is longer than "
                    f"{self.limits.max_field_bytes} bytes"
                )
            return
        received, handle = self._received, self._file
        if received is None or handle is None:
            return
        received.size += len(chunk)
        cap = self.limits.file_caps[received.field]
        if received.size > cap:
            raise UploadTooLarge(
                f"the file is larger than the limit of {_megabytes(cap)}; "
                "split it into smaller files"
            )
        if len(received.head) < SNIFF_BYTES:
            received.head += chunk[: SNIFF_BYTES - len(received.head)]
        self._digest.update(chunk)
        handle.write(chunk)

    def on_part_end(self) -> None:
        if self._text is not None and self._field_name is not None:
            text = bytes(self._text).decode("utf-8", "replace")
            self.form.fields[self._field_name] = text
            self._text = None
            return
        received, handle = self._received, self._file
        if received is None or handle is None:
            return
        handle.close()
        self._file, self._received = None, None
        received.sha256 = self._digest.hexdigest()
        if received.size == 0 and self._nameless:
            # A file input left empty in the browser arrives as a nameless, empty part.
            received.path.unlink(missing_ok=True)
            return
        self.form.files[received.field] = received

    def on_end(self) -> None:
        self.finished = True

    def abandon(self) -> None:
        """Close and delete everything written so far."""
        if self._file is not None:
            self._file.close()
        if self._received is not None:
            self._received.path.unlink(missing_ok=True)
        self.form.discard()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _boundary(content_type: str) -> bytes:
    media_type, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise FormRefused("the upload must be sent as a multipart form")
    if len(boundary) > 200:
        raise FormRefused("the multipart boundary is too long")
    return boundary


async def receive_form(
    chunks: AsyncIterator[bytes],
    *,
    content_type: str,
    content_length: str | None,
    folder: Path,
    limits: FormLimits,
    before_first_file: Callable[[dict[str, str]], None],
) -> ReceivedForm:
    """Parse the body chunk by chunk; raise UploadTooLarge the moment a cap is passed."""
    boundary = _boundary(content_type)
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise FormRefused("the Content-Length header is not a number") from None
        if declared > limits.max_body_bytes:
            # Honest clients say the size up front: refuse before reading a byte.
            raise limits.too_large
    folder.mkdir(parents=True, exist_ok=True)
    reader = _FormReader(folder, limits, before_first_file)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": reader.on_part_begin,
            "on_part_data": reader.on_part_data,
            "on_part_end": reader.on_part_end,
            "on_header_field": reader.on_header_field,
            "on_header_value": reader.on_header_value,
            "on_header_end": reader.on_header_end,
            "on_headers_finished": reader.on_headers_finished,
            "on_end": reader.on_end,
        },
    )
    total = 0
    try:
        async for chunk in chunks:
            total += len(chunk)
            if total > limits.max_body_bytes:
                # The parser would silently truncate past its own max_size; refuse instead.
                raise limits.too_large
            parser.write(chunk)
            if reader.finished:
                break
        parser.finalize()
    except FormParserError as error:
        reader.abandon()
        raise FormRefused(f"the upload form is malformed ({error})") from None
    except BaseException:
        reader.abandon()
        raise
    if not reader.finished:
        reader.abandon()
        raise FormRefused("the upload was cut off before the end of the form")
    return reader.form
