"""The buyer's PO desk: list and show procure's POs, and approve one held over the limit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models import (
    BackorderLine,
    PoEvent,
    PoLine,
    PoLineCoverage,
    PurchaseOrder,
    Sku,
    StandingOverride,
    Supplier,
)
from models.db import session_scope
from models.statuses import PO_STATUSES
from purchasing.errors import InputRejected, RuleViolation, UnknownRecord
from services.po_release import approve_and_send, is_reserved_actor
from services.po_transport import DeliveryReport, deliver_pending_pos
from services.reorder import LOCK_NAME, Sending, money_text
from services.run_lock import run_lock


@dataclass(frozen=True)
class ApprovalResult:
    """A PO a person approved, now sent."""

    po_number: str
    supplier: str
    status: str
    approved_by: str
    delivered: tuple[DeliveryReport, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "po_number": self.po_number,
            "supplier": self.supplier,
            "status": self.status,
            "approved_by": self.approved_by,
            "delivered": [{"status": d.status, "where": d.where} for d in self.delivered],
        }


def approve_po(
    engine: Engine,
    po_number: str,
    *,
    by: str,
    as_of: date,
    sending: Sending | None = None,
) -> ApprovalResult:
    """A person approves a PO waiting over the limit; it is then sent.

    Refused: unknown PO, a PO not waiting for approval, an approver who is the PO's
    creator or one of the automation's own names, and a supplier blocked by hand.
    """
    approver = by.strip()
    if not approver:
        raise InputRejected("--by must name the person approving")
    if is_reserved_actor(approver):
        raise RuleViolation(f"{approver!r} is the automation's name; a person must approve")
    # Same lock as reorder, so a run never merges lines into a PO being approved.
    with run_lock(engine, LOCK_NAME, wait=True) as held:
        if not held:
            raise RuleViolation("a reorder run is busy; try the approval again in a moment")
        with session_scope(engine) as session:
            po = session.execute(
                select(PurchaseOrder)
                .where(col(PurchaseOrder.po_number) == po_number.strip())
                .with_for_update()
            ).scalar_one_or_none()
            if po is None:
                raise UnknownRecord(f"no PO {po_number.strip()!r}")
            if po.status != "pending_approval":
                raise RuleViolation(
                    f"{po.po_number} is {po.status}; only a PO waiting for approval can be approved"
                )
            if approver.casefold() == po.created_by.strip().casefold():
                raise RuleViolation(f"{approver} created {po.po_number} and cannot approve it")
            supplier = session.get(Supplier, po.supplier_id)
            assert supplier is not None
            blocked = _blocked_by_hand(session, po.supplier_id, as_of)
            if blocked is not None:
                raise RuleViolation(
                    f"{supplier.name} is blocked ({blocked}); lift the block before approving "
                    f"{po.po_number}"
                )
            approve_and_send(session, po, approver=approver, reason=f"approved by {approver}")
            result = ApprovalResult(po.po_number, supplier.name, po.status, approver)
    if sending is not None:
        reports = deliver_pending_pos(
            engine, documents_dir=sending.documents_dir, transport=sending.transport
        )
        mine = tuple(r for r in reports if r.po_number == result.po_number)
        result = ApprovalResult(
            result.po_number, result.supplier, result.status, result.approved_by, mine
        )
    return result


def _blocked_by_hand(session: Session, supplier_id: int, as_of: date) -> str | None:
    overrides = session.execute(
        select(StandingOverride)
        .where(col(StandingOverride.supplier_id) == supplier_id)
        .order_by(col(StandingOverride.set_on), col(StandingOverride.id))
    ).scalars()
    in_force: list[StandingOverride] = [
        o for o in overrides if o.set_on <= as_of and (o.until is None or as_of <= o.until)
    ]
    if in_force and in_force[-1].standing == "blocked":
        return str(in_force[-1].reason)
    return None


def list_pos(
    session: Session,
    *,
    status: str | None = None,
    supplier: str | None = None,
    po_number: str | None = None,
) -> list[dict[str, Any]]:
    """procure's own POs (all statuses unless one is given), each with its lines and coverage."""
    if status is not None and status not in PO_STATUSES:
        raise InputRejected(f"unknown PO status {status!r}; one of: {', '.join(PO_STATUSES)}")
    query = (
        select(PurchaseOrder, col(Supplier.name))
        .join(Supplier, col(Supplier.id) == col(PurchaseOrder.supplier_id))
        .order_by(col(PurchaseOrder.po_number))
    )
    if status is not None:
        query = query.where(col(PurchaseOrder.status) == status)
    if supplier is not None:
        query = query.where(col(Supplier.name) == supplier.strip())
    if po_number is not None:
        query = query.where(col(PurchaseOrder.po_number) == po_number.strip())
    pos = session.execute(query).all()
    ids = [po.id for po, _ in pos]
    lines: dict[int, list[tuple[PoLine, str]]] = defaultdict(list)
    covers: dict[int, list[str]] = defaultdict(list)
    orders: dict[int, list[str]] = defaultdict(list)
    if ids:
        for line, code in session.execute(
            select(PoLine, col(Sku.code))
            .join(Sku, col(Sku.id) == col(PoLine.sku_id))
            .where(col(PoLine.po_id).in_(ids))
            .order_by(col(PoLine.po_id), col(PoLine.line_no))
        ).all():
            lines[line.po_id].append((line, code))
        for po_line_id, line_ref, order_id in session.execute(
            select(
                col(PoLineCoverage.po_line_id),
                col(BackorderLine.line_id),
                col(BackorderLine.order_id),
            )
            .join(BackorderLine, col(BackorderLine.id) == col(PoLineCoverage.backorder_line_id))
            .join(PoLine, col(PoLine.id) == col(PoLineCoverage.po_line_id))
            .where(col(PoLine.po_id).in_(ids), col(PoLineCoverage.released_at).is_(None))
            .order_by(col(BackorderLine.ordered_at), col(BackorderLine.line_id))
        ).all():
            covers[po_line_id].append(line_ref)
            orders[po_line_id].append(order_id)
    return [
        {
            "po_number": po.po_number,
            "supplier": name,
            "status": po.status,
            "order_date": po.order_date.isoformat(),
            "currency": po.currency,
            "created_by": po.created_by,
            "approved_by": po.approved_by,
            "value": money_text(
                sum(
                    (
                        line.unit_price * line.qty
                        for line, _ in lines[po.id or 0]
                        if line.status != "cancelled"
                    ),
                    Decimal(0),
                )
            ),
            "lines": [
                {
                    "line_no": line.line_no,
                    "sku": code,
                    "qty": line.qty,
                    "unit_price": money_text(line.unit_price),
                    "status": line.status,
                    "expected_date": line.expected_date.isoformat() if line.expected_date else None,
                    "covers": covers.get(line.id or 0, []),
                    "covers_orders": orders.get(line.id or 0, []),
                    "reason": line.reason,
                }
                for line, code in lines[po.id or 0]
            ],
        }
        for po, name in pos
    ]


