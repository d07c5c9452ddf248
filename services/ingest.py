"""Ingesting one supplier file: read, check, and write all of its rows in one transaction, or none.

The unit of work:
  1. fingerprint the bytes (sha256); the same bytes already accepted → ``duplicate``;
  2. read the sheets safely, find the header, type and check every cell;
  3. write every row in ONE transaction (a crash leaves nothing), or
  4. reject: nothing in the business tables, an error workbook naming each bad cell, and an
     ``IngestedFile(status='rejected')`` row so buyers can see what was sent.

A rejection is a normal result returned to the caller, never an exception.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from models.types import utcnow
from purchasing.errors import CellError, FileRejected, InputRejected
from services.ingest_writers import WRITERS, WriteContext, new_id, table
from services.slips import record_slips_for_file
from supplier_feeds.columns import KINDS
from supplier_feeds.cycle_collector import collector_paused
from supplier_feeds.error_workbook import MAX_LISTED_ERRORS, ReportSource, write_error_workbook
from supplier_feeds.headers import Layout
from supplier_feeds.profiles import Profile, default_profile, load_profile
from supplier_feeds.raw import RawSheet
from supplier_feeds.validation import ValidatedFile, validate

# Called with (fraction done 0..1, what is happening) while a file is ingested.
ProgressListener = Callable[[float, str], None]

_listeners: list[ProgressListener] = []


def add_progress_listener(listener: ProgressListener) -> Callable[[], None]:
    """Follow the progress of ingests in this process (a terminal bar, a Prefect artifact)."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def _report(fraction: float, stage: str) -> None:
    for listener in list(_listeners):
        listener(min(max(fraction, 0.0), 1.0), stage)


@dataclass
class IngestResult:
    """What became of one file: accepted, rejected (with every bad cell) or a duplicate."""

    status: str  # "accepted" | "rejected" | "duplicate"
    rows: int
    sha256: str
    kind: str
    filename: str
    supplier: str | None = None
    errors: list[CellError] = field(default_factory=list)
    error_count: int = 0
    report: str | None = None
    file_id: int | None = None
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.status in ("accepted", "duplicate")

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of ``procure ingest --json``."""
        return {
            "status": self.status,
            "kind": self.kind,
            "file": self.filename,
            "supplier": self.supplier,
            "rows": self.rows,
            "sha256": self.sha256,
            "file_id": self.file_id,
            "message": self.message,
            "errors": [error.as_dict() for error in self.errors[:MAX_LISTED_ERRORS]],
            "error_count": self.error_count,
            "report": self.report,
            "counts": dict(self.counts),
        }


def file_sha256(path: Path) -> str:
    """The fingerprint of a file's bytes, read in blocks so size never matters."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@collector_paused()
def ingest_file(
    engine: Engine,
    path: Path,
    kind: str | None,
    *,
    reports_dir: Path,
    supplier: str | None = None,
    profile: Profile | Path | None = None,
    as_of: date | None = None,
    base_currency: str = "USD",
    uploaded_by: str | None = None,
) -> IngestResult:
    """Ingest one supplier file whole, or reject it whole with a report."""
    path = Path(path)
    as_of = as_of or utcnow().date()
    try:
        chosen = _profile(kind, supplier, profile)
    except InputRejected as error:
        sha = file_sha256(path) if path.is_file() else ""
        problem = CellError("", None, None, None, str(error))
        return _reject(
            engine, path, kind or "", sha, [problem], str(error), reports_dir, None, uploaded_by
        )
    supplier = chosen.supplier
    kind = chosen.kind

    try:
        sha = file_sha256(path)
    except OSError as error:
        message = f"{path.name}: cannot be read ({error.strerror})"
        return IngestResult(
            "rejected", 0, "", kind, path.name, supplier, [], 1, None, None, message
        )

    _report(0.0, "checking for an identical file")
    duplicate = _accepted_file(engine, sha)
    if duplicate is not None:
        return _duplicate(duplicate, kind, path, sha, supplier)

    _report(0.02, "reading")
    sheets: list[RawSheet] | None = None
    try:
        sheets = _read(path, chosen)
        _report(0.3, "checking cells")
        checked = validate(sheets, chosen, base_currency=base_currency, release_rows=True)
    except FileRejected as error:
        source = _report_source(sheets)
        errors = error.errors or [CellError("", None, None, None, str(error))]
        return _reject(
            engine, path, kind, sha, errors, str(error), reports_dir, source, uploaded_by
        )

    supplier = supplier or _single_supplier(checked)
    if checked.errors:
        return _reject_checked(
            engine, path, kind, sha, checked, reports_dir, uploaded_by, supplier, chosen
        )

    _report(0.45, "writing")
    try:
        file_id, counts, errors = _write(
            engine, path, chosen.kind, sha, checked, as_of, supplier, uploaded_by
        )
    except IntegrityError:
        # Another process accepted the same bytes a moment ago (the unique index said so).
        duplicate = _accepted_file(engine, sha)
        if duplicate is None:
            raise
        return _duplicate(duplicate, kind, path, sha, supplier)
    if errors:
        checked.errors = errors
        return _reject_checked(
            engine, path, kind, sha, checked, reports_dir, uploaded_by, supplier, chosen
        )
    _report(1.0, "done")
    message = f"{checked.rows} rows of {path.name} accepted as {kind}"
    return IngestResult(
        "accepted",
        checked.rows,
        sha,
        kind,
        path.name,
        supplier,
        [],
        0,
        None,
        file_id,
        message,
        counts,
    )


