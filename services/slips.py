"""Recording slips: load the open PO lines and the evidence, ask the rules, store each slip once.

Slips are recorded when their evidence arrives — inside the transaction that ingests a
confirmation, stock or receipt file (:func:`record_slips_for_file`) — and by the periodic
slip check (:func:`check_slips`), which also catches time-based signals (overdue, blocked)
and anything an interrupted ingest could have missed. Moving lines is not done here: that
is the reroute's job. Everything works on a plain ``Connection`` so the ingest writers'
transaction can be joined.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from models import (
    BackorderLine,
    DeliveryLine,
    Offer,
    PoLine,
    PoLineCoverage,
    PromiseChange,
    PurchaseOrder,
    Sku,
    Slip,
    Supplier,
    SupplierStock,
)
from models.statuses import OPEN_PO_LINE_STATUSES
from models.types import utcnow
from purchasing.slips import (
    PromiseMove,
    SlipRules,
    SlipSignal,
    StockReport,
    WatchedLine,
    blocked_slips,
    new_slips,
    no_stock_slips,
    overdue_slips,
    repromise_slips,
)

# A line not yet sent is no promise from the supplier: only its standing can make it slip.
UNSENT = ("draft", "pending_approval")


@dataclass(frozen=True)
class RecordedSlip:
    """A slip row as written: what the reroute and the slipped event need."""

    id: int
    po_line_id: int
    supplier: str
    sku: str
    signal: str
    detected_on: date
    new_date: date | None
    evidence: dict[str, Any]
    handled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "slip_id": self.id,
            "po_line_id": self.po_line_id,
            "supplier": self.supplier,
            "sku": self.sku,
            "signal": self.signal,
            "detected_on": self.detected_on.isoformat(),
            "new_date": None if self.new_date is None else self.new_date.isoformat(),
            "handled": self.handled,
            "reason": self.evidence.get("reason", ""),
            "po_number": self.evidence.get("po_number"),
        }


def watched_lines(
    conn: Connection, po_line_ids: Iterable[int] | None = None
) -> dict[int, WatchedLine]:
    """Every open PO line (or the given ones, when still open) with its quote and need-by date."""
    query: Any = (
        select(
            col(PoLine.id),
            col(PoLine.line_no),
            col(PoLine.qty),
            col(PoLine.received_qty),
            col(PoLine.status),
            col(PoLine.promised_date),
            col(PoLine.expected_date),
            col(PurchaseOrder.po_number),
            col(PurchaseOrder.order_date),
            col(Supplier.name).label("supplier"),
            col(Sku.code).label("sku"),
            col(Offer.lead_time_days),
        )
        .join(PurchaseOrder, col(PurchaseOrder.id) == col(PoLine.po_id))
        .join(Supplier, col(Supplier.id) == col(PurchaseOrder.supplier_id))
        .join(Sku, col(Sku.id) == col(PoLine.sku_id))
        .outerjoin(Offer, col(Offer.id) == col(PoLine.offer_id))
        .where(col(PoLine.status).in_(OPEN_PO_LINE_STATUSES))
    )
    if po_line_ids is not None:
        wanted = sorted(set(po_line_ids))
        if not wanted:
            return {}
        query = query.where(col(PoLine.id).in_(wanted))
    need_by = _customer_need_by(conn)
    confirmed = _confirmed_lines(conn)
    lines = {}
    for row in conn.execute(query):
        quoted = (
            row.order_date + timedelta(days=row.lead_time_days)
            if row.lead_time_days is not None
            else row.expected_date
        )
        lines[row.id] = WatchedLine(
            po_line_id=row.id,
            po_number=row.po_number,
            line_no=row.line_no,
            supplier=row.supplier,
            sku=row.sku,
            qty=row.qty,
            received_qty=row.received_qty,
            status=row.status,
            promised_date=row.promised_date,
            quoted_date=quoted,
            confirmed=row.id in confirmed or row.status == "confirmed",
            customer_need_by=need_by.get(row.id),
        )
    return lines


def _confirmed_lines(conn: Connection) -> set[int]:
    """PO lines a supplier has confirmed (a sent line carries its quoted date until then)."""
    query = select(col(PromiseChange.po_line_id)).where(
        col(PromiseChange.source) == "confirmation", col(PromiseChange.po_line_id).is_not(None)
    )
    return {line_id for line_id in conn.execute(query).scalars() if line_id is not None}


def _customer_need_by(conn: Connection) -> dict[int, date]:
    query = (
        select(col(PoLineCoverage.po_line_id), func.min(col(BackorderLine.promised_date)))
        .join(BackorderLine, col(BackorderLine.id) == col(PoLineCoverage.backorder_line_id))
        .where(col(PoLineCoverage.released_at).is_(None), col(BackorderLine.status) == "open")
        .group_by(col(PoLineCoverage.po_line_id))
    )
    return {po_line_id: day for po_line_id, day in conn.execute(query) if day is not None}


def _sent(lines: Mapping[int, WatchedLine]) -> dict[int, WatchedLine]:
    return {i: line for i, line in lines.items() if line.status not in UNSENT}


def promise_moves(conn: Connection, *, file_id: int | None = None) -> list[PromiseMove]:
    """Confirmation entries of the promise ledger: one file's, or the latest per open line."""
    query = select(
        col(PromiseChange.id),
        col(PromiseChange.po_line_id),
        col(PromiseChange.previous_date),
        col(PromiseChange.promised_date),
        col(PromiseChange.file_id),
    ).where(col(PromiseChange.source) == "confirmation", col(PromiseChange.po_line_id).is_not(None))
    if file_id is not None:
        query = query.where(col(PromiseChange.file_id) == file_id)
    latest: dict[int, PromiseMove] = {}
    for row in conn.execute(query.order_by(col(PromiseChange.id))):
        # Later entries win: only the latest promise of a line can still be a slip.
        latest[row.po_line_id] = PromiseMove(
            row.po_line_id, row.previous_date, row.promised_date, row.id, row.file_id
        )
    return list(latest.values())


