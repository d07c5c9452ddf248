"""The drop folder: buyers save supplier files into it; procure claims, ingests and files each one.

Where a file sits says what it is: ``<drop>/<kind>/[<supplier>/]file``, with an optional
``profile.toml`` in the supplier (or kind) folder. A sidecar ``file.xlsx.toml`` holding
``kind``, ``supplier`` and ``profile`` says it instead, and wins over the folders.

A file is claimed by one atomic rename into its own folder under ``processing/``: whichever
poller's rename succeeds owns the file, so two pollers never ingest it twice. After the
ingest it moves to ``done/`` or to ``rejected/`` (beside a copy of its error workbook),
keeping the path it was dropped under. A file still being written (its size or mtime moved
between two looks), a symlink, a hidden file and an office or browser temp file are left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from purchasing.errors import InputRejected
from supplier_feeds.columns import KINDS

PROCESSING, DONE, REJECTED = "processing", "done", "rejected"
WORK_FOLDERS = frozenset({PROCESSING, DONE, REJECTED})
SIDECAR_SUFFIX = ".toml"
PROFILE_FILE = "profile.toml"
CLAIM_FILE = "claim.json"
# Suffixes of files that browsers, sync clients and copy tools write before the real name.
TEMP_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp")
# A claim this old belongs to a poller that died mid-ingest; its file is taken over.
DEFAULT_STALE_AFTER = timedelta(minutes=30)
SIDECAR_KEYS = frozenset({"kind", "supplier", "profile"})


class IngestOutcome(Protocol):
    """What the drop folder needs to know about an ingest: its status and its report."""

    @property
    def status(self) -> str: ...  # "accepted" | "rejected" | "duplicate"

    @property
    def report(self) -> str | None: ...

    @property
    def message(self) -> str: ...


# (path of the claimed file, kind, supplier, profile path) → outcome
Ingest = Callable[[Path, str, str | None, Path | None], IngestOutcome]


@dataclass(frozen=True)
class Routing:
    """How a dropped file is to be ingested, and what said so (``folder`` or ``sidecar``)."""

    kind: str
    supplier: str | None
    profile: Path | None
    told_by: str


@dataclass(frozen=True)
class Waiting:
    """A file left where it is this time, with the reason (code and sentence)."""

    path: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Claim:
    """A file this poller owns: it sits alone in ``folder`` under ``processing/``."""

    folder: Path
    file: Path
    sidecar: Path | None
    dropped_as: str  # path relative to the drop folder, as the buyer saved it
    routing: Routing


@dataclass(frozen=True)
class FiledFile:
    """What became of one claimed file."""

    path: str  # as dropped, relative to the drop folder
    kind: str
    supplier: str | None
    status: str  # accepted | duplicate | rejected | failed
    moved_to: str | None
    report: str | None
    message: str


@dataclass
class PollReport:
    """One pass over the drop folder."""

    folder: str
    filed: list[FiledFile] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)

    @property
    def failed(self) -> list[FiledFile]:
        return [item for item in self.filed if item.status == "failed"]

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for item in self.filed:
            totals[item.status] = totals.get(item.status, 0) + 1
        totals["waiting"] = len(self.waiting)
        return totals

    def as_dict(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "counts": self.counts(),
            "filed": [asdict(item) for item in self.filed],
            "waiting": [asdict(item) for item in self.waiting],
        }


class RoutingProblem(InputRejected):
    """A dropped file whose kind cannot be told (no kind folder, a bad sidecar)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def is_ignored_name(name: str) -> bool:
    """Hidden files, Office lock files (``~$x.xlsx``) and partial downloads are never taken."""
    lowered = name.lower()
    return name.startswith((".", "~$", "~")) or lowered.endswith(TEMP_SUFFIXES)