def _profile(kind: str | None, supplier: str | None, profile: Profile | Path | None) -> Profile:
    if profile is None:
        if kind is None:
            raise InputRejected("the kind of file is needed (or a profile that names it)")
        return default_profile(kind, supplier)
    chosen = profile if isinstance(profile, Profile) else load_profile(Path(profile))
    if kind is not None and chosen.kind != kind:
        raise InputRejected(f"the profile {chosen.source} is for {chosen.kind} files, not {kind}")
    if supplier is not None:
        # A supplier named on the command line wins over the profile's constant.
        chosen = Profile(
            **{**chosen.__dict__, "supplier": default_profile(chosen.kind, supplier).supplier}
        )
    return chosen


def _read(path: Path, profile: Profile) -> list[RawSheet]:
    from supplier_feeds.reading import read_sheets

    return read_sheets(
        path, encoding=profile.encoding, sheet=profile.sheet, delimiter=profile.delimiter
    )


def _report_source(sheets: list[RawSheet] | None) -> ReportSource | None:
    # Without a header, only a single-sheet file has an unambiguous sheet to show.
    if sheets is not None and len(sheets) == 1:
        return ReportSource(sheets[0], None)
    return None


def _single_supplier(checked: ValidatedFile) -> str | None:
    if "supplier" not in checked.frame.columns:
        return None
    names = checked.frame["supplier"].dropna().unique()
    return str(names[0]) if len(names) == 1 else None


def _accepted_file(engine: Engine, sha: str) -> dict[str, Any] | None:
    files = table("ingested_file")
    with engine.connect() as conn:
        row = conn.execute(
            select(files.c.id, files.c.rows).where(
                files.c.sha256 == sha, files.c.status == "accepted"
            )
        ).first()
    return None if row is None else {"id": row[0], "rows": row[1]}


def _duplicate(
    found: dict[str, Any], kind: str, path: Path, sha: str, supplier: str | None
) -> IngestResult:
    message = f"{path.name} is identical to file #{found['id']}, already accepted: nothing changed"
    return IngestResult(
        "duplicate",
        found["rows"],
        sha,
        kind,
        path.name,
        supplier,
        [],
        0,
        None,
        found["id"],
        message,
    )