def stock_reports(conn: Connection, *, file_id: int | None = None) -> list[StockReport]:
    """Supplier stock rows: one file's, or every report (the rules keep the latest)."""
    query = (
        select(
            col(SupplierStock.id),
            col(Supplier.name),
            col(Sku.code),
            col(SupplierStock.available_qty),
            col(SupplierStock.reported_on),
            col(SupplierStock.next_available_date),
            col(SupplierStock.file_id),
        )
        .join(Supplier, col(Supplier.id) == col(SupplierStock.supplier_id))
        .join(Sku, col(Sku.id) == col(SupplierStock.sku_id))
    )
    if file_id is not None:
        query = query.where(col(SupplierStock.file_id) == file_id)
    return [
        StockReport(row[1], row[2], row[3], row[4], row[5], row[0] or 0, row[6])
        for row in conn.execute(query)
    ]


def _known(conn: Connection, po_line_ids: Iterable[int]) -> set[tuple[int, str, str]]:
    wanted = sorted(set(po_line_ids))
    known: set[tuple[int, str, str]] = set()
    for start in range(0, len(wanted), 500):
        rows = conn.execute(
            select(col(Slip.po_line_id), col(Slip.signal), col(Slip.evidence)).where(
                col(Slip.po_line_id).in_(wanted[start : start + 500])
            )
        )
        for po_line_id, signal, evidence in rows:
            for key in (evidence or {}).get("keys", []):
                known.add((po_line_id, signal, key))
    return known


def record_signals(
    conn: Connection,
    signals: Sequence[SlipSignal],
    as_of: date,
    lines: Mapping[int, WatchedLine] | None = None,
) -> list[int]:
    """Store the signals not recorded before; returns the ids of slips written or reopened.

    A second piece of evidence for the same line and signal on the same day joins the
    day's slip (the newest evidence leads, every key is kept) and reopens it for handling.
    """
    fresh = new_slips(signals, _known(conn, (s.po_line_id for s in signals)))
    written: list[int] = []
    for signal in fresh:
        evidence = signal.evidence_json()
        line = (lines or {}).get(signal.po_line_id)
        if line is not None:
            evidence.update(po_number=line.po_number, line_no=line.line_no)
        evidence.update(supplier=signal.supplier, sku=signal.sku, keys=[signal.key])
        row = {
            "po_line_id": signal.po_line_id,
            "signal": signal.signal,
            "detected_on": as_of,
            "new_date": signal.new_date,
            "evidence": evidence,
            "created_at": utcnow(),
        }
        inserted = conn.execute(_insert_unless_there(conn).values(**row).returning(col(Slip.id)))
        slip_id = inserted.scalar_one_or_none()
        if slip_id is None:
            slip_id = _join_days_slip(conn, signal, as_of, evidence)
        written.append(slip_id)
    return written


