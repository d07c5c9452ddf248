"""Every hostile file ends cleanly: rejected with words naming the problem, or (when its only
oddity is harmless) read correctly — within a memory cap and a time cap, in a child process, so
that a crash of the parser would show as a signal instead of taking the test run down."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile_samples import SAMPLES, Expectation

ROOT = Path(__file__).resolve().parent.parent
TIME_CAP_SECONDS = 60


def _cases() -> list[object]:
    return [
        pytest.param(name, marks=pytest.mark.slow) if expectation.slow else name
        for name, (_, expectation) in SAMPLES.items()
    ]


def read_in_child(path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    """Run the reader under RLIMIT_AS in a fresh interpreter; its one JSON line, parsed."""
    finished = subprocess.run(
        [sys.executable, "-m", "tests.hostile_runner", str(path)],
        capture_output=True,
        text=True,
        timeout=TIME_CAP_SECONDS,
        cwd=ROOT,
        check=False,
    )
    lines = finished.stdout.strip().splitlines()
    outcome: dict[str, object] = json.loads(lines[-1]) if lines else {}
    return finished, outcome


@pytest.mark.parametrize("case", _cases())
def test_hostile_file_ends_cleanly_with_a_named_problem(case: str, tmp_path: Path) -> None:
    build, expectation = SAMPLES[case]
    finished, outcome = read_in_child(build(tmp_path))

    assert finished.returncode == 0, f"exit {finished.returncode}: {finished.stderr[-2000:]}"
    assert "Traceback" not in finished.stdout + finished.stderr
    assert outcome.get("outcome") == expectation.outcome, outcome
    _check(expectation, outcome)


def _check(expectation: Expectation, outcome: dict[str, object]) -> None:
    if expectation.outcome == "rejected":
        message = str(outcome["message"]).lower()
        for words in expectation.mentions:
            assert words.lower() in message, f"{words!r} not in {outcome['message']!r}"
        assert outcome["errors"], "a rejection lists at least one error"
    else:
        sheets = outcome["sheets"]
        assert isinstance(sheets, list)
        assert sheets[0]["rows"] == expectation.rows


def test_harmless_huge_dimension_reads_its_one_real_row(tmp_path: Path) -> None:
    build, _ = SAMPLES["huge_dimension"]
    _, outcome = read_in_child(build(tmp_path))
    sheets = outcome["sheets"]
    assert isinstance(sheets, list)
    assert sheets[0]["head"] == [["sku", "qty"], ["A-1", "5"]]


def test_nan_and_infinity_text_is_read_exactly_as_written(tmp_path: Path) -> None:
    build, _ = SAMPLES["nan_inf_text"]
    _, outcome = read_in_child(build(tmp_path))
    sheets = outcome["sheets"]
    assert isinstance(sheets, list)
    assert sheets[0]["head"] == [["sku", "price"], ["A-1", "NaN"], ["A-2", "inf"]]
