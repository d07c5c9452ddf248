"""Shipping back orders from stock: oldest lines first, coverage released, customers told."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from models import BackorderLine, PoLine, PoLineCoverage, PurchaseOrder, Sku, StockOnHand
from models.types import utcnow
from purchasing.fulfilment import Shipment, WaitingLine, plan_fulfilment
from services.outbox_templates import ORDER_SHIPPED, queue_message

RELEASED_FULFILLED = "fulfilled"


@dataclass(frozen=True)
class ShippedLine:
    """A back-order line that shipped, with its customer's wait."""

    order_id: str
    line_id: str
    sku: str
    qty: int
    ordered_at: date
    fulfilled_on: date
    wait_days: int
    covered_by: str | None  # the PO whose coverage was released, or None
    notified: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "line_id": self.line_id,
            "sku": self.sku,
            "qty": self.qty,
            "ordered_at": self.ordered_at.isoformat(),
            "fulfilled_on": self.fulfilled_on.isoformat(),
            "wait_days": self.wait_days,
            "covered_by": self.covered_by,
            "notified": self.notified,
        }


@dataclass
class FulfilmentResult:
    """Every line shipped in one fulfilment step."""

    shipped: list[ShippedLine] = field(default_factory=list)

    @property
    def notifications(self) -> int:
        return sum(line.notified for line in self.shipped)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fulfilled": [line.as_dict() for line in self.shipped],
            "notifications": self.notifications,
        }


def fulfil_from_stock(session: Session, shipped_on: Mapping[int, date]) -> FulfilmentResult:
    """Ship each SKU's waiting lines from its stock on hand, as of the given day per SKU id."""
    result = FulfilmentResult()
    for sku_id in sorted(shipped_on):
        result.shipped.extend(_fulfil_sku(session, sku_id, shipped_on[sku_id]))
    return result


def _fulfil_sku(session: Session, sku_id: int, day: date) -> list[ShippedLine]:
    # The stock row is locked first: two runs serving one SKU queue instead of both shipping.
    stock = session.get(StockOnHand, sku_id, with_for_update=True)
    if stock is None or stock.on_hand <= 0:
        return []
    sku = session.get(Sku, sku_id)
    assert sku is not None
    rows = session.execute(
        select(BackorderLine).where(
            col(BackorderLine.sku_id) == sku_id, col(BackorderLine.status) == "open"
        )
    ).scalars()
    by_id = {line.id: line for line in rows if line.id is not None}
    waiting = [
        WaitingLine(
            backorder_id=line_id,
            order_id=line.order_id,
            line_id=line.line_id,
            sku=sku.code,
            qty=line.qty,
            ordered_at=line.ordered_at,
            customer_email=line.customer_email,
        )
        for line_id, line in by_id.items()
    ]
    plan = plan_fulfilment(sku.code, waiting, on_hand=stock.on_hand, shipped_on=day)
    if not plan.shipments:
        return []
    covering = _covering_pos(session, [s.line.backorder_id for s in plan.shipments])
    now = utcnow()
    shipped: list[ShippedLine] = []
    for shipment in plan.shipments:
        line = by_id[shipment.line.backorder_id]
        line.status = "fulfilled"
        line.fulfilled_on = shipment.fulfilled_on
        line.updated_at = now
        session.add(line)
        notified = _notify_customer(session, shipment)
        shipped.append(
            ShippedLine(
                order_id=line.order_id,
                line_id=line.line_id,
                sku=sku.code,
                qty=line.qty,
                ordered_at=line.ordered_at,
                fulfilled_on=shipment.fulfilled_on,
                wait_days=shipment.wait_days,
                covered_by=covering.get(shipment.line.backorder_id),
                notified=notified,
            )
        )
    shipped_ids = [s.line.backorder_id for s in plan.shipments]
    session.execute(
        update(PoLineCoverage)
        .where(
            col(PoLineCoverage.backorder_line_id).in_(shipped_ids),
            col(PoLineCoverage.released_at).is_(None),
        )
        .values(released_at=now, release_reason=RELEASED_FULFILLED)
    )
    stock.on_hand = plan.stock_left
    stock.updated_at = now
    session.add(stock)
    session.flush()
    return shipped


def _covering_pos(session: Session, backorder_ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(col(PoLineCoverage.backorder_line_id), col(PurchaseOrder.po_number))
        .join(PoLine, col(PoLine.id) == col(PoLineCoverage.po_line_id))
        .join(PurchaseOrder, col(PurchaseOrder.id) == col(PoLine.po_id))
        .where(
            col(PoLineCoverage.backorder_line_id).in_(backorder_ids),
            col(PoLineCoverage.released_at).is_(None),
        )
    ).all()
    return {int(backorder_id): str(po_number) for backorder_id, po_number in rows}


def _notify_customer(session: Session, shipment: Shipment) -> bool:
    """'Your order has shipped' for a line whose customer left an e-mail address."""
    line = shipment.line
    if not line.customer_email:
        return False
    queue_message(
        session,
        message_type=ORDER_SHIPPED,
        dedupe_key=f"{ORDER_SHIPPED}:{line.order_id}:{line.line_id}",
        recipient=line.customer_email,
        values={
            "order_id": line.order_id,
            "line_id": line.line_id,
            "qty": line.qty,
            "sku": line.sku,
            "ordered_at": line.ordered_at.isoformat(),
            "shipped_on": shipment.fulfilled_on.isoformat(),
        },
        payload={
            "order_id": line.order_id,
            "line_id": line.line_id,
            "sku": line.sku,
            "fulfilled_on": shipment.fulfilled_on.isoformat(),
            "wait_days": shipment.wait_days,
        },
    )
    return True


def fulfil_waiting(session: Session, as_of: date) -> FulfilmentResult:
    """Ship every SKU's waiting lines that the stock on the shelf can serve (a catch-up)."""
    with_stock = set(
        session.execute(select(col(StockOnHand.sku_id)).where(col(StockOnHand.on_hand) > 0))
        .scalars()
        .all()
    )
    waiting = set(
        session.execute(
            select(col(BackorderLine.sku_id)).where(
                col(BackorderLine.status) == "open", col(BackorderLine.ordered_at) <= as_of
            )
        )
        .scalars()
        .all()
    )
    return fulfil_from_stock(session, dict.fromkeys(with_stock & waiting, as_of))
