"""Runs are named for the business date they decide, so the run list reads as a diary."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import flow

from flows.run_names import as_of_name


@flow(flow_run_name=as_of_name("reorder"))
def _named(as_of: date | None = None) -> str:
    from prefect.runtime import flow_run

    return str(flow_run.name)


def test_a_dated_run_is_named_for_its_business_date(prefect_harness: None) -> None:
    assert _named(as_of=date(2026, 12, 6)) == "reorder as of 2026-12-06"


def test_an_undated_run_is_named_for_today(prefect_harness: None) -> None:
    assert _named() == f"reorder as of {datetime.now(UTC):%Y-%m-%d}"
