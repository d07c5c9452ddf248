"""Net shortages per SKU: back orders covered by stock on hand first, then by open PO lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from purchasing.errors import InputRejected


@dataclass(frozen=True, slots=True)
class BackorderDemand:
    """An open back-order line as shortage calculation sees it."""

    backorder_id: int
    line_id: str  # the store's own line id, as in its file
    sku: str
    qty: int
    ordered_at: date
    order_id: str = ""  # the store's order, for people reading a line id like "1"

    def sort_key(self) -> tuple[date, str, int]:
        return (self.ordered_at, self.line_id, self.backorder_id)


@dataclass(frozen=True, slots=True)
class OpenSupply:
    """An open PO line for a SKU and the back-order lines it already covers."""

    po_line_id: int
    sku: str
    qty: int
    received_qty: int = 0
    covers: tuple[int, ...] = ()  # back-order ids with an open coverage on this line


@dataclass(frozen=True)
class Shortage:
    """Units of a SKU to buy: the uncovered back-order lines plus any safety-stock top-up."""

    sku: str
    qty: int
    covers: tuple[BackorderDemand, ...]
    safety_qty: int = 0

    @property
    def oldest(self) -> date | None:
        return min((line.ordered_at for line in self.covers), default=None)

    @property
    def uncovered_qty(self) -> int:
        return sum(line.qty for line in self.covers)


@dataclass(frozen=True)
class ReleasedCoverage:
    """An existing coverage that is no longer needed, and why."""

    backorder_id: int
    po_line_id: int
    reason: str


@dataclass(frozen=True)
class SkuAllocation:
    """How one SKU's open back-order lines are covered as of a date."""

    sku: str
    by_stock: tuple[int, ...] = ()
    by_po: tuple[tuple[int, int], ...] = ()  # (back-order id, PO line id), existing coverage
    new_coverage: tuple[tuple[int, int], ...] = ()  # (back-order id, PO line id) on spare qty
    released: tuple[ReleasedCoverage, ...] = ()
    shortage: Shortage | None = None
    stock_left: int = 0
    spare_po_qty: int = 0


@dataclass
class _Spare:
    po_line_id: int
    free: int
    taken: list[int] = field(default_factory=list)


def allocate_sku(
    sku: str,
    lines: Sequence[BackorderDemand],
    *,
    on_hand: int = 0,
    supplies: Sequence[OpenSupply] = (),
    safety_stock: int = 0,
) -> SkuAllocation:
    """Cover ``sku``'s open lines: stock first (whole lines, oldest first), then open PO lines.

    A line larger than the stock left is skipped and the stock passes to the next line that
    fits. Lines already covered by an open PO line stay there unless stock now covers them
    (the coverage is then released). Spare quantity on open PO lines (e.g. from MOQ rounding)
    takes further whole lines before anything new is bought.
    """
    if on_hand < 0:
        raise InputRejected(f"stock on hand of SKU {sku} is negative ({on_hand})")
    if safety_stock < 0:
        raise InputRejected(f"safety stock of SKU {sku} is negative ({safety_stock})")
    ordered = sorted(lines, key=BackorderDemand.sort_key)
    covering: dict[int, int] = {}
    for supply in supplies:
        for backorder_id in supply.covers:
            covering[backorder_id] = supply.po_line_id

    stock_left = on_hand
    by_stock: list[int] = []
    waiting: list[BackorderDemand] = []
    for line in ordered:
        if line.qty <= stock_left:
            stock_left -= line.qty
            by_stock.append(line.backorder_id)
        else:
            waiting.append(line)

    released = [
        ReleasedCoverage(backorder_id, covering[backorder_id], "covered-by-stock")
        for backorder_id in by_stock
        if backorder_id in covering
    ]
    used: dict[int, int] = defaultdict(int)
    by_po: list[tuple[int, int]] = []
    uncovered: list[BackorderDemand] = []
    line_qty = {line.backorder_id: line.qty for line in ordered}
    for line in waiting:
        po_line_id = covering.get(line.backorder_id)
        if po_line_id is None:
            uncovered.append(line)
        else:
            by_po.append((line.backorder_id, po_line_id))
            used[po_line_id] += line_qty[line.backorder_id]

    spares = [
        _Spare(supply.po_line_id, supply.qty - supply.received_qty - used[supply.po_line_id])
        for supply in sorted(supplies, key=lambda s: s.po_line_id)
    ]
    new_coverage: list[tuple[int, int]] = []
    short: list[BackorderDemand] = []
    for line in uncovered:
        spare = next((s for s in spares if s.free >= line.qty), None)
        if spare is None:
            short.append(line)
            continue
        spare.free -= line.qty
        new_coverage.append((line.backorder_id, spare.po_line_id))

    spare_qty = sum(max(0, s.free) for s in spares)
    short_qty = sum(line.qty for line in short)
    # Safety stock counts what is left on the shelf and spare on order before buying more.
    safety_qty = max(0, safety_stock - stock_left - spare_qty)
    shortage = (
        Shortage(sku, short_qty + safety_qty, tuple(short), safety_qty)
        if short_qty + safety_qty > 0
        else None
    )
    return SkuAllocation(
        sku=sku,
        by_stock=tuple(by_stock),
        by_po=tuple(by_po),
        new_coverage=tuple(new_coverage),
        released=tuple(released),
        shortage=shortage,
        stock_left=stock_left,
        spare_po_qty=spare_qty,
    )


def allocate(
    lines: Iterable[BackorderDemand],
    *,
    on_hand: Mapping[str, int],
    supplies: Iterable[OpenSupply] = (),
    safety_stock: Mapping[str, int] | None = None,
) -> list[SkuAllocation]:
    """:func:`allocate_sku` for every SKU with open lines or a safety stock, in SKU order."""
    by_sku: dict[str, list[BackorderDemand]] = defaultdict(list)
    for line in lines:
        by_sku[line.sku].append(line)
    supplies_by_sku: dict[str, list[OpenSupply]] = defaultdict(list)
    for supply in supplies:
        supplies_by_sku[supply.sku].append(supply)
    safety = safety_stock or {}
    skus = set(by_sku) | {sku for sku, qty in safety.items() if qty > 0}
    return [
        allocate_sku(
            sku,
            by_sku.get(sku, []),
            on_hand=on_hand.get(sku, 0),
            supplies=supplies_by_sku.get(sku, []),
            safety_stock=safety.get(sku, 0),
        )
        for sku in sorted(skus)
    ]
