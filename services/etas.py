"""Customer ETAs: compute one per open back-order line, remember what was announced, notify moves.

``BackorderEta`` keeps, per line, the first date ever announced (what ETA honesty is
measured against), the current one, and the one the customer was last told; a move
beyond the threshold queues a plain-words notification in the outbox, in the same
transaction. A rerun with nothing new changes nothing.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from models import BackorderEta, BackorderLine, OutboxMessage
from models.db import session_scope
from models.types import utcnow
from purchasing.errors import InputRejected
from purchasing.etas import (
    Announced,
    CoveringSupply,
    CustomerEta,
    EtaMove,
    EtaRules,
    IncomingSupply,
    customer_etas,
    eta_moves,
    queue_places,
)
from purchasing.fulfilment import WaitingLine
from purchasing.reliability import build_reliability
from services.coverage_view import current_allocations
from services.reorder_state import load_state
from services.run_lock import run_lock
from services.slips import unhandled_slips, watched_lines
from supplier_feeds.safe_cells import safe_csv_value

LOCK_NAME = "etas"
ETA_MESSAGE = "customer_eta_changed"
EXPORT_COLUMNS = ("order_id", "line_id", "sku", "eta", "covered_by", "reason_code", "reason")


@dataclass(frozen=True)
class EtaRefresh:
    """The ETAs of every open back-order line, and the ones that moved enough to tell."""

    as_of: date
    etas: tuple[CustomerEta, ...]
    moved: tuple[EtaMove, ...] = ()
    status: str = "completed"

    def as_list(self) -> list[dict[str, Any]]:
        return [eta.as_dict() for eta in self.etas]


def compute_etas(
    session: Session, *, as_of: date, base_currency: str = "USD", rules: EtaRules | None = None
) -> list[CustomerEta]:
    """The ETA of every open back-order line as of ``as_of`` (reads only)."""
    state = load_state(session, as_of, base_currency)
    allocations = current_allocations(state)
    lines = watched_lines(session.connection())
    by_stock: set[int] = set()
    covered_by: dict[int, CoveringSupply] = {}
    for allocation in allocations.values():
        by_stock.update(allocation.by_stock)
        for backorder_id, po_line_id in allocation.by_po:
            line = lines.get(po_line_id)
            if line is None:
                continue
            covered_by[backorder_id] = CoveringSupply(
                po_line_id,
                line.po_number,
                line.line_no,
                line.supplier,
                line.sku,
                line.due,
                line.confirmed,
            )
    emails = _customer_emails(session, state.backorders)
    orders = [
        WaitingLine(
            b.id, b.order_id, b.line_id, state.skus[b.sku_id], b.qty, b.ordered_at, emails.get(b.id)
        )
        for b in state.backorders.values()
        if b.status == "open" and b.ordered_at <= as_of
    ]
    book = build_reliability(state.deliveries, as_of)
    rules = rules or EtaRules()
    incoming = [
        IncomingSupply(line.po_line_id, line.supplier, line.sku, line.due, line.outstanding)
        for line in lines.values()
    ]
    queue = queue_places(
        [order for order in orders if order.backorder_id not in by_stock],
        incoming,
        book.lookup,
        rules.percentile,
        as_of,
    )
    return customer_etas(
        orders,
        by_stock=by_stock,
        covered_by=covered_by,
        reliability=book.lookup,
        as_of=as_of,
        rules=rules,
        queue=queue,
    )


def _customer_emails(session: Session, backorders: dict[int, Any]) -> dict[int, str]:
    ids = sorted(backorders)
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(col(BackorderLine.id), col(BackorderLine.customer_email)).where(
                col(BackorderLine.id).in_(ids[start : start + 500])
            )
        )
        found.update({row[0]: row[1] for row in rows if row[1]})
    return found


def refresh_etas(
    engine: Engine,
    *,
    as_of: date,
    base_currency: str = "USD",
    rules: EtaRules | None = None,
    wait: bool = True,
) -> EtaRefresh:
    """Compute, store and (when moved beyond the threshold) notify, in one transaction."""
    rules = rules or EtaRules()
    with run_lock(engine, LOCK_NAME, wait=wait) as held:
        if not held:
            return EtaRefresh(as_of, (), (), "skipped")
        with session_scope(engine) as session:
            etas = compute_etas(session, as_of=as_of, base_currency=base_currency, rules=rules)
            moved = store_etas(session, etas, as_of=as_of, rules=rules)
        return EtaRefresh(as_of, tuple(etas), tuple(moved))


def store_etas(
    session: Session, etas: Sequence[CustomerEta], *, as_of: date, rules: EtaRules
) -> list[EtaMove]:
    """Record each line's ETA; queue a customer message for each move beyond the threshold."""
    stored = {
        row.backorder_line_id: row
        for row in session.execute(select(BackorderEta)).scalars()
        if row.backorder_line_id in {eta.backorder_id for eta in etas}
    }
    announced = {
        backorder_id: Announced(row.first_eta, row.announced_eta)
        for backorder_id, row in stored.items()
    }
    # A line whose PO line has an undecided slip may be rerouted in a moment: tell the
    # customer once the reroute has decided, not twice.
    undecided = {slip.po_line_id for slip in unhandled_slips(session.connection())}
    moves = {
        move.eta.backorder_id: move
        for move in eta_moves(etas, announced, rules)
        if move.eta.po_line_id not in undecided
    }
    now = utcnow()
    for eta in etas:
        row = stored.get(eta.backorder_id)
        if row is None:
            session.add(
                BackorderEta(
                    backorder_line_id=eta.backorder_id,
                    first_eta=eta.eta,
                    first_announced_on=as_of if eta.eta is not None else None,
                    current_eta=eta.eta,
                    announced_eta=eta.eta,
                    covered_by=eta.covered_by,
                    reason_code=eta.reason_code,
                    reason=eta.reason[:1000],
                    computed_on=as_of,
                    updated_at=now,
                )
            )
            continue
        values: dict[str, Any] = {}
        if row.first_eta is None and eta.eta is not None:
            values.update(first_eta=eta.eta, first_announced_on=as_of)
        if row.announced_eta is None and eta.eta is not None:
            values["announced_eta"] = eta.eta
        move = moves.get(eta.backorder_id)
        if move is not None:
            values.update(announced_eta=move.new, revision=row.revision + 1)
            _notify(session, move, row.revision + 1)
        current = (eta.eta, eta.covered_by, eta.reason_code, eta.reason[:1000])
        if current != (row.current_eta, row.covered_by, row.reason_code, row.reason):
            values.update(
                current_eta=eta.eta,
                covered_by=eta.covered_by,
                reason_code=eta.reason_code,
                reason=eta.reason[:1000],
            )
        if values:
            values.update(computed_on=as_of, updated_at=now)
            session.execute(
                update(BackorderEta)
                .where(col(BackorderEta.backorder_line_id) == eta.backorder_id)
                .values(**values)
            )
    session.flush()
    return list(moves.values())