class DropFolder:
    """A drop folder on disk and the moves that claim, file away or release its files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def processing(self) -> Path:
        return self.root / PROCESSING

    @property
    def done(self) -> Path:
        return self.root / DONE

    @property
    def rejected(self) -> Path:
        return self.root / REJECTED

    def prepare(self) -> None:
        """Create the drop folder and one folder per kind, so buyers see where files go."""
        for folder in (self.processing, self.done, self.rejected):
            folder.mkdir(parents=True, exist_ok=True)
        for kind in KINDS:
            (self.root / kind).mkdir(exist_ok=True)

    def dropped_files(self) -> Iterator[Path]:
        """Every regular file a buyer may have dropped (work folders, links, temp files skipped)."""
        for folder, subfolders, names in os.walk(self.root, followlinks=False):
            here = Path(folder)
            if here == self.root:
                # Never descend into procure's own work folders.
                subfolders[:] = [name for name in subfolders if name not in WORK_FOLDERS]
            subfolders[:] = sorted(name for name in subfolders if not is_ignored_name(name))
            for name in sorted(names):
                path = here / name
                if is_ignored_name(name) or name.lower().endswith(SIDECAR_SUFFIX):
                    continue
                if path.is_symlink() or not path.is_file():
                    continue
                yield path

    def route(self, path: Path) -> Routing:
        """Kind, supplier and profile of a dropped file, from its sidecar or its folders."""
        sidecar = sidecar_of(path)
        if sidecar.is_file() and not sidecar.is_symlink():
            return _route_by_sidecar(sidecar)
        parts = path.relative_to(self.root).parts
        if len(parts) == 1:
            raise RoutingProblem(
                "no-kind",
                f"{parts[0]}: put it in a kind folder ({', '.join(KINDS)}) "
                f"or add a sidecar {parts[0]}{SIDECAR_SUFFIX} with kind = ...",
            )
        kind = parts[0]
        if kind not in KINDS:
            raise RoutingProblem(
                "unknown-kind",
                f"{'/'.join(parts)}: '{kind}' is not a kind of file (one of {', '.join(KINDS)})",
            )
        if len(parts) > 3:
            raise RoutingProblem(
                "too-deep",
                f"{'/'.join(parts)}: files go in <kind>/ or <kind>/<supplier>/, not deeper",
            )
        supplier = parts[1].strip() if len(parts) == 3 else None
        return Routing(kind, supplier or None, _folder_profile(path.parent, self.root), "folder")

    def claim(self, path: Path, routing: Routing) -> Claim | None:
        """Take ``path`` by atomic rename; ``None`` when another poller got there first."""
        self.processing.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        folder = self.processing / f"{stamp}-{uuid.uuid4().hex[:12]}"
        folder.mkdir()
        dropped_as = path.relative_to(self.root).as_posix()
        # The note goes in first, so a claim interrupted at any point can be resumed.
        _write_note(folder, dropped_as, routing)
        target = folder / path.name
        try:
            os.rename(path, target)
        except FileNotFoundError:
            shutil.rmtree(folder, ignore_errors=True)
            return None
        sidecar = _take_sidecar(sidecar_of(path), folder)
        return Claim(folder, target, sidecar, dropped_as, routing)

    def stale_claims(self, older_than: timedelta) -> Iterator[Claim]:
        """Take over claims left by pollers that died mid-ingest (renamed, so only one wins)."""
        if not self.processing.is_dir():
            return
        cutoff = datetime.now(UTC) - older_than
        for folder in sorted(self.processing.iterdir()):
            claimed_at = _claim_time(folder.name)
            if claimed_at is None or claimed_at > cutoff or not folder.is_dir():
                continue
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            fresh = self.processing / f"{stamp}-{uuid.uuid4().hex[:12]}"
            try:
                os.rename(folder, fresh)
            except FileNotFoundError:
                continue
            claim = _resume(fresh)
            if claim is None:
                shutil.rmtree(fresh, ignore_errors=True)
            else:
                yield claim

    def file_away(self, claim: Claim, outcome: IngestOutcome) -> FiledFile:
        """Move an ingested file to ``done/`` or, with its error workbook, to ``rejected/``."""
        rejected = outcome.status == "rejected"
        destination = _move_no_clobber(
            claim.file, (self.rejected if rejected else self.done) / claim.dropped_as
        )
        if claim.sidecar is not None:
            _move_no_clobber(claim.sidecar, sidecar_of(destination))
        report_copy: str | None = None
        if rejected:
            report_copy = str(_place_report(destination, outcome))
        shutil.rmtree(claim.folder, ignore_errors=True)
        return FiledFile(
            claim.dropped_as,
            claim.routing.kind,
            claim.routing.supplier,
            outcome.status,
            str(destination),
            report_copy,
            outcome.message,
        )

    def release(self, claim: Claim, problem: str) -> FiledFile:
        """Put a file back where it was dropped after an ingest failure, so a later poll retries."""
        back = _move_no_clobber(claim.file, self.root / claim.dropped_as)
        if claim.sidecar is not None:
            _move_no_clobber(claim.sidecar, sidecar_of(back))
        shutil.rmtree(claim.folder, ignore_errors=True)
        return FiledFile(
            claim.dropped_as,
            claim.routing.kind,
            claim.routing.supplier,
            "failed",
            str(back),
            None,
            problem,
        )


def sidecar_of(path: Path) -> Path:
    """``prices.xlsx`` → ``prices.xlsx.toml``."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _route_by_sidecar(sidecar: Path) -> Routing:
    name = sidecar.name
    try:
        document = tomllib.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RoutingProblem("bad-sidecar", f"{name}: not readable TOML ({error})") from None
    unknown = sorted(set(document) - SIDECAR_KEYS)
    if unknown:
        raise RoutingProblem(
            "bad-sidecar",
            f"{name}: unknown key(s) {', '.join(unknown)} (allowed: kind, supplier, profile)",
        )
    kind = document.get("kind")
    if kind not in KINDS:
        raise RoutingProblem(
            "bad-sidecar", f"{name}: kind = {kind!r} is not one of {', '.join(KINDS)}"
        )
    supplier = document.get("supplier")
    profile = document.get("profile")
    for key, value in (("supplier", supplier), ("profile", profile)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise RoutingProblem("bad-sidecar", f"{name}: {key} must be non-empty text")
    profile_path: Path | None = None
    if isinstance(profile, str):
        # A relative profile path is read from the sidecar's own folder.
        profile_path = (sidecar.parent / profile).resolve()
        if not profile_path.is_file():
            raise RoutingProblem("bad-sidecar", f"{name}: profile {profile_path} does not exist")
    supplier_name = supplier.strip() if isinstance(supplier, str) else None
    return Routing(str(kind), supplier_name, profile_path, "sidecar")


def _folder_profile(folder: Path, root: Path) -> Path | None:
    """The nearest ``profile.toml`` in the supplier folder or the kind folder."""
    while folder != root:
        candidate = folder / PROFILE_FILE
        if candidate.is_file() and not candidate.is_symlink():
            return candidate.resolve()
        folder = folder.parent
    return None


def _write_note(folder: Path, dropped_as: str, routing: Routing) -> None:
    note = {
        "dropped_as": dropped_as,
        "kind": routing.kind,
        "supplier": routing.supplier,
        "profile": str(routing.profile) if routing.profile else None,
        "told_by": routing.told_by,
    }
    (folder / CLAIM_FILE).write_text(json.dumps(note), encoding="utf-8")


def _take_sidecar(sidecar: Path, folder: Path) -> Path | None:
    target = folder / sidecar.name
    try:
        os.rename(sidecar, target)
    except FileNotFoundError:
        return None
    return target


def _claim_time(name: str) -> datetime | None:
    try:
        return datetime.strptime(name.split("-", 1)[0], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _resume(folder: Path) -> Claim | None:
    """Rebuild a claim from its note; ``None`` when the claim never got its file."""
    try:
        note = json.loads((folder / CLAIM_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = [
        path
        for path in folder.iterdir()
        if path.name != CLAIM_FILE and not path.name.endswith(SIDECAR_SUFFIX)
    ]
    if len(files) != 1:
        return None
    sidecar = sidecar_of(files[0])
    routing = Routing(
        note["kind"],
        note["supplier"],
        Path(note["profile"]) if note["profile"] else None,
        note["told_by"],
    )
    return Claim(
        folder, files[0], sidecar if sidecar.exists() else None, note["dropped_as"], routing
    )


def _move_no_clobber(source: Path, wanted: Path) -> Path:
    """Move ``source`` to ``wanted``, or to ``name (2).ext`` ... when that name is taken."""
    wanted.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 10_000):
        target = (
            wanted
            if attempt == 1
            else wanted.with_name(
                f"{wanted.name.split('.', 1)[0]} ({attempt})"
                + ("." + wanted.name.split(".", 1)[1] if "." in wanted.name else "")
            )
        )
        try:
            # A hard link fails when the name exists, so two pollers never overwrite each other.
            os.link(source, target)
        except FileExistsError:
            continue
        except OSError:
            # Some shares refuse hard links: fall back to a checked rename.
            if target.exists():
                continue
            os.replace(source, target)
            return target
        source.unlink()
        return target
    raise FileExistsError(f"no free name for {wanted}")


def _place_report(destination: Path, outcome: IngestOutcome) -> Path:
    """The error workbook beside the rejected file (or a note when there is no workbook)."""
    if outcome.report and Path(outcome.report).is_file():
        return _copy_no_clobber(Path(outcome.report), destination, ".errors.xlsx")
    note = destination.with_name(destination.name + ".reason.txt")
    note.write_text(outcome.message + "\n", encoding="utf-8")
    return note


def _copy_no_clobber(report: Path, destination: Path, suffix: str) -> Path:
    target = destination.with_name(destination.name + suffix)
    staging = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}{suffix}")
    shutil.copyfile(report, staging)
    return _move_no_clobber(staging, target)


@dataclass(frozen=True)
class _Look:
    size: int
    mtime_ns: int


def _look(path: Path) -> _Look | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return _Look(status.st_size, status.st_mtime_ns)


def settled(
    paths: list[Path],
    settle_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[Path], list[Path]]:
    """Split files into (settled, still being written) by two looks ``settle_seconds`` apart."""
    first = {path: (_look(path), _look(sidecar_of(path))) for path in paths}
    if paths and settle_seconds > 0:
        sleep(settle_seconds)
    stable: list[Path] = []
    moving: list[Path] = []
    for path in paths:
        second = (_look(path), _look(sidecar_of(path)))
        if second[0] is None:
            continue  # gone: another poller claimed it
        (stable if second == first[path] else moving).append(path)
    return stable, moving


def poll(
    root: Path,
    ingest: Ingest,
    *,
    settle_seconds: float = 2.0,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    sleep: Callable[[float], None] = time.sleep,
) -> PollReport:
    """One pass: claim every settled file, ingest it, file it away; report what was left."""
    drop = DropFolder(root)
    drop.prepare()
    report = PollReport(str(drop.root))
    routed: dict[Path, Routing] = {}
    for path in drop.dropped_files():
        try:
            routed[path] = drop.route(path)
        except RoutingProblem as problem:
            report.waiting.append(_waiting(drop, path, problem.reason, str(problem)))
    stable, moving = settled(list(routed), settle_seconds, sleep)
    for path in moving:
        report.waiting.append(
            _waiting(drop, path, "still-writing", "its size or time changed while we looked")
        )
    claims: list[Claim] = list(drop.stale_claims(stale_after))
    for path in stable:
        claim = drop.claim(path, routed[path])
        if claim is not None:
            claims.append(claim)
    for claim in claims:
        report.filed.append(_ingest_one(drop, claim, ingest))
    return report


def _waiting(drop: DropFolder, path: Path, reason: str, detail: str) -> Waiting:
    return Waiting(path.relative_to(drop.root).as_posix(), reason, detail)


def _ingest_one(drop: DropFolder, claim: Claim, ingest: Ingest) -> FiledFile:
    routing = claim.routing
    try:
        outcome: IngestOutcome = ingest(claim.file, routing.kind, routing.supplier, routing.profile)
    except InputRejected as error:
        outcome = _Refused(str(error))
    except Exception as error:
        # Not the file's fault (database down, a bug): put it back so the next poll retries.
        return drop.release(claim, f"{type(error).__name__}: {error}")
    return drop.file_away(claim, outcome)


@dataclass(frozen=True)
class _Refused:
    """An ingest that refused the file before writing a workbook (e.g. an unusable profile)."""

    message: str
    status: str = "rejected"
    report: str | None = None
