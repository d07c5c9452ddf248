"""The drop folder: what is taken, how it is told apart, where it ends up, and races."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from purchasing.errors import ProfileError
from supplier_feeds.drop_folder import (
    DropFolder,
    Ingest,
    Routing,
    RoutingProblem,
    is_ignored_name,
    poll,
    settled,
)


@dataclass(frozen=True)
class Outcome:
    status: str
    report: str | None = None
    message: str = ""


class Recorder:
    """An ingest that remembers its calls and answers with a fixed status."""

    def __init__(self, status: str = "accepted", report: Path | None = None) -> None:
        self.status = status
        self.report = report
        self.calls: list[tuple[str, str, str | None, Path | None]] = []

    def __call__(
        self, path: Path, kind: str, supplier: str | None, profile: Path | None
    ) -> Outcome:
        self.calls.append((path.name, kind, supplier, profile))
        return Outcome(self.status, str(self.report) if self.report else None, "ok")


def drop(root: Path, relative: str, content: str = "sku,on_hand\nA,1\n") -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def test_kind_folder_and_supplier_folder_say_what_a_file_is(tmp_path: Path) -> None:
    drop(tmp_path, "inventory/stock.csv")
    drop(tmp_path, "catalog/Acme Ltd/prices.csv")
    ingest = Recorder()

    poll(tmp_path, ingest, settle_seconds=0)

    assert sorted(ingest.calls) == [
        ("prices.csv", "catalog", "Acme Ltd", None),
        ("stock.csv", "inventory", None, None),
    ]


def test_a_profile_in_the_supplier_folder_is_used_for_its_files(tmp_path: Path) -> None:
    profile = drop(tmp_path, "deliveries/Acme/profile.toml", 'kind = "deliveries"\n')
    drop(tmp_path, "deliveries/Acme/history.csv")
    ingest = Recorder()

    poll(tmp_path, ingest, settle_seconds=0)

    assert ingest.calls == [("history.csv", "deliveries", "Acme", profile.resolve())]


def test_a_sidecar_wins_over_the_folder(tmp_path: Path) -> None:
    profile = drop(tmp_path, "profiles/bolt.toml", 'kind = "stock"\n')
    drop(tmp_path, "catalog/avail.xlsx")
    drop(
        tmp_path,
        "catalog/avail.xlsx.toml",
        'kind = "stock"\nsupplier = "Bolt"\nprofile = "../profiles/bolt.toml"\n',
    )
    ingest = Recorder()

    report = poll(tmp_path, ingest, settle_seconds=0)

    assert ingest.calls == [("avail.xlsx", "stock", "Bolt", profile.resolve())]
    assert (tmp_path / "done/catalog/avail.xlsx.toml").is_file()
    assert report.counts() == {"accepted": 1, "waiting": 0}


@pytest.mark.parametrize(
    ("relative", "sidecar", "reason"),
    [
        ("loose.csv", None, "no-kind"),
        ("invoices/inv.csv", None, "unknown-kind"),
        ("catalog/Acme/2024/prices.csv", None, "too-deep"),
        ("loose.csv", 'kind = "invoices"\n', "bad-sidecar"),
        ("loose.csv", 'kind = "stock"\ncolour = "red"\n', "bad-sidecar"),
        ("loose.csv", "kind = ", "bad-sidecar"),
        ("loose.csv", 'kind = "stock"\nprofile = "missing.toml"\n', "bad-sidecar"),
    ],
)
def test_a_file_whose_kind_cannot_be_told_waits_with_a_reason(
    tmp_path: Path, relative: str, sidecar: str | None, reason: str
) -> None:
    path = drop(tmp_path, relative)
    if sidecar is not None:
        drop(tmp_path, relative + ".toml", sidecar)
    ingest = Recorder()

    report = poll(tmp_path, ingest, settle_seconds=0)

    assert ingest.calls == []
    assert [(item.path, item.reason) for item in report.waiting] == [(relative, reason)]
    assert path.is_file()


@pytest.mark.parametrize(
    "name",
    ["~$prices.xlsx", ".hidden.csv", "prices.xlsx.part", "prices.csv.crdownload", "x.tmp"],
)
def test_temp_and_hidden_files_are_never_taken(name: str) -> None:
    assert is_ignored_name(name)


def test_an_ordinary_supplier_file_is_not_mistaken_for_a_temp_file() -> None:
    assert not is_ignored_name("Acme prices 2024.xlsx")


def test_temp_hidden_and_linked_files_are_left_alone(tmp_path: Path) -> None:
    drop(tmp_path, "catalog/~$prices.xlsx")
    drop(tmp_path, "catalog/.prices.csv")
    drop(tmp_path, "catalog/prices.csv.part")
    outside = drop(tmp_path / "elsewhere", "secret.csv")
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop/catalog").mkdir()
    os.symlink(outside, tmp_path / "drop/catalog/link.csv")
    for name in ("~$prices.xlsx", ".prices.csv", "prices.csv.part"):
        os.replace(tmp_path / "catalog" / name, tmp_path / "drop/catalog" / name)
    ingest = Recorder()

    report = poll(tmp_path / "drop", ingest, settle_seconds=0)

    assert ingest.calls == []
    assert report.waiting == []
    assert (tmp_path / "drop/catalog/link.csv").is_symlink()


def test_a_file_still_growing_is_left_for_the_next_poll(tmp_path: Path) -> None:
    path = drop(tmp_path, "stock/avail.csv")

    def keep_writing(_seconds: float) -> None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write("B,2\n")

    stable, moving = settled([path], 1.0, sleep=keep_writing)

    assert (stable, moving) == ([], [path])


def test_a_file_that_kept_still_between_two_looks_is_settled(tmp_path: Path) -> None:
    path = drop(tmp_path, "stock/avail.csv")
    looks: list[float] = []

    stable, moving = settled([path], 1.5, sleep=looks.append)

    assert (stable, moving, looks) == ([path], [], [1.5])


def test_a_sidecar_still_being_written_holds_its_file_back(tmp_path: Path) -> None:
    path = drop(tmp_path, "avail.csv")
    sidecar = drop(tmp_path, "avail.csv.toml", 'kind = "stock"\n')

    def finish_sidecar(_seconds: float) -> None:
        sidecar.write_text('kind = "stock"\nsupplier = "Acme"\n', encoding="utf-8")

    assert settled([path], 1.0, sleep=finish_sidecar) == ([], [path])


def test_accepted_and_duplicate_files_move_to_done(tmp_path: Path) -> None:
    drop(tmp_path, "stock/Acme/avail.csv")

    report = poll(tmp_path, Recorder("duplicate"), settle_seconds=0)

    assert not (tmp_path / "stock/Acme/avail.csv").exists()
    assert (tmp_path / "done/stock/Acme/avail.csv").is_file()
    assert [item.status for item in report.filed] == ["duplicate"]
    assert list((tmp_path / "processing").iterdir()) == []


def test_a_rejected_file_lands_beside_a_copy_of_its_error_workbook(tmp_path: Path) -> None:
    workbook = drop(tmp_path / "reports", "avail-errors.xlsx", "workbook bytes")
    drop(tmp_path / "drop", "stock/avail.csv")

    report = poll(tmp_path / "drop", Recorder("rejected", workbook), settle_seconds=0)

    rejected = tmp_path / "drop/rejected/stock"
    assert sorted(path.name for path in rejected.iterdir()) == [
        "avail.csv",
        "avail.csv.errors.xlsx",
    ]
    assert (rejected / "avail.csv.errors.xlsx").read_text(encoding="utf-8") == "workbook bytes"
    assert report.filed[0].report == str(rejected / "avail.csv.errors.xlsx")


def test_a_profile_the_ingest_refuses_rejects_the_file_with_the_reason(tmp_path: Path) -> None:
    drop(tmp_path, "stock/avail.csv")

    def refuse(_path: Path, _kind: str, _supplier: str | None, _profile: Path | None) -> Outcome:
        raise ProfileError("profile acme.toml: unknown column 'colour'")

    poll(tmp_path, refuse, settle_seconds=0)

    note = tmp_path / "rejected/stock/avail.csv.reason.txt"
    assert "unknown column 'colour'" in note.read_text(encoding="utf-8")


def test_an_ingest_failure_puts_the_file_back_for_the_next_poll(tmp_path: Path) -> None:
    path = drop(tmp_path, "stock/avail.csv")

    def database_down(_p: Path, _k: str, _s: str | None, _pr: Path | None) -> Outcome:
        raise ConnectionError("database unreachable")

    report = poll(tmp_path, database_down, settle_seconds=0)

    assert path.is_file()
    assert [(item.status, item.message) for item in report.failed] == [
        ("failed", "ConnectionError: database unreachable")
    ]
    assert list((tmp_path / "processing").iterdir()) == []


def test_a_second_file_of_the_same_name_does_not_overwrite_the_first_in_done(
    tmp_path: Path,
) -> None:
    drop(tmp_path, "stock/avail.csv", "first\n")
    poll(tmp_path, Recorder(), settle_seconds=0)
    drop(tmp_path, "stock/avail.csv", "second\n")
    poll(tmp_path, Recorder(), settle_seconds=0)

    done = tmp_path / "done/stock"
    assert (done / "avail.csv").read_text(encoding="utf-8") == "first\n"
    assert (done / "avail (2).csv").read_text(encoding="utf-8") == "second\n"


def test_a_claim_left_by_a_dead_poller_is_taken_over(tmp_path: Path) -> None:
    folder = DropFolder(tmp_path)
    path = drop(tmp_path, "stock/avail.csv")
    claim = folder.claim(path, Routing("stock", None, None, "folder"))
    assert claim is not None
    ingest = Recorder()

    fresh = poll(tmp_path, ingest, settle_seconds=0)
    later = poll(tmp_path, ingest, settle_seconds=0, stale_after=timedelta(0))

    assert (fresh.filed, [item.status for item in later.filed]) == ([], ["accepted"])
    assert (tmp_path / "done/stock/avail.csv").is_file()


def test_a_file_claimed_by_another_poller_is_not_claimed_again(tmp_path: Path) -> None:
    folder = DropFolder(tmp_path)
    path = drop(tmp_path, "stock/avail.csv")
    routing = Routing("stock", None, None, "folder")

    first = folder.claim(path, routing)
    second = folder.claim(path, routing)

    assert first is not None
    assert second is None
    assert len(list(folder.processing.iterdir())) == 1


def test_routing_problem_is_an_input_rejection_naming_the_file(tmp_path: Path) -> None:
    path = drop(tmp_path, "loose.csv")
    with pytest.raises(RoutingProblem, match=r"loose\.csv"):
        DropFolder(tmp_path).route(path)


# --- races --------------------------------------------------------------------------------

FILES_IN_RACE = 30


def _counting_ingest(log: Path) -> Ingest:
    def ingest(path: Path, kind: str, supplier: str | None, profile: Path | None) -> Outcome:
        # O_APPEND writes of one short line are atomic, so every call leaves exactly one line.
        descriptor = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(descriptor, f"{path.read_text(encoding='utf-8').strip()}\n".encode())
        finally:
            os.close(descriptor)
        time.sleep(0.002)  # widen the window in which a second claim could sneak in
        return Outcome("accepted")

    return ingest


def _poll_until_empty(root: str, log: str) -> None:
    """One racing poller: poll until nothing is left to take."""
    ingest = _counting_ingest(Path(log))
    for _ in range(50):
        poll(Path(root), ingest, settle_seconds=0)
        if not any((Path(root) / "stock").iterdir()):
            return


def _race_files(root: Path) -> None:
    for number in range(FILES_IN_RACE):
        drop(root, f"stock/file-{number:03}.csv", f"file-{number:03}")


def _ingested(log: Path) -> list[str]:
    return sorted(log.read_text(encoding="utf-8").split())


def test_two_polling_threads_never_ingest_a_file_twice(tmp_path: Path) -> None:
    root, log = tmp_path / "drop", tmp_path / "ingested.log"
    _race_files(root)
    threads = [
        threading.Thread(target=_poll_until_empty, args=(str(root), str(log))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert _ingested(log) == [f"file-{n:03}" for n in range(FILES_IN_RACE)]
    assert len(list((root / "done/stock").iterdir())) == FILES_IN_RACE


def test_two_polling_processes_never_ingest_a_file_twice(tmp_path: Path) -> None:
    root, log = tmp_path / "drop", tmp_path / "ingested.log"
    _race_files(root)
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_poll_until_empty, args=(str(root), str(log))) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert [worker.exitcode for worker in workers] == [0, 0]
    assert _ingested(log) == [f"file-{n:03}" for n in range(FILES_IN_RACE)]
    assert len(list((root / "done/stock").iterdir())) == FILES_IN_RACE