def _write(
    engine: Engine,
    path: Path,
    kind: str,
    sha: str,
    checked: ValidatedFile,
    as_of: date,
    supplier: str | None,
    uploaded_by: str | None,
) -> tuple[int, dict[str, int], list[CellError]]:
    assert checked.layout is not None
    files = table("ingested_file")
    total = max(checked.rows, 1)
    written = 0

    def progress(rows: int) -> None:
        nonlocal written
        written += rows
        _report(0.45 + 0.55 * min(written / total, 1.0), f"writing ({written:,} of {total:,} rows)")

    # One transaction for the whole file: any exception below rolls every row back.
    try:
        with engine.begin() as conn, _roomy_page_cache(conn):
            result = conn.execute(
                files.insert().values(
                    sha256=sha,
                    kind=kind,
                    filename=path.name[:500],
                    supplier_name=supplier,
                    status="accepted",
                    rows=checked.rows,
                    error_count=0,
                    uploaded_by=uploaded_by,
                    created_at=utcnow(),
                )
            )
            file_id = new_id(result)
            ctx = WriteContext(conn, file_id, path.name, as_of, checked.layout, progress)
            WRITERS[kind](ctx, checked.frame)
            if ctx.errors:
                raise _RowsRefused(ctx.errors)
            # Slips are facts of the same evidence: recorded in the same transaction.
            ctx.count("slips", record_slips_for_file(conn, kind, file_id, as_of))
    except _RowsRefused as refused:
        return 0, {}, refused.errors
    return file_id, ctx.counts, []


# SQLite's default page cache (2 MB) is too small for the indexes of a large file: dirty pages
# spill to the WAL in the middle of the transaction, which made writing ~25% slower.
_SQLITE_CACHE_KIB = 32 * 1024


@contextmanager
def _roomy_page_cache(conn: Connection) -> Iterator[None]:
    """A larger SQLite page cache while one file is written (the pooled connection gets its own
    setting back afterwards); other databases are left as they are."""
    if conn.dialect.name != "sqlite":
        yield
        return
    previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(previous or -2000)}")


class _RowsRefused(Exception):
    """Raised inside the write transaction so that it rolls back; never leaves this module."""

    def __init__(self, errors: list[CellError]) -> None:
        super().__init__(f"{len(errors)} rows refused")
        self.errors = errors


def _reject_checked(
    engine: Engine,
    path: Path,
    kind: str,
    sha: str,
    checked: ValidatedFile,
    reports_dir: Path,
    uploaded_by: str | None,
    supplier: str | None,
    profile: Profile,
) -> IngestResult:
    layout: Layout | None = checked.layout
    source = None
    if layout is not None:
        # Validation let go of the cells to save memory; the report reads the sheet again.
        again = [sheet for sheet in _read(path, profile) if sheet.name == layout.sheet.name]
        source = ReportSource(again[0], layout.header_row) if again else None
    count = len(checked.errors)
    headline = f"{count} problem{'s' if count != 1 else ''} in {path.name}; nothing was imported"
    return _reject(
        engine,
        path,
        kind,
        sha,
        checked.errors,
        headline,
        reports_dir,
        source,
        uploaded_by,
        rows=checked.rows,
        supplier=supplier,
    )


def _reject(
    engine: Engine,
    path: Path,
    kind: str,
    sha: str,
    errors: list[CellError],
    message: str,
    reports_dir: Path,
    source: ReportSource | None,
    uploaded_by: str | None,
    *,
    rows: int = 0,
    supplier: str | None = None,
) -> IngestResult:
    stamp = utcnow().strftime("%Y%m%d-%H%M%S-%f")
    stem = "".join(char if char.isalnum() or char in "-_" else "_" for char in path.stem)[:60]
    report = reports_dir / f"{stamp}-{stem}-errors.xlsx"
    write_error_workbook(
        report,
        filename=path.name,
        errors=errors,
        error_count=len(errors),
        source=source,
        headline=message,
    )
    file_id = None
    if kind in KINDS and sha:
        files = table("ingested_file")
        with engine.begin() as conn:
            result = conn.execute(
                files.insert().values(
                    sha256=sha,
                    kind=kind,
                    filename=path.name[:500],
                    supplier_name=supplier,
                    status="rejected",
                    rows=rows,
                    error_count=len(errors),
                    report_path=str(report)[:1000],
                    uploaded_by=uploaded_by,
                    created_at=utcnow(),
                )
            )
            file_id = new_id(result)
    return IngestResult(
        "rejected",
        rows,
        sha,
        kind,
        path.name,
        supplier,
        errors[:MAX_LISTED_ERRORS],
        len(errors),
        str(report),
        file_id,
        message,
    )
