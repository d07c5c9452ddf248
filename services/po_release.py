"""PO state changes with their audit events, PO numbers, and release by policy or by a person.

Every change of a PO's or a PO line's status goes through :func:`move_po` or
:func:`move_lines`, which write exactly one ``PoEvent`` per change (invariant 5).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select, update
from sqlmodel import Session, SQLModel, col

from models import OutboxMessage, PoEvent, PoLine, PurchaseOrder, Supplier
from models.statuses import OPEN_PO_LINE_STATUSES
from models.types import key, utcnow
from services.receiving import record_ordered_lines

AUTOMATION = "procure:reorder"  # who raises POs automatically (never a human's name)
POLICY_RELEASE = "policy:auto-release"  # who releases POs within the limit
RESERVED_PREFIXES = ("procure:", "policy:")
UNSENT_STATUSES = ("draft", "pending_approval")
PO_MESSAGE = "purchase_order"
DOCUMENT_VERSION = 1
_NUMBER = re.compile(r"^PO-(\d+)$")


def format_po_number(number: int) -> str:
    """The stable PO reference format, e.g. ``PO-000123``."""
    return f"PO-{number:06d}"


def next_po_numbers(session: Session, count: int) -> list[str]:
    """``count`` fresh PO numbers after the highest one in use (call under the run lock)."""
    highest = 0
    for (number,) in session.execute(select(col(PurchaseOrder.po_number))):
        match = _NUMBER.match(number)
        if match:
            highest = max(highest, int(match.group(1)))
    return [format_po_number(highest + offset) for offset in range(1, count + 1)]


def event_row(
    po_id: int,
    to_status: str,
    *,
    actor: str,
    reason: str,
    from_status: str | None,
    po_line_id: int | None = None,
) -> dict[str, Any]:
    """One audit row, ready for a bulk insert."""
    return {
        "po_id": po_id,
        "po_line_id": po_line_id,
        "from_status": from_status,
        "to_status": to_status,
        "actor": actor,
        "reason": reason[:2000],
        "at": utcnow(),
    }


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a SQLModel table class."""
    return SQLModel.metadata.tables[str(model.__tablename__)]


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) through the driver's own executemany.

    Tens of thousands of coverage and audit rows per run: SQLite's own executemany and
    PostgreSQL's COPY are many times faster than SQLAlchemy's multi-VALUES statements,
    whose text psycopg re-parses for every batch.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    processors = [table.c[name].type.bind_processor(dialect) for name in names]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    )
    values = [
        tuple(
            _driver_value(row[name], process)
            for name, process in zip(names, processors, strict=True)
        )
        for row in rows
    ]
    cursor: Any = connection.connection.cursor()
    try:
        if dialect.name == "postgresql":
            # COPY: one stream instead of one INSERT per row on the server.
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            cursor.executemany(statement, values)
    finally:
        cursor.close()


