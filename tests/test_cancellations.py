"""A cancelled back order shrinks or cancels unsent PO lines; sent ones are flagged."""

from __future__ import annotations

from decimal import Decimal

from purchasing.cancellations import CoveringLine, plan_cancellations
from purchasing.quantities import PriceBreak


def covering(status: str, cancelled: set[int], **fields: object) -> CoveringLine:
    values: dict[str, object] = {
        "po_line_id": 1,
        "po_number": "PO-000001",
        "line_no": 1,
        "sku": "SKU-1",
        "qty": 12,
        "unit_price": Decimal("10"),
        "status": status,
        "covers": {1: 3, 2: 4, 3: 5},
        "cancelled": frozenset(cancelled),
        "line_refs": {1: "A", 2: "B", 3: "C"},
    }
    values.update(fields)
    return CoveringLine(**values)  # type: ignore[arg-type]


def test_an_unsent_line_shrinks_to_what_is_still_needed() -> None:
    [change] = plan_cancellations([covering("pending_approval", {3})])
    assert (change.action, change.new_qty, change.released) == ("shrink", 7, (3,))


def test_an_unsent_line_with_nothing_left_to_cover_is_cancelled() -> None:
    [change] = plan_cancellations([covering("draft", {1, 2, 3})])
    assert change.action == "cancel"


def test_a_sent_line_is_flagged_for_the_buyer_not_changed() -> None:
    [change] = plan_cancellations([covering("sent", {3})])
    assert (change.action, change.new_qty) == ("flag", 12)
    assert "C" in change.reason
    assert "sent" in change.reason


def test_moq_keeps_a_line_from_shrinking_below_it() -> None:
    [change] = plan_cancellations([covering("draft", {3}, moq=12)])
    assert change.action == "keep"
    assert change.released == (3,)


def test_a_shrunk_line_is_repriced_at_its_new_quantity() -> None:
    breaks = (PriceBreak(1, Decimal("11")), PriceBreak(10, Decimal("10")))
    [change] = plan_cancellations([covering("draft", {3}, breaks=breaks)])
    assert (change.new_qty, change.new_unit_price) == (7, Decimal("11"))


def test_lines_without_cancelled_backorders_are_left_alone() -> None:
    assert plan_cancellations([covering("draft", set())]) == []
