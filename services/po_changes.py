"""A buyer's changes to a PO: cancel it (or ask the supplier to), resend it; one event each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from models import (
    BackorderLine,
    DeliveryLine,
    OutboxMessage,
    PoEvent,
    PoLine,
    PoLineCoverage,
    PurchaseOrder,
    Sku,
    Supplier,
)
from models.types import key, utcnow
from purchasing.errors import InputRejected, RuleViolation, UnknownRecord
from services.outbox_templates import CANCELLATION_REQUEST, queue_message
from services.po_release import PO_MESSAGE, is_reserved_actor, po_dedupe_key

# Lines not yet with the supplier: procure cancels them itself.
CANCELLABLE_HERE = ("draft", "pending_approval", "approved")
# Lines the supplier has: only the supplier can cancel them, so we ask.
WITH_SUPPLIER = ("sent", "confirmed", "partially_received")
RELEASED_PO_CANCELLED = "po-cancelled"


@dataclass
class PoChange:
    """What a cancel or resend did to one PO."""

    po_number: str
    supplier: str
    action: str  # "cancelled", "cancellation-requested", "resent", "unchanged"
    status: str
    cancelled_lines: list[int] = field(default_factory=list)
    requested_lines: list[int] = field(default_factory=list)
    released_backorders: list[str] = field(default_factory=list)
    message: str = ""
    version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "po_number": self.po_number,
            "supplier": self.supplier,
            "action": self.action,
            "status": self.status,
            "cancelled_lines": self.cancelled_lines,
            "requested_lines": self.requested_lines,
            "released_backorders": self.released_backorders,
            "version": self.version,
            "message": self.message,
        }


def _person(by: str) -> str:
    name = by.strip()
    if not name:
        raise InputRejected("--by must name the person making the change")
    if is_reserved_actor(name):
        raise InputRejected(f"{name!r} is reserved for the automation; give your own name")
    return name


def _po(session: Session, po_number: str) -> tuple[PurchaseOrder, Supplier]:
    po = session.execute(
        select(PurchaseOrder).where(col(PurchaseOrder.po_number) == po_number.strip())
    ).scalar_one_or_none()
    if po is None:
        raise UnknownRecord(f"no PO {po_number.strip()!r}")
    supplier = session.get(Supplier, po.supplier_id)
    assert supplier is not None
    return po, supplier


def _event(
    session: Session,
    po: PurchaseOrder,
    *,
    to_status: str,
    from_status: str | None,
    actor: str,
    reason: str,
    line: PoLine | None = None,
) -> None:
    session.add(
        PoEvent(
            po_id=key(po),
            po_line_id=None if line is None else key(line),
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            reason=reason[:2000],
        )
    )


def cancel_po(session: Session, po_number: str, *, reason: str, by: str) -> PoChange:
    """Cancel the PO's lines still with us; ask the supplier to cancel the lines it has."""
    actor = _person(by)
    why = reason.strip()
    if not why:
        raise InputRejected("--reason must say why the PO is cancelled")
    po, supplier = _po(session, po_number)
    lines = list(
        session.execute(
            select(PoLine).where(col(PoLine.po_id) == key(po)).order_by(col(PoLine.line_no))
        ).scalars()
    )
    here = [line for line in lines if line.status in CANCELLABLE_HERE]
    there = [line for line in lines if line.status in WITH_SUPPLIER]
    if not here and not there:
        raise RuleViolation(
            f"{po.po_number} is {po.status}: no line is open, there is nothing to cancel"
        )
    change = PoChange(po.po_number, supplier.name, "unchanged", po.status)
    if here:
        change.released_backorders = _cancel_lines(session, po, here, actor=actor, reason=why)
        change.cancelled_lines = [line.line_no for line in here]
        change.action = "cancelled"
    if there:
        requested = _request_cancellation(session, po, supplier, there, actor=actor, reason=why)
        if requested:
            change.requested_lines = [line.line_no for line in there]
            change.action = "cancellation-requested" if not here else "cancelled"
    session.flush()
    statuses = [line.status for line in lines]
    if all(status in ("cancelled", "rerouted") for status in statuses) and po.status != "cancelled":
        _event(
            session,
            po,
            to_status="cancelled",
            from_status=po.status,
            actor=actor,
            reason=f"every line cancelled by {actor}: {why}",
        )
        po.status = "cancelled"
        session.add(po)
    change.status = po.status
    change.message = _cancel_message(change)
    session.flush()
    return change


