"""How much the safety checks cost: python-calamine alone vs ``read_sheets`` (container and
sheet-XML checks, calamine, cell conversion) on the same 200,000-row deliveries workbook.

    .venv/bin/python -m benchmarks.bench_read [--rows 200000] [--rounds 2]

Runs alternate between the two readers and the best of each is kept, so that load from other
processes on the machine weighs on both alike. Prints rows/s and the ratio.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from python_calamine import CalamineWorkbook

from benchmarks.workbooks import deliveries_xlsx
from supplier_feeds.reading import read_sheets

CACHE = Path(__file__).resolve().parent / ".cache"


def cached_deliveries(rows: int) -> Path:
    """The benchmark workbook, built once and kept in the git-ignored cache folder."""
    CACHE.mkdir(exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n", encoding="utf-8")
    path = CACHE / f"deliveries_{rows}.xlsx"
    if not path.exists():
        deliveries_xlsx(path, rows)
    return path


def calamine_alone(path: Path) -> int:
    with CalamineWorkbook.from_path(str(path)) as workbook:
        grid = workbook.get_sheet_by_name(workbook.sheet_names[0]).to_python(skip_empty_area=False)
    return len(grid)


def checked_read(path: Path) -> int:
    return len(read_sheets(path)[0].rows)


def timed(read: object, path: Path) -> tuple[float, int]:
    assert callable(read)
    gc.collect()
    started = time.perf_counter()
    rows = read(path)
    return time.perf_counter() - started, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    path = cached_deliveries(arguments.rows)
    print(f"workbook: {path.name}, {path.stat().st_size / 1e6:.1f} MB on disk")
    best = {"calamine alone": float("inf"), "read_sheets": float("inf")}
    for _ in range(arguments.rounds):
        for name, read in (("calamine alone", calamine_alone), ("read_sheets", checked_read)):
            seconds, _rows = timed(read, path)
            best[name] = min(best[name], seconds)
    data_rows = arguments.rows
    for name, seconds in best.items():
        print(f"{name:15s} {seconds:6.2f} s  {data_rows / seconds:10,.0f} rows/s")
    ratio = best["read_sheets"] / best["calamine alone"]
    print(f"ratio read_sheets / calamine alone: {ratio:.2f}")


if __name__ == "__main__":
    main()