def _driver_value(value: Any, process: Any) -> Any:
    if value is None:
        return None
    if process is not None:
        value = process(value)
    # psycopg's JSON binding happens above the driver: hand it the JSON text itself.
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def write_events(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append audit rows in one executemany."""
    insert_rows(session, table_of(PoEvent), rows)


def move_po(
    session: Session, po: PurchaseOrder, to_status: str, *, actor: str, reason: str
) -> None:
    """Change a PO's status and record the one event that says who and why."""
    from_status = po.status
    po.status = to_status
    session.add(po)
    session.flush()
    write_events(
        session,
        [event_row(key(po), to_status, actor=actor, reason=reason, from_status=from_status)],
    )


def move_lines(
    session: Session,
    po: PurchaseOrder,
    from_statuses: Sequence[str],
    to_status: str,
    *,
    actor: str,
    reason: str,
) -> int:
    """Move the PO's lines in ``from_statuses`` to ``to_status``: one event per line moved."""
    rows = session.execute(
        select(col(PoLine.id), col(PoLine.status)).where(
            col(PoLine.po_id) == key(po), col(PoLine.status).in_(from_statuses)
        )
    ).all()
    if not rows:
        return 0
    # The same predicate as the select above: the run holds the lock, nothing moved since.
    session.execute(
        update(PoLine)
        .where(col(PoLine.po_id) == key(po), col(PoLine.status).in_(from_statuses))
        .values(status=to_status, updated_at=utcnow())
    )
    write_events(
        session,
        [
            event_row(
                key(po),
                to_status,
                actor=actor,
                reason=reason,
                from_status=row.status,
                po_line_id=row.id,
            )
            for row in rows
        ],
    )
    return len(rows)


def po_value(session: Session, po: PurchaseOrder, rates: Mapping[str, Decimal]) -> Decimal | None:
    """The PO's open value in base currency (``None`` when a line's currency has no rate)."""
    total = Decimal(0)
    lines = session.execute(
        select(col(PoLine.qty), col(PoLine.unit_price), col(PoLine.currency)).where(
            col(PoLine.po_id) == key(po), col(PoLine.status).in_(OPEN_PO_LINE_STATUSES)
        )
    ).all()
    for qty, unit_price, currency in lines:
        rate = rates.get(currency)
        if rate is None:
            return None
        total += Decimal(qty) * unit_price * rate
    return total


@dataclass(frozen=True)
class ReleaseOutcome:
    """What happened to one unsent PO when its approval was (re)considered."""

    po_number: str
    status: str
    value: Decimal | None
    reason: str


def settle_unsent_po(
    session: Session,
    po: PurchaseOrder,
    *,
    limit: Decimal,
    rates: Mapping[str, Decimal],
    base_currency: str,
    supplier_blocked: str | None,
) -> ReleaseOutcome:
    """Release a PO within the auto-release limit (policy approves, then it is sent); hold others.

    The automation never approves a PO over the limit, and never releases to a blocked
    supplier: such POs wait in ``pending_approval`` for a person.
    """
    value = po_value(session, po, rates)
    shown = "unknown" if value is None else f"{value:.2f} {base_currency}"
    if value is not None and value <= limit and supplier_blocked is None:
        reason = f"value {shown} within the auto-release limit of {limit} {base_currency}"
        approve_and_send(session, po, approver=POLICY_RELEASE, reason=reason)
        return ReleaseOutcome(po.po_number, po.status, value, reason)
    if supplier_blocked is not None:
        reason = f"supplier blocked ({supplier_blocked}): waits for a buyer"
    elif value is None:
        reason = "value cannot be converted to base currency: waits for a buyer"
    else:
        reason = f"value {shown} over the auto-release limit of {limit} {base_currency}"
    if po.status != "pending_approval":
        move_po(session, po, "pending_approval", actor=AUTOMATION, reason=reason)
        move_lines(session, po, ["draft"], "pending_approval", actor=AUTOMATION, reason=reason)
    return ReleaseOutcome(po.po_number, po.status, value, reason)


def approve_and_send(session: Session, po: PurchaseOrder, *, approver: str, reason: str) -> None:
    """Approve an unsent PO (by policy or a person), then send it through the outbox."""
    po.approved_by = approver
    po.approved_at = utcnow()
    move_po(session, po, "approved", actor=approver, reason=reason)
    move_lines(session, po, UNSENT_STATUSES, "approved", actor=approver, reason=reason)
    send_po(session, po)


def po_dedupe_key(po_number: str, version: int = DOCUMENT_VERSION) -> str:
    """The outbox key of a PO document version: a resend carries the same PO reference."""
    return f"{PO_MESSAGE}:{po_number}:v{version}"


def send_po(session: Session, po: PurchaseOrder, *, version: int = DOCUMENT_VERSION) -> None:
    """Queue the PO for its supplier in the outbox and mark it sent (same transaction)."""
    supplier = session.get(Supplier, po.supplier_id)
    assert supplier is not None
    dedupe = po_dedupe_key(po.po_number, version)
    exists = session.execute(
        select(col(OutboxMessage.id)).where(col(OutboxMessage.dedupe_key) == dedupe)
    ).first()
    if exists is None:
        session.add(
            OutboxMessage(
                message_type=PO_MESSAGE,
                dedupe_key=dedupe,
                recipient=supplier.po_email or supplier.po_drop_folder,
                subject=f"Purchase order {po.po_number} from procure",
                body=(
                    f"Please find attached purchase order {po.po_number} "
                    f"dated {po.order_date.isoformat()}. Quote {po.po_number} on every "
                    "confirmation, delivery note and invoice."
                ),
                payload={
                    "po_number": po.po_number,
                    "version": version,
                    "supplier": supplier.name,
                },
            )
        )
    po.sent_at = utcnow()
    why = f"queued for {supplier.name} as {dedupe}"
    move_po(session, po, "sent", actor=AUTOMATION, reason=why)
    move_lines(session, po, ["approved"], "sent", actor=AUTOMATION, reason=why)
    # Each sent line gets its original promise and a delivery-history line to be judged by.
    record_ordered_lines(session, po)


def is_reserved_actor(name: str) -> bool:
    """Names the automation uses; a person may not approve under them."""
    return name.strip().lower().startswith(RESERVED_PREFIXES)


def new_po(
    session: Session, *, po_number: str, supplier_id: int, currency: str, order_date: date
) -> PurchaseOrder:
    """A new draft PO raised by the automation, with its creation event."""
    po = PurchaseOrder(
        po_number=po_number,
        supplier_id=supplier_id,
        status="draft",
        currency=currency,
        order_date=order_date,
        created_by=AUTOMATION,
    )
    session.add(po)
    session.flush()
    write_events(
        session,
        [
            event_row(
                key(po),
                "draft",
                actor=AUTOMATION,
                reason=f"raised by the reorder run of {order_date.isoformat()}",
                from_status=None,
            )
        ],
    )
    return po