def _cancel_lines(
    session: Session, po: PurchaseOrder, lines: list[PoLine], *, actor: str, reason: str
) -> list[str]:
    """Cancel lines procure still holds; the back orders they covered become uncovered."""
    now = utcnow()
    for line in lines:
        _event(
            session,
            po,
            to_status="cancelled",
            from_status=line.status,
            actor=actor,
            reason=f"cancelled by {actor}: {reason}",
            line=line,
        )
        line.status = "cancelled"
        line.updated_at = now
        session.add(line)
    ids = [key(line) for line in lines]
    released = list(
        session.execute(
            select(col(PoLineCoverage.id), col(PoLineCoverage.backorder_line_id)).where(
                col(PoLineCoverage.po_line_id).in_(ids), col(PoLineCoverage.released_at).is_(None)
            )
        ).all()
    )
    if released:
        session.execute(
            update(PoLineCoverage)
            .where(col(PoLineCoverage.id).in_([row[0] for row in released]))
            .values(released_at=now, release_reason=RELEASED_PO_CANCELLED)
        )
    session.execute(
        update(DeliveryLine)
        .where(col(DeliveryLine.po_line_id).in_(ids))
        .values(status="cancelled_by_us", updated_at=now)
    )
    refs = session.execute(
        select(col(BackorderLine.line_id))
        .where(col(BackorderLine.id).in_([row[1] for row in released]))
        .order_by(col(BackorderLine.line_id))
    ).scalars()
    return list(refs)


def _request_cancellation(
    session: Session,
    po: PurchaseOrder,
    supplier: Supplier,
    lines: list[PoLine],
    *,
    actor: str,
    reason: str,
) -> bool:
    """Queue a cancellation request for lines the supplier has; ``False`` if already asked."""
    numbers = ",".join(str(line.line_no) for line in lines)
    codes = dict(
        session.execute(
            select(col(Sku.id), col(Sku.code)).where(
                col(Sku.id).in_([line.sku_id for line in lines])
            )
        ).all()
    )
    listing = "\n".join(
        f"  line {line.line_no}: {line.qty} x {codes[line.sku_id]}" for line in lines
    )
    queued = queue_message(
        session,
        message_type=CANCELLATION_REQUEST,
        dedupe_key=f"{CANCELLATION_REQUEST}:{po.po_number}:{numbers}",
        recipient=supplier.po_email or supplier.po_drop_folder,
        values={
            "supplier": supplier.name,
            "po_number": po.po_number,
            "order_date": po.order_date.isoformat(),
            "lines": listing,
            "reason": reason,
            "requested_by": actor,
        },
        payload={"po_number": po.po_number, "supplier": supplier.name, "lines": numbers},
    )
    if queued:
        # The PO stays with the supplier until it confirms: the event records the request.
        _event(
            session,
            po,
            to_status=po.status,
            from_status=po.status,
            actor=actor,
            reason=f"cancellation of line(s) {numbers} requested from {supplier.name}: {reason}",
        )
    return queued


def _cancel_message(change: PoChange) -> str:
    parts = []
    if change.cancelled_lines:
        parts.append(f"line(s) {', '.join(map(str, change.cancelled_lines))} cancelled")
    if change.requested_lines:
        lines = ", ".join(map(str, change.requested_lines))
        parts.append(f"cancellation of line(s) {lines} requested from {change.supplier}")
    if not parts:
        parts.append(f"cancellation already requested from {change.supplier}: nothing new")
    return f"{change.po_number}: " + "; ".join(parts)


def resend_po(session: Session, po_number: str, *, by: str, reason: str = "") -> PoChange:
    """Queue the PO document again, as a new version under the same PO reference."""
    actor = _person(by)
    po, supplier = _po(session, po_number)
    if po.status not in WITH_SUPPLIER:
        raise RuleViolation(
            f"{po.po_number} is {po.status}: only a PO the supplier has can be resent"
        )
    sent_before = session.execute(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            col(OutboxMessage.message_type) == PO_MESSAGE,
            col(OutboxMessage.dedupe_key).like(f"{PO_MESSAGE}:{po.po_number}:v%"),
        )
    ).scalar_one()
    version = int(sent_before) + 1
    dedupe = po_dedupe_key(po.po_number, version)
    session.add(
        OutboxMessage(
            message_type=PO_MESSAGE,
            dedupe_key=dedupe,
            recipient=supplier.po_email or supplier.po_drop_folder,
            subject=f"Purchase order {po.po_number} from procure (resent, version {version})",
            body=(
                f"Please find attached purchase order {po.po_number} dated "
                f"{po.order_date.isoformat()} again (version {version}). It replaces earlier "
                f"copies; quote {po.po_number} on every confirmation, delivery note and invoice."
            ),
            payload={"po_number": po.po_number, "version": version, "supplier": supplier.name},
        )
    )
    why = reason.strip() or "resent at the buyer's request"
    _event(
        session,
        po,
        to_status=po.status,
        from_status=po.status,
        actor=actor,
        reason=f"resent to {supplier.name} as version {version} by {actor}: {why}",
    )
    session.flush()
    return PoChange(
        po.po_number,
        supplier.name,
        "resent",
        po.status,
        message=f"{po.po_number} queued again for {supplier.name} as {dedupe}",
        version=version,
    )