def show_po(session: Session, po_number: str) -> dict[str, Any]:
    """One PO with its lines, their ranked candidates, and its audit trail."""
    [document] = list_pos_for(session, po_number)
    po_id = session.execute(
        select(col(PurchaseOrder.id)).where(col(PurchaseOrder.po_number) == po_number.strip())
    ).scalar_one()
    candidates = {
        line_no: (code, cands)
        for line_no, code, cands in session.execute(
            select(col(PoLine.line_no), col(PoLine.reason_code), col(PoLine.candidates)).where(
                col(PoLine.po_id) == po_id
            )
        ).all()
    }
    from services.reroute import reroute_links

    links = reroute_links(session, po_id)
    for line in document["lines"]:
        code, cands = candidates[line["line_no"]]
        line["reason_code"] = code
        line["candidates"] = cands
        line.update(links.get(line["line_no"], {}))
    document["events"] = [
        {
            "at": event.at.isoformat(),
            "line_id": event.po_line_id,
            "from": event.from_status,
            "to": event.to_status,
            "actor": event.actor,
            "reason": event.reason,
        }
        for event in session.execute(
            select(PoEvent).where(col(PoEvent.po_id) == po_id).order_by(col(PoEvent.id))
        ).scalars()
    ]
    return document


def list_pos_for(session: Session, po_number: str) -> list[dict[str, Any]]:
    """The listing of exactly one PO, or :class:`UnknownRecord`."""
    found = list_pos(session, po_number=po_number)
    if not found:
        raise UnknownRecord(f"no PO {po_number.strip()!r}")
    return found