def _insert_unless_there(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(Slip).on_conflict_do_nothing()
    return sqlite.insert(Slip).on_conflict_do_nothing()


def _join_days_slip(
    conn: Connection, signal: SlipSignal, as_of: date, evidence: dict[str, Any]
) -> int:
    found = conn.execute(
        select(col(Slip.id), col(Slip.evidence)).where(
            col(Slip.po_line_id) == signal.po_line_id,
            col(Slip.signal) == signal.signal,
            col(Slip.detected_on) == as_of,
        )
    ).one()
    keys = [*(found.evidence or {}).get("keys", []), signal.key]
    conn.execute(
        update(Slip)
        .where(col(Slip.id) == found.id)
        .values(
            new_date=signal.new_date,
            evidence={**evidence, "keys": keys},
            handled_at=None,
            outcome=None,
            announced_at=None,
        )
    )
    return int(found.id)


def record_slips_for_file(conn: Connection, kind: str, file_id: int, as_of: date) -> int:
    """Slips the evidence in one just-written file shows (inside the ingest's transaction)."""
    rules = SlipRules()
    if kind == "confirmations":
        moves = promise_moves(conn, file_id=file_id)
        lines = _sent(watched_lines(conn, (move.po_line_id for move in moves)))
        signals = repromise_slips(lines, moves, rules)
    elif kind == "stock":
        reports = stock_reports(conn, file_id=file_id)
        lines = _sent(watched_lines(conn))
        signals = no_stock_slips(lines.values(), reports)
    elif kind == "deliveries":
        received = conn.execute(
            select(col(DeliveryLine.po_line_id)).where(
                col(DeliveryLine.file_id) == file_id, col(DeliveryLine.po_line_id).is_not(None)
            )
        ).scalars()
        lines = _sent(watched_lines(conn, (line_id for line_id in received if line_id)))
        signals = overdue_slips(lines.values(), as_of, rules)
    else:
        return 0
    return len(record_signals(conn, signals, as_of, lines))


@dataclass(frozen=True)
class SlipCheck:
    """What a periodic slip check found and recorded."""

    as_of: date
    recorded: tuple[int, ...]
    signals: dict[str, int]


def check_slips(
    conn: Connection,
    as_of: date,
    blocked: Mapping[str, str],
    rules: SlipRules | None = None,
) -> SlipCheck:
    """Every signal over every open line: time-based ones, and evidence an ingest left behind."""
    rules = rules or SlipRules()
    lines = watched_lines(conn)
    sent = _sent(lines)
    signals = [
        *overdue_slips(sent.values(), as_of, rules),
        *repromise_slips(sent, promise_moves(conn), rules),
        *no_stock_slips(sent.values(), stock_reports(conn)),
        *blocked_slips(lines.values(), blocked, as_of),
    ]
    recorded = record_signals(conn, signals, as_of, lines)
    counts: dict[str, int] = {}
    for signal in signals:
        counts[signal.signal] = counts.get(signal.signal, 0) + 1
    return SlipCheck(as_of, tuple(recorded), counts)


def _slip_rows(conn: Connection, *condition: Any) -> list[RecordedSlip]:
    query = (
        select(
            col(Slip.id),
            col(Slip.po_line_id),
            col(Slip.signal),
            col(Slip.detected_on),
            col(Slip.new_date),
            col(Slip.evidence),
            col(Supplier.name),
            col(Sku.code),
            col(Slip.handled_at),
        )
        .join(PoLine, col(PoLine.id) == col(Slip.po_line_id))
        .join(PurchaseOrder, col(PurchaseOrder.id) == col(PoLine.po_id))
        .join(Supplier, col(Supplier.id) == col(PurchaseOrder.supplier_id))
        .join(Sku, col(Sku.id) == col(PoLine.sku_id))
        .where(*condition)
        .order_by(col(Slip.id))
    )
    return [
        RecordedSlip(
            row[0] or 0, row[1], row[6], row[7], row[2], row[3], row[4], row[5] or {}, bool(row[8])
        )
        for row in conn.execute(query)
    ]


def unhandled_slips(conn: Connection) -> list[RecordedSlip]:
    """Slips no reroute has decided on yet, oldest first."""
    return _slip_rows(conn, col(Slip.handled_at).is_(None))


def slips_to_announce(engine: Engine) -> list[RecordedSlip]:
    """Slips whose slipped event has not gone out yet."""
    with engine.connect() as conn:
        return _slip_rows(conn, col(Slip.announced_at).is_(None))


def mark_announced(engine: Engine, slip_ids: Sequence[int]) -> None:
    """Note that the slipped events for these slips went out."""
    if not slip_ids:
        return
    with engine.begin() as conn:
        conn.execute(
            update(Slip)
            .where(and_(col(Slip.id).in_(list(slip_ids)), col(Slip.announced_at).is_(None)))
            .values(announced_at=utcnow())
        )


def mark_handled(conn: Connection, slip_ids: Sequence[int], outcome: str) -> None:
    """Close slips with the reroute's outcome."""
    if slip_ids:
        conn.execute(
            update(Slip)
            .where(col(Slip.id).in_(list(slip_ids)))
            .values(handled_at=utcnow(), outcome=outcome[:2000])
        )
