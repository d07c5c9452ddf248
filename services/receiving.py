"""Receipts against procure's own POs: PO lines move on, stock goes up, back orders ship.

A receipt is matched to a PO line (by PO and line number, else PO and SKU), its cumulative
quantity capped at what was ordered, and the line moved to ``partially_received`` or
``received`` with one audit event per change. The goods are booked to stock, which then
serves the waiting back orders oldest first (:mod:`services.fulfilment`). The delivery
history that scores suppliers gets the receipt too, judged against the promise the line was
sent with, so procure learns from its own orders.

The deliveries writer calls :func:`receive_in_ingest` inside its transaction: a file's
rows, its receipts and the shipments they allow commit together or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select, update
from sqlmodel import Session, col

from models import (
    BackorderLine,
    DeliveryLine,
    Offer,
    PoEvent,
    PoLine,
    PoLineCoverage,
    PurchaseOrder,
    Sku,
    StockOnHand,
    Supplier,
)
from models.types import key, utcnow
from purchasing.receiving import (
    CLOSED_STATUSES,
    UNSENT_STATUSES,
    LineMatch,
    LineOnOrder,
    ReceiptDecision,
    apply_receipt,
    match_line,
    po_status_after,
)
from services.fulfilment import FulfilmentResult, fulfil_from_stock

RECEIVING = "procure:receiving"
RELEASED_PO_LINE_RECEIVED = "po-line-received"
# Kept for the Prefect step of the same process to report on; bounded so it never grows.
_RECENT_RESULTS: dict[int, ReceivingResult] = {}
_RECENT_LIMIT = 50


@dataclass(frozen=True)
class Receipt:
    """A supplier's cumulative receipt figure for one of our PO lines."""

    po_line_id: int
    reported_qty: int
    received_date: date
    source: str = ""


@dataclass(frozen=True)
class ReceivedLine:
    """What one PO line looks like after its receipts, judged against its original promise."""

    po_number: str
    line_no: int
    supplier: str
    sku: str
    ordered_qty: int
    received_qty: int
    added_qty: int
    received_date: date
    original_promised_date: date | None
    status: str
    late_tolerance_days: int = 0

    @property
    def days_late(self) -> int | None:
        if self.original_promised_date is None:
            return None
        return (self.received_date - self.original_promised_date).days

    @property
    def on_time(self) -> bool | None:
        late = self.days_late
        return None if late is None else late <= self.late_tolerance_days

    def as_dict(self) -> dict[str, Any]:
        return {
            "po_number": self.po_number,
            "line_no": self.line_no,
            "supplier": self.supplier,
            "sku": self.sku,
            "ordered_qty": self.ordered_qty,
            "received_qty": self.received_qty,
            "added_qty": self.added_qty,
            "received_date": self.received_date.isoformat(),
            "original_promised_date": (
                None
                if self.original_promised_date is None
                else self.original_promised_date.isoformat()
            ),
            "days_late": self.days_late,
            "on_time": self.on_time,
            "status": self.status,
        }


@dataclass(frozen=True)
class Discrepancy:
    """A receipt that did not fit its line: over-received, lower than before, on a closed line."""

    po_number: str
    line_no: int
    sku: str
    code: str
    message: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "po_number": self.po_number,
            "line_no": self.line_no,
            "sku": self.sku,
            "code": self.code,
            "message": self.message,
            "source": self.source,
        }


@dataclass
class ReceivingResult:
    """Everything one receiving step did."""

    received: list[ReceivedLine] = field(default_factory=list)
    discrepancies: list[Discrepancy] = field(default_factory=list)
    fulfilment: FulfilmentResult = field(default_factory=FulfilmentResult)
    coverage_released: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "receipts": len(self.received),
            "po_lines_received": sum(line.status == "received" for line in self.received),
            "units_received": sum(line.added_qty for line in self.received),
            "backorders_fulfilled": len(self.fulfilment.shipped),
            "customers_notified": self.fulfilment.notifications,
            "receipt_discrepancies": len(self.discrepancies),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": [line.as_dict() for line in self.received],
            "discrepancies": [item.as_dict() for item in self.discrepancies],
            "coverage_released": self.coverage_released,
            **self.fulfilment.as_dict(),
        }


# The ordered side: a DeliveryLine for each PO line we send ---------------------------------


