"""How each open back-order line is covered right now, by the same stock-first rule as reorder."""

from __future__ import annotations

from collections import defaultdict

from purchasing.shortages import BackorderDemand, OpenSupply, SkuAllocation, allocate_sku
from services.reorder_state import ReorderState


def current_allocations(state: ReorderState) -> dict[str, SkuAllocation]:
    """Per SKU: lines stock on hand serves first, and lines waiting on their open PO line."""
    covers: dict[int, list[int]] = defaultdict(list)
    for coverage in state.coverage:
        backorder = state.backorders.get(coverage.backorder_id)
        if coverage.po_line_id in state.po_lines and backorder and backorder.status == "open":
            covers[coverage.po_line_id].append(coverage.backorder_id)
    covered = {b for ids in covers.values() for b in ids}
    demands: dict[str, list[BackorderDemand]] = defaultdict(list)
    for b in state.backorders.values():
        # A line ordered after the as-of date did not exist yet, unless already covered.
        if b.status == "open" and (b.ordered_at <= state.as_of or b.id in covered):
            sku = state.skus[b.sku_id]
            demands[sku].append(BackorderDemand(b.id, b.line_id, sku, b.qty, b.ordered_at))
    supplies: dict[str, list[OpenSupply]] = defaultdict(list)
    for line in state.po_lines.values():
        sku = state.skus[line.sku_id]
        supplies[sku].append(
            OpenSupply(line.id, sku, line.qty, line.received_qty, tuple(covers.get(line.id, ())))
        )
    return {
        sku: allocate_sku(
            sku, lines, on_hand=state.on_hand.get(sku, 0), supplies=supplies.get(sku, ())
        )
        for sku, lines in sorted(demands.items())
    }


def waiting_by_po_line(state: ReorderState) -> dict[int, list[BackorderDemand]]:
    """Per open PO line, the covered back-order lines that stock on hand does not serve first."""
    by_id = {
        b.id: BackorderDemand(b.id, b.line_id, state.skus[b.sku_id], b.qty, b.ordered_at)
        for b in state.backorders.values()
    }
    waiting: dict[int, list[BackorderDemand]] = defaultdict(list)
    for allocation in current_allocations(state).values():
        for backorder_id, po_line_id in allocation.by_po:
            waiting[po_line_id].append(by_id[backorder_id])
    return waiting