def _notify(session: Session, move: EtaMove, revision: int) -> None:
    eta = move.eta
    session.add(
        OutboxMessage(
            message_type=ETA_MESSAGE,
            dedupe_key=f"{ETA_MESSAGE}:{eta.backorder_id}:r{revision}",
            recipient=eta.customer_email,
            subject=f"A new delivery date for your order {eta.order_id}",
            body=move.message(),
            payload={
                "order_id": eta.order_id,
                "line_id": eta.line_id,
                "sku": eta.sku,
                "old_date": move.old.isoformat(),
                "new_date": move.new.isoformat(),
                "days": move.days,
                "covered_by": eta.covered_by,
            },
        )
    )


def export_etas(etas: Sequence[CustomerEta], path: Path) -> Path:
    """Write the storefront's ETA feed: CSV (formula-safe) or JSON, chosen by the suffix."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InputRejected(f"ETA export must end in .csv or .json, not {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [eta.as_dict() for eta in etas]
    temporary = path.with_name(path.name + ".part")
    if suffix == ".json":
        temporary.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", "utf-8")
    else:
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(EXPORT_COLUMNS)
            for row in rows:
                writer.writerow([safe_csv_value(row[name]) for name in EXPORT_COLUMNS])
    # The storefront polls this file: it must never see half of it.
    temporary.replace(path)
    return path


@dataclass(frozen=True)
class EtaHonesty:
    """How the first announced dates held for back-order lines that have shipped."""

    lines: int
    held: int
    mean_days_early: float | None

    @property
    def share_held(self) -> float | None:
        return self.held / self.lines if self.lines else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "held": self.held,
            "share_held": self.share_held,
            "mean_days_early": self.mean_days_early,
        }


def eta_honesty(session: Session) -> EtaHonesty:
    """Shipped back-order lines against the first ETA announced for them."""
    rows = session.execute(
        select(col(BackorderEta.first_eta), col(BackorderLine.fulfilled_on))
        .join(BackorderLine, col(BackorderLine.id) == col(BackorderEta.backorder_line_id))
        .where(
            col(BackorderLine.status) == "fulfilled",
            col(BackorderEta.first_eta).is_not(None),
        )
    ).all()
    slack = [(first - shipped).days for first, shipped in rows if first and shipped]
    held = [days for days in slack if days >= 0]
    return EtaHonesty(len(slack), len(held), sum(held) / len(held) if held else None)