def quoted_promise(session: Session, line: PoLine, po: PurchaseOrder) -> date:
    """The date a line was ordered for: the offer's lead time from the order date."""
    if line.original_promised_date is not None:
        return line.original_promised_date
    if line.offer_id is not None:
        offer = session.get(Offer, line.offer_id)
        if offer is not None:
            return po.order_date + timedelta(days=offer.lead_time_days)
    return line.expected_date or po.order_date


def record_ordered_lines(session: Session, po: PurchaseOrder) -> int:
    """Give every released line of ``po`` its original promise and a delivery-history line."""
    lines = session.execute(
        select(PoLine).where(
            col(PoLine.po_id) == key(po),
            col(PoLine.status).not_in((*UNSENT_STATUSES, *CLOSED_STATUSES)),
        )
    ).scalars()
    created = 0
    for line in lines:
        created += _ordered_line(session, line, po)[1]
    session.flush()
    return created


def _ordered_line(session: Session, line: PoLine, po: PurchaseOrder) -> tuple[DeliveryLine, bool]:
    """The delivery-history line of a PO line, created on first need."""
    promise = quoted_promise(session, line, po)
    if line.original_promised_date is None:
        # Fixed once: a later confirmation re-promises (promised_date) but never moves this.
        line.original_promised_date = promise
    if line.promised_date is None:
        line.promised_date = promise
    session.add(line)
    found = (
        session.execute(select(DeliveryLine).where(col(DeliveryLine.po_line_id) == key(line)))
        .scalars()
        .first()
    )
    if found is None:
        found = (
            session.execute(
                select(DeliveryLine).where(
                    col(DeliveryLine.supplier_id) == po.supplier_id,
                    col(DeliveryLine.po_number) == po.po_number,
                    col(DeliveryLine.line_key) == po_line_key(line.line_no),
                )
            )
            .scalars()
            .first()
        )
    if found is not None:
        found.po_line_id = key(line)
        found.original_promised_date = line.original_promised_date
        session.add(found)
        return found, False
    created = DeliveryLine(
        supplier_id=po.supplier_id,
        po_number=po.po_number,
        line_key=po_line_key(line.line_no),
        sku_id=line.sku_id,
        po_line_id=key(line),
        ordered_qty=line.qty,
        order_date=po.order_date,
        original_promised_date=line.original_promised_date,
        promised_date=line.promised_date,
        status="open",
    )
    session.add(created)
    session.flush()
    return created, True


def po_line_key(line_no: int) -> str:
    """The delivery-history key of our PO line: its line number, as on the PO document."""
    return str(line_no)


# Receiving ----------------------------------------------------------------------------------


def receive(session: Session, receipts: Sequence[Receipt]) -> ReceivingResult:
    """Book receipts against our PO lines, then ship waiting back orders from the new stock."""
    result = ReceivingResult()
    by_line: dict[int, list[Receipt]] = defaultdict(list)
    for receipt in receipts:
        by_line[receipt.po_line_id].append(receipt)
    shipped_on: dict[int, date] = {}
    added: dict[int, int] = defaultdict(int)  # SKU id → units that reached the shelf
    touched_pos: set[int] = set()
    for po_line_id in sorted(by_line):
        line = session.get(PoLine, po_line_id)
        if line is None:
            continue
        po = session.get(PurchaseOrder, line.po_id)
        assert po is not None
        ordered = sorted(by_line[po_line_id], key=lambda r: (r.received_date, r.reported_qty))
        received = _receive_line(session, po, line, ordered, result)
        if received.added_qty > 0:
            added[line.sku_id] += received.added_qty
            day = received.received_date
            shipped_on[line.sku_id] = max(shipped_on.get(line.sku_id, day), day)
        result.received.append(received)
        touched_pos.add(key(po))
    for po_id in sorted(touched_pos):
        _settle_po_status(session, po_id)
    _book_stock(session, added)
    result.fulfilment = fulfil_from_stock(session, shipped_on)
    result.coverage_released = _release_received_lines(session, sorted(by_line))
    session.flush()
    return result


