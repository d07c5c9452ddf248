"""Slip signals as rules: overdue, re-promised, no stock, blocked — each with its evidence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from purchasing.errors import InputRejected
from purchasing.slips import (
    PromiseMove,
    SlipRules,
    StockReport,
    WatchedLine,
    blocked_slips,
    new_slips,
    no_stock_slips,
    overdue_slips,
    repromise_slips,
)

DUE = date(2026, 12, 10)


def line(**changes: object) -> WatchedLine:
    fields: dict[str, object] = {
        "po_line_id": 1,
        "po_number": "PO-000001",
        "line_no": 1,
        "supplier": "Acme",
        "sku": "SKU-1",
        "qty": 10,
        "received_qty": 0,
        "status": "sent",
        "promised_date": DUE,
        "quoted_date": DUE,
        "confirmed": False,
        "customer_need_by": DUE + timedelta(days=5),
    }
    fields.update(changes)
    return WatchedLine(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("days_after_due", "grace", "slipped"),
    [(0, 2, False), (2, 2, False), (3, 2, True), (1, 0, True), (30, 2, True)],
)
def test_a_line_is_overdue_only_past_its_promise_plus_grace(
    days_after_due: int, grace: int, slipped: bool
) -> None:
    as_of = DUE + timedelta(days=days_after_due)
    found = overdue_slips([line()], as_of, SlipRules(overdue_grace_days=grace))
    assert bool(found) is slipped


def test_an_overdue_slip_says_how_late_and_how_much_is_still_to_come() -> None:
    [slip] = overdue_slips([line(received_qty=4)], DUE + timedelta(days=5))
    assert slip.signal == "overdue"
    assert slip.evidence["days_late"] == 5
    assert slip.evidence["outstanding_qty"] == 6
    assert "5 days past its promise" in slip.reason


def test_a_fully_received_line_is_never_overdue() -> None:
    assert overdue_slips([line(received_qty=10)], DUE + timedelta(days=30)) == []


def test_an_unconfirmed_line_is_judged_against_its_quoted_date() -> None:
    [slip] = overdue_slips([line(promised_date=None)], DUE + timedelta(days=5))
    assert slip.evidence["basis"] == "quoted date"


def move(new: date, previous: date | None = DUE, change_id: int = 7) -> PromiseMove:
    return PromiseMove(1, previous, new, change_id, file_id=3)


@pytest.mark.parametrize(
    ("new_date", "need_by", "slipped"),
    [
        (DUE + timedelta(days=3), DUE + timedelta(days=5), False),  # small move, still in time
        (DUE + timedelta(days=6), DUE + timedelta(days=5), True),  # past the customer's date
        (DUE + timedelta(days=8), None, True),  # beyond the 7-day tolerance
        (DUE + timedelta(days=7), None, False),  # exactly the tolerance
        (DUE - timedelta(days=4), DUE + timedelta(days=5), False),  # earlier is good news
        (DUE + timedelta(days=90), DUE + timedelta(days=5), True),
    ],
)
def test_a_re_promise_slips_past_the_customers_date_or_the_tolerance(
    new_date: date, need_by: date | None, slipped: bool
) -> None:
    lines = {1: line(customer_need_by=need_by, confirmed=True)}
    assert bool(repromise_slips(lines, [move(new_date)])) is slipped


def test_a_re_promise_slip_carries_the_old_and_new_dates_and_its_ledger_entry() -> None:
    [slip] = repromise_slips({1: line()}, [move(DUE + timedelta(days=90))])
    assert slip.new_date == DUE + timedelta(days=90)
    assert slip.key == "re-promised:7"
    document = slip.evidence_json()
    assert document["days_moved"] == 90
    assert document["previous_date"] == DUE.isoformat()
    assert document["promise_change_id"] == 7


def report(
    available: int, *, on: date = DUE, next_date: date | None = None, rid: int = 1
) -> StockReport:
    return StockReport("Acme", "SKU-1", available, on, next_date, rid, 5)


@pytest.mark.parametrize(
    ("available", "received", "confirmed", "slipped"),
    [
        (0, 0, False, True),
        (9, 0, False, True),
        (10, 0, False, False),
        (4, 6, False, False),
        (0, 0, True, False),
    ],
)
def test_no_stock_slips_an_unconfirmed_line_the_supplier_cannot_fill(
    available: int, received: int, confirmed: bool, slipped: bool
) -> None:
    watched = line(received_qty=received, confirmed=confirmed)
    assert bool(no_stock_slips([watched], [report(available)])) is slipped


def test_only_the_latest_stock_report_counts() -> None:
    reports = [report(0, on=DUE, rid=1), report(50, on=DUE + timedelta(days=1), rid=2)]
    assert no_stock_slips([line()], reports) == []


def test_a_no_stock_slip_takes_the_restock_date_as_its_new_date() -> None:
    later = DUE + timedelta(days=20)
    [slip] = no_stock_slips([line()], [report(0, next_date=later)])
    assert slip.new_date == later
    assert slip.evidence["needed_qty"] == 10


def test_every_open_line_of_a_blocked_supplier_slips() -> None:
    lines = [line(), line(po_line_id=2, supplier="Beta"), line(po_line_id=3, received_qty=10)]
    found = blocked_slips(lines, {"Acme": "blocked by hand: late twice"}, DUE)
    assert [slip.po_line_id for slip in found] == [1]
    assert "blocked by hand" in found[0].reason


def test_evidence_already_recorded_is_not_a_new_slip() -> None:
    slips = overdue_slips([line(), line(po_line_id=2)], DUE + timedelta(days=9))
    fresh = new_slips(slips + slips, {(1, "overdue", slips[0].key)})
    assert [slip.po_line_id for slip in fresh] == [2]


def test_an_overdue_line_is_looked_at_again_every_three_days_it_stays_late() -> None:
    keys = [overdue_slips([line()], DUE + timedelta(days=late))[0].key for late in (3, 5, 6, 9)]
    assert keys == [f"overdue:{DUE.isoformat()}:{n}d" for n in (3, 3, 6, 9)]
    again = overdue_slips([line()], DUE + timedelta(days=7))
    assert new_slips(again, {(1, "overdue", keys[2])}) == []  # the same look is no new slip


@pytest.mark.parametrize(
    ("late", "looked_at"), [(3, "3d"), (9, "3d"), (10, "10d"), (16, "10d"), (17, "17d")]
)
def test_the_recheck_interval_decides_when_a_later_line_is_new_evidence(
    late: int, looked_at: str
) -> None:
    rules = SlipRules(overdue_recheck_days=7)
    [slip] = overdue_slips([line()], DUE + timedelta(days=late), rules)
    assert slip.key == f"overdue:{DUE.isoformat()}:{looked_at}"


def test_slip_rules_refuse_a_recheck_interval_under_a_day() -> None:
    with pytest.raises(InputRejected):
        SlipRules(overdue_recheck_days=0)


@pytest.mark.parametrize("field", ["overdue_grace_days", "repromise_tolerance_days"])
def test_slip_rules_refuse_negative_days(field: str) -> None:
    with pytest.raises(InputRejected):
        SlipRules(**{field: -1})
