"""Reading coverage back: which open PO lines cover which back-order lines, never twice."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from models import BackorderLine, PoLine, PoLineCoverage, PurchaseOrder, StockOnHand


def open_coverage(engine: Engine) -> list[tuple[int, int]]:
    """(back-order line id, PO line id) of every coverage not released, sorted."""
    with Session(engine) as session:
        rows = session.execute(
            select(col(PoLineCoverage.backorder_line_id), col(PoLineCoverage.po_line_id)).where(
                col(PoLineCoverage.released_at).is_(None)
            )
        ).all()
    return sorted((row[0], row[1]) for row in rows)


def po_shape(engine: Engine) -> set[tuple[str, str, int, tuple[str, ...]]]:
    """(supplier id, SKU id, qty, covered line ids) of every open PO line."""
    with Session(engine) as session:
        rows = session.execute(
            select(
                col(PurchaseOrder.supplier_id),
                col(PoLine.sku_id),
                col(PoLine.qty),
                col(BackorderLine.line_id),
                col(BackorderLine.order_id),
                col(PoLine.id),
            )
            .join(PoLine, col(PoLine.po_id) == col(PurchaseOrder.id))
            .join(PoLineCoverage, col(PoLineCoverage.po_line_id) == col(PoLine.id))
            .join(BackorderLine, col(BackorderLine.id) == col(PoLineCoverage.backorder_line_id))
            .where(col(PoLineCoverage.released_at).is_(None))
        ).all()
    covers: dict[int, list[str]] = {}
    keys: dict[int, tuple[str, str, int]] = {}
    for supplier_id, sku_id, qty, line_id, order_id, po_line_id in rows:
        covers.setdefault(po_line_id, []).append(f"{order_id}/{line_id}")
        keys[po_line_id] = (str(supplier_id), str(sku_id), qty)
    return {(*keys[i], tuple(sorted(c))) for i, c in covers.items()}


def assert_every_open_line_covered_once(engine: Engine) -> None:
    """No back-order line has two open coverages; every open line is covered by stock or a PO."""
    with Session(engine) as session:
        open_cover = (
            session.execute(
                select(col(PoLineCoverage.backorder_line_id)).where(
                    col(PoLineCoverage.released_at).is_(None)
                )
            )
            .scalars()
            .all()
        )
        open_lines = set(
            session.execute(
                select(col(BackorderLine.id)).where(col(BackorderLine.status) == "open")
            ).scalars()
        )
        stock = session.execute(select(func.count()).select_from(StockOnHand)).scalar_one()
    assert [i for i, n in Counter(open_cover).items() if n > 1] == []
    assert stock == 0  # no stock in these worlds: every open line must be on a PO line
    assert open_lines == set(open_cover)