def _receive_line(
    session: Session,
    po: PurchaseOrder,
    line: PoLine,
    receipts: Sequence[Receipt],
    result: ReceivingResult,
) -> ReceivedLine:
    sku = session.get(Sku, line.sku_id)
    supplier = session.get(Supplier, po.supplier_id)
    assert sku is not None
    assert supplier is not None
    history, _ = _ordered_line(session, line, po)
    state = LineOnOrder(key(line), line.line_no, sku.code, line.qty, line.received_qty, line.status)
    added = 0
    latest = line.received_date
    for receipt in receipts:
        decision = apply_receipt(state, receipt.reported_qty, receipt.received_date)
        if decision.flag is not None:
            result.discrepancies.append(
                Discrepancy(
                    po.po_number,
                    line.line_no,
                    sku.code,
                    decision.flag,
                    decision.flag_text,
                    receipt.source,
                )
            )
        if decision.added_qty > 0 or latest is None:
            latest = receipt.received_date
        added += decision.added_qty
        if decision.status_changed:
            _line_event(session, po, line, decision, receipt)
        state = LineOnOrder(
            state.po_line_id,
            state.line_no,
            state.sku,
            state.qty,
            decision.received_qty,
            decision.to_status,
        )
    line.received_qty = state.received_qty
    line.received_date = latest
    line.status = state.status
    line.updated_at = utcnow()
    session.add(line)
    assert latest is not None
    # The history line is judged on when the goods came against the promise it was sent with.
    history.received_qty = max(history.received_qty or 0, state.received_qty)
    history.received_date = latest
    if state.received_qty >= line.qty:
        history.status = "received"
    history.updated_at = utcnow()
    session.add(history)
    return ReceivedLine(
        po_number=po.po_number,
        line_no=line.line_no,
        supplier=supplier.name,
        sku=sku.code,
        ordered_qty=line.qty,
        received_qty=state.received_qty,
        added_qty=added,
        received_date=latest,
        original_promised_date=line.original_promised_date,
        status=state.status,
        late_tolerance_days=supplier.late_tolerance_days,
    )


def _line_event(
    session: Session, po: PurchaseOrder, line: PoLine, decision: ReceiptDecision, receipt: Receipt
) -> None:
    where = f" ({receipt.source})" if receipt.source else ""
    reason = (
        f"{decision.received_qty} of {line.qty} received by "
        f"{decision.received_date.isoformat()}{where}"
    )
    if decision.flag == "over-receipt":
        reason += f"; {decision.flag_text}"
    session.add(
        PoEvent(
            po_id=key(po),
            po_line_id=key(line),
            from_status=decision.from_status,
            to_status=decision.to_status,
            actor=RECEIVING,
            reason=reason[:2000],
        )
    )


def _settle_po_status(session: Session, po_id: int) -> None:
    po = session.get(PurchaseOrder, po_id)
    assert po is not None
    session.flush()
    statuses = list(
        session.execute(select(col(PoLine.status)).where(col(PoLine.po_id) == po_id)).scalars()
    )
    target = po_status_after(statuses, po.status)
    if target == po.status or po.status in (*UNSENT_STATUSES, *CLOSED_STATUSES):
        return
    received = sum(status == "received" for status in statuses)
    session.add(
        PoEvent(
            po_id=po_id,
            from_status=po.status,
            to_status=target,
            actor=RECEIVING,
            reason=f"{received} of {len(statuses)} line(s) received in full",
        )
    )
    po.status = target
    session.add(po)


def _book_stock(session: Session, added: dict[int, int]) -> None:
    """Add what arrived to our stock on hand."""
    now = utcnow()
    for sku_id, qty in sorted(added.items()):
        stock = session.get(StockOnHand, sku_id, with_for_update=True)
        if stock is None:
            session.add(StockOnHand(sku_id=sku_id, on_hand=qty, updated_at=now))
        else:
            stock.on_hand += qty
            stock.updated_at = now
            session.add(stock)
    session.flush()


