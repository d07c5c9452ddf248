"""Customer ETAs as rules: stock, the covering PO line's promise + learned lateness, or none."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purchasing.errors import InputRejected
from purchasing.etas import (
    Announced,
    CoveringSupply,
    CustomerEta,
    EtaRules,
    IncomingSupply,
    QueuePlace,
    customer_etas,
    eta_moves,
    expected_arrival,
    queue_places,
)
from purchasing.fulfilment import WaitingLine
from purchasing.reliability import Reliability, lateness_allowance

AS_OF = date(2026, 12, 3)
ORDER = WaitingLine(1, "SO-1", "SO-1-1", "SKU-1", 2, AS_OF - timedelta(days=5), "a@example.com")
LATE = Reliability("Acme", "SKU-1", "supplier", 50, 0.7, 0.7, 1.0, 4.0, 9.2)


def supply(
    promise: date | None = AS_OF + timedelta(days=10), confirmed: bool = True
) -> CoveringSupply:
    return CoveringSupply(7, "PO-000001", 1, "Acme", "SKU-1", promise, confirmed)


def one(**kwargs: object) -> CustomerEta:
    options: dict[str, object] = {
        "by_stock": (),
        "covered_by": {},
        "reliability": lambda s, k: LATE,
        "as_of": AS_OF,
    }
    options.update(kwargs)
    [eta] = customer_etas([ORDER], **options)  # type: ignore[arg-type]
    return eta


def test_a_line_covered_by_stock_ships_after_handling() -> None:
    eta = one(by_stock=[1])
    assert (eta.eta, eta.covered_by) == (AS_OF + timedelta(days=2), "stock")


def test_a_line_on_a_po_waits_for_the_promise_plus_p90_lateness_plus_handling() -> None:
    eta = one(covered_by={1: supply()})
    assert eta.eta == AS_OF + timedelta(days=10 + 10 + 2)  # p90 9.2 days → 10 whole days
    assert eta.covered_by == "PO-000001"
    assert "p90 lateness 10 days" in eta.reason


def test_the_percentile_is_configurable() -> None:
    eta = one(covered_by={1: supply()}, rules=EtaRules(percentile=80, handling_days=0))
    assert eta.eta == AS_OF + timedelta(days=10 + 4)


def test_nothing_covering_a_line_means_no_date_and_a_reason() -> None:
    eta = one()
    assert (eta.eta, eta.covered_by, eta.reason_code) == (None, None, "not-covered")


def test_an_uncovered_line_does_not_promise_that_reorder_will_order_it() -> None:
    # A SKU nobody offers stays uncovered however often reorder runs.
    eta = one()
    assert "will order" not in eta.reason
    assert "procure reorder" in eta.reason


def test_a_po_line_without_any_date_gives_no_eta() -> None:
    eta = one(covered_by={1: supply(promise=None)})
    assert (eta.eta, eta.reason_code) == (None, "no-supplier-date")


def test_an_overdue_promise_never_gives_a_date_in_the_past() -> None:
    eta = one(covered_by={1: supply(promise=AS_OF - timedelta(days=30))})
    assert eta.eta == AS_OF + timedelta(days=2)


@given(
    promise_offset=st.integers(min_value=-60, max_value=200),
    p90=st.floats(min_value=-30, max_value=120, allow_nan=False),
    handling=st.integers(min_value=0, max_value=10),
)
def test_an_eta_is_never_before_the_promise_nor_before_today_plus_handling(
    promise_offset: int, p90: float, handling: int
) -> None:
    figures = Reliability("Acme", "SKU-1", "supplier", 30, 0.5, 0.5, p90, p90, p90)
    promise = AS_OF + timedelta(days=promise_offset)
    eta = one(
        covered_by={1: supply(promise=promise)},
        reliability=lambda s, k: figures,
        rules=EtaRules(handling_days=handling),
    )
    assert eta.eta is not None
    assert eta.eta >= max(promise, AS_OF) + timedelta(days=handling)
    assert lateness_allowance(figures, 90) >= 0
    assert expected_arrival(promise, figures, 90, AS_OF) >= AS_OF


ON_TIME = Reliability("Acme", "SKU-1", "supplier", 50, 1.0, 1.0, 0.0, 0.0, 0.0)


def waiting(backorder_id: int, days_ago: int, qty: int = 2) -> WaitingLine:
    return WaitingLine(
        backorder_id, f"SO-{backorder_id}", "1", "SKU-1", qty, AS_OF - timedelta(days=days_ago)
    )


def incoming(po_line_id: int, in_days: int, qty: int) -> IncomingSupply:
    return IncomingSupply(po_line_id, "Acme", "SKU-1", AS_OF + timedelta(days=in_days), qty)


def places(lines: list[WaitingLine], supplies: list[IncomingSupply]) -> dict[int, QueuePlace]:
    return queue_places(lines, supplies, lambda s, k: ON_TIME, 90, AS_OF)


def test_arriving_units_go_to_the_oldest_waiting_line_first_whichever_po_covers_it() -> None:
    # The young line is covered by the early PO line, but the old line takes its units.
    found = places([waiting(1, 9), waiting(2, 1)], [incoming(7, 3, 2), incoming(8, 20, 2)])
    assert found[1] == QueuePlace(AS_OF + timedelta(days=3), 0)
    assert found[2] == QueuePlace(AS_OF + timedelta(days=20), 2)


def test_a_line_waits_for_the_nth_units_across_every_open_po_line_of_its_sku() -> None:
    lines = [waiting(1, 9, qty=3), waiting(2, 5, qty=3), waiting(3, 1, qty=1)]
    found = places(lines, [incoming(7, 10, 4), incoming(8, 4, 2), incoming(9, 30, 5)])
    # Arrivals in expected order: 2 on day 4, 4 on day 10 (6 in all), 5 on day 30.
    assert [found[n].arrival for n in (1, 2, 3)] == [
        AS_OF + timedelta(days=10),
        AS_OF + timedelta(days=10),
        AS_OF + timedelta(days=30),
    ]


def test_a_line_beyond_what_is_on_order_has_no_place_in_the_queue() -> None:
    found = places([waiting(1, 9), waiting(2, 1)], [incoming(7, 3, 2)])
    assert 2 not in found


def test_a_line_whose_turn_comes_after_its_own_po_line_gets_the_later_date() -> None:
    turn = QueuePlace(AS_OF + timedelta(days=25), 6)
    eta = one(covered_by={1: supply()}, queue={1: turn}, rules=EtaRules(handling_days=0))
    assert eta.eta == AS_OF + timedelta(days=25)
    assert eta.reason_code == "po-queue"
    assert "6 units go to older waiting lines first" in eta.reason


def test_an_early_turn_never_makes_a_date_earlier_than_its_own_po_line() -> None:
    turn = QueuePlace(AS_OF + timedelta(days=1), 0)
    eta = one(covered_by={1: supply()}, queue={1: turn})
    assert eta.eta == AS_OF + timedelta(days=10 + 10 + 2)
    assert eta.reason_code == "po-promise"


def dated(day: date) -> CustomerEta:
    return CustomerEta(1, "SO-1", "SO-1-1", "SKU-1", day, "PO-000002", "po-quote", "", 8, "a@x")


@pytest.mark.parametrize(("shift", "told"), [(3, False), (4, True), (-4, True), (0, False)])
def test_a_customer_is_told_only_when_the_date_moves_beyond_the_threshold(
    shift: int, told: bool
) -> None:
    old = AS_OF + timedelta(days=20)
    moves = eta_moves([dated(old + timedelta(days=shift))], {1: Announced(old, old)})
    assert bool(moves) is told


def test_the_notification_says_order_item_old_and_new_date_in_plain_words() -> None:
    old = date(2027, 1, 10)
    [move] = eta_moves([dated(date(2026, 12, 20))], {1: Announced(old, old)})
    text = move.message()
    assert "Your order SO-1" in text
    assert "SKU-1" in text
    assert "20 December 2026" in text
    assert "10 January 2027" in text
    assert "21 days earlier" in text
    assert "cancel" in text


def test_a_line_never_announced_is_not_a_move() -> None:
    assert eta_moves([dated(AS_OF)], {1: Announced(None, None)}) == []


@pytest.mark.parametrize(
    "changes", [{"percentile": 70}, {"handling_days": -1}, {"notify_threshold_days": -2}]
)
def test_eta_rules_refuse_nonsense(changes: dict[str, int]) -> None:
    with pytest.raises(InputRejected):
        EtaRules(**changes)  # type: ignore[arg-type]