def _release_received_lines(session: Session, po_line_ids: Iterable[int]) -> int:
    """A PO line received in full covers nothing more: its stock went to the oldest lines.

    Back orders it covered that did not ship become uncovered, so the next reorder run
    sees them (stock on the shelf first, then a new PO line).
    """
    closed = list(
        session.execute(
            select(col(PoLine.id)).where(
                col(PoLine.id).in_(list(po_line_ids)), col(PoLine.status) == "received"
            )
        ).scalars()
    )
    if not closed:
        return 0
    still = list(
        session.execute(
            select(col(PoLineCoverage.id))
            .join(BackorderLine, col(BackorderLine.id) == col(PoLineCoverage.backorder_line_id))
            .where(
                col(PoLineCoverage.po_line_id).in_(closed),
                col(PoLineCoverage.released_at).is_(None),
            )
        ).scalars()
    )
    if still:
        session.execute(
            update(PoLineCoverage)
            .where(col(PoLineCoverage.id).in_(still))
            .values(released_at=utcnow(), release_reason=RELEASED_PO_LINE_RECEIVED)
        )
    return len(still)


# The seam with the deliveries writer ----------------------------------------------------------


class OwnPoLines:
    """Our PO lines by PO id, loaded once per file, matching receipt rows to lines."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._lines: dict[int, list[LineOnOrder]] = {}
        self._claimed: dict[int, int] = {}  # PO line id → the file row receiving against it

    def lines(self, po_id: int) -> list[LineOnOrder]:
        if po_id not in self._lines:
            query = (
                select(
                    col(PoLine.id),
                    col(PoLine.line_no),
                    col(Sku.code),
                    col(PoLine.qty),
                    col(PoLine.received_qty),
                    col(PoLine.status),
                )
                .join(Sku, col(Sku.id) == col(PoLine.sku_id))
                .where(col(PoLine.po_id) == po_id)
                .order_by(col(PoLine.line_no))
            )
            self._lines[po_id] = [
                LineOnOrder(int(line_id or 0), line_no, code, qty, received, status)
                for line_id, line_no, code, qty, received, status in self.conn.execute(query)
            ]
        return self._lines[po_id]

    def match(
        self, row: int, *, po_id: int, po_number: str, line_id: str | None, sku: str
    ) -> LineMatch:
        """The PO line a file row receives against; one row per line per file."""
        found = match_line(self.lines(po_id), po_number=po_number, line_id=line_id, sku=sku)
        if found.line is None:
            return found
        earlier = self._claimed.setdefault(found.line.po_line_id, row)
        if earlier != row:
            line_no = found.line.line_no
            message = f"row {earlier} already receives against line {line_no} of {po_number}"
            return LineMatch(None, "line-twice", message)
        return found


def key_rows_by_po_line(
    conn: Connection, frame: pd.DataFrame, receipts: dict[int, int], row_column: str
) -> pd.DataFrame:
    """Rows naming our PO lines keyed by line number, so they update the history line sent."""
    if not receipts:
        return frame
    numbers = dict(
        conn.execute(
            select(col(PoLine.id), col(PoLine.line_no)).where(
                col(PoLine.id).in_(sorted(set(receipts.values())))
            )
        ).all()
    )
    keyed = frame.copy()
    rows = keyed[row_column].astype(int)
    ours = rows.isin(list(receipts))
    keyed.loc[ours, "line_key"] = [po_line_key(numbers[receipts[int(row)]]) for row in rows[ours]]
    return keyed


def receive_in_ingest(
    conn: Connection,
    frame: pd.DataFrame,
    receipts: dict[int, int],
    *,
    row_column: str,
    file_id: int,
    filename: str,
) -> dict[str, int]:
    """Receive a deliveries file's rows naming our POs, inside the writer's transaction."""
    booked: list[Receipt] = []
    received = frame[frame[row_column].isin(list(receipts)) & frame["received_date"].notna()]
    for row, qty, when in zip(
        received[row_column], received["received_qty"], received["received_date"], strict=True
    ):
        day = when.date() if hasattr(when, "date") else when
        booked.append(Receipt(receipts[int(row)], int(qty), day, f"{filename} row {int(row)}"))
    # The session joins the writer's transaction: it flushes, the writer commits or rolls back.
    with Session(bind=conn) as session:
        result = receive(session, booked)
        session.flush()
    _RECENT_RESULTS[file_id] = result
    while len(_RECENT_RESULTS) > _RECENT_LIMIT:
        _RECENT_RESULTS.pop(next(iter(_RECENT_RESULTS)))
    return result.counts()


def take_ingest_result(file_id: int) -> ReceivingResult | None:
    """What receiving did for an accepted file in this process (once), for its report."""
    return _RECENT_RESULTS.pop(file_id, None)
