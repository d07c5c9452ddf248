"""Reroute: move back orders off slipped PO lines to the best alternate, in one transaction.

A run records any slips the clock or the standings reveal (overdue, blocked), then takes
every unhandled slip: the back-order lines still waiting on the slipped PO line go to the
alternate the supplier-choice rules pick (raised, approved and sent exactly like a reorder,
through :func:`services.reorder.raise_planned_lines`) when it is meaningfully earlier. The
old coverage is released and the new one written in the same transaction — the coverage
index forbids two open ones — the original line becomes ``rerouted`` (or is reduced to
what was received), a cancellation request goes to the supplier's outbox, and each slip is
closed with its outcome. It runs under the same lock as reorder: both number POs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal, cast

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from models import OutboxMessage, PoLine, PoLineCoverage, PurchaseOrder, Supplier
from models.db import session_scope
from models.statuses import OPEN_PO_LINE_STATUSES
from models.types import utcnow
from purchasing.reorder_plan import PlannedLine, ReorderPlan
from purchasing.reroute import RerouteDecision, RerouteRules, SlippedLine, decide_reroute
from purchasing.shortages import Shortage
from purchasing.slips import Signal, SlipRules
from purchasing.supplier_choice import ChoicePolicy
from services.coverage_view import waiting_by_po_line
from services.po_release import event_row, move_po, write_events
from services.po_transport import DeliveryReport, deliver_pending_pos
from services.reorder import (
    LOCK_NAME,
    RaisedPo,
    ReorderSettings,
    Sending,
    choice_context,
    raise_planned_lines,
)
from services.reorder_state import PoLineInfo, ReorderState, load_state
from services.run_lock import run_lock
from services.slips import RecordedSlip, check_slips, mark_handled, unhandled_slips, watched_lines

ACTOR = "procure:reroute"
CANCELLATION_MESSAGE = "po_line_cancellation"
UNSENT = ("draft", "pending_approval")
RunStatus = Literal["completed", "skipped"]


@dataclass(frozen=True)
class RerouteSettings:
    """The knobs of a reroute run; the defaults are the house policy."""

    auto_release_limit: Decimal
    base_currency: str = "USD"
    policy: ChoicePolicy = field(default_factory=ChoicePolicy)
    rules: RerouteRules = field(default_factory=RerouteRules)
    slip_rules: SlipRules = field(default_factory=SlipRules)

    def reorder_settings(self) -> ReorderSettings:
        return ReorderSettings(
            auto_release_limit=self.auto_release_limit,
            base_currency=self.base_currency,
            policy=self.policy,
        )


@dataclass(frozen=True)
class LineRef:
    """One PO line as a buyer names it."""

    po_number: str
    line_no: int
    supplier: str
    status: str
    qty: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "po_number": self.po_number,
            "line_no": self.line_no,
            "supplier": self.supplier,
            "status": self.status,
            "qty": self.qty,
        }


@dataclass(frozen=True)
class ReroutedLine:
    """Back orders moved from a slipped line to an alternate's new line, and why."""

    from_line: LineRef
    to_line: LineRef
    sku: str
    covers: tuple[str, ...]
    expected_date: date | None
    slipped_expected: date | None
    signals: tuple[str, ...]
    reason_code: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_line.as_dict(),
            "to": self.to_line.as_dict(),
            "from_supplier": self.from_line.supplier,
            "to_supplier": self.to_line.supplier,
            "sku": self.sku,
            "qty": self.to_line.qty,
            "covers": list(self.covers),
            "expected_date": None if self.expected_date is None else self.expected_date.isoformat(),
            "slipped_expected": (
                None if self.slipped_expected is None else self.slipped_expected.isoformat()
            ),
            "signals": list(self.signals),
            "reason_code": self.reason_code,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class HeldLine:
    """A slipped line that stays where it is: escalated to a buyer, or kept on purpose."""

    line: LineRef
    sku: str
    covers: tuple[str, ...]
    signals: tuple[str, ...]
    reason_code: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "po_number": self.line.po_number,
            "line_no": self.line.line_no,
            "supplier": self.line.supplier,
            "sku": self.sku,
            "covers": list(self.covers),
            "signals": list(self.signals),
            "reason_code": self.reason_code,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RerouteResult:
    """What a reroute run found and did."""

    status: RunStatus
    as_of: date
    slips_recorded: int = 0
    slips_handled: tuple[RecordedSlip, ...] = ()
    rerouted: tuple[ReroutedLine, ...] = ()
    escalated: tuple[HeldLine, ...] = ()
    kept: tuple[HeldLine, ...] = ()
    created: tuple[RaisedPo, ...] = ()
    message: str = ""
    delivered: tuple[DeliveryReport, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "as_of": self.as_of.isoformat(),
            "slips_recorded": self.slips_recorded,
            "slips_handled": [slip.as_dict() for slip in self.slips_handled],
            "rerouted": [line.as_dict() for line in self.rerouted],
            "escalated": [line.as_dict() for line in self.escalated],
            "kept": [line.as_dict() for line in self.kept],
            "created": [po.as_dict() for po in self.created],
            "message": self.message,
        }


def reroute(
    engine: Engine,
    *,
    as_of: date,
    settings: RerouteSettings,
    wait: bool = False,
    sending: Sending | None = None,
) -> RerouteResult:
    """Record slips due as of ``as_of`` and reroute or escalate every unhandled one."""
    with run_lock(engine, LOCK_NAME, wait=wait) as held:
        if not held:
            return RerouteResult(
                "skipped", as_of, message="another reorder or reroute run holds the lock"
            )
        with session_scope(engine) as session:
            result = reroute_in(session, as_of=as_of, settings=settings)
        if sending is not None:
            reports = deliver_pending_pos(
                engine, documents_dir=sending.documents_dir, transport=sending.transport
            )
            result = replace(result, delivered=tuple(reports))
        return result


def reroute_in(session: Session, *, as_of: date, settings: RerouteSettings) -> RerouteResult:
    """The whole run inside the caller's transaction (the caller holds the run lock)."""
    state = load_state(session, as_of, settings.base_currency)
    conn = session.connection()
    check = check_slips(conn, as_of, state.blocked_suppliers(), settings.slip_rules)
    pending = unhandled_slips(conn)
    by_line: dict[int, list[RecordedSlip]] = defaultdict(list)
    for slip in pending:
        by_line[slip.po_line_id].append(slip)
    watched = watched_lines(conn, by_line)
    context = choice_context(state, settings.reorder_settings())
    waiting = waiting_by_po_line(state)

    decisions: list[tuple[list[RecordedSlip], RerouteDecision]] = []
    for po_line_id in sorted(by_line):
        slips = by_line[po_line_id]
        info = state.po_lines.get(po_line_id)
        watch = watched.get(po_line_id)
        if info is None or watch is None:
            mark_handled(conn, [s.id for s in slips], "line no longer open: nothing to move")
            continue
        line = SlippedLine(
            po_line_id=po_line_id,
            po_number=info.po_number,
            line_no=info.line_no,
            supplier=state.suppliers[info.supplier_id].name,
            sku=state.skus[info.sku_id],
            qty=info.qty,
            received_qty=info.received_qty,
            status=info.status,
            signals=tuple(sorted({cast(Signal, s.signal) for s in slips})),
            new_promise=max(
                (s.new_date for s in slips if s.signal == "no-stock" and s.new_date), default=None
            ),
            current_due=watch.due,
            waiting=tuple(waiting.get(po_line_id, ())),
            slip_reason=_slip_reason(slips),
        )
        offers = state.offers.get(line.sku, ())
        decisions.append((slips, decide_reroute(line, offers, context, settings.rules)))

    moves = [(slips, d) for slips, d in decisions if d.action == "reroute"]
    rerouted, created = _move(session, state, moves, settings)
    escalated, kept = [], []
    for slips, decision in decisions:
        if decision.action == "reroute":
            continue
        held = _held(decision)
        if decision.action == "escalate":
            escalated.append(held)
            outcome = f"escalated: {decision.reason}"
        else:
            kept.append(held)
            outcome = f"{decision.action}: {decision.reason}"
        mark_handled(conn, [s.id for s in slips], outcome)
    session.flush()
    return RerouteResult(
        "completed",
        as_of,
        slips_recorded=len(check.recorded),
        slips_handled=tuple(pending),
        rerouted=tuple(rerouted),
        escalated=tuple(escalated),
        kept=tuple(kept),
        created=tuple(created),
    )


def _slip_reason(slips: Sequence[RecordedSlip]) -> str:
    reasons = dict.fromkeys(str(s.evidence.get("reason", s.signal)) for s in slips)
    return "; ".join(reasons)[:600]


def _held(decision: RerouteDecision) -> HeldLine:
    line = decision.line
    return HeldLine(
        LineRef(line.po_number, line.line_no, line.supplier, line.status, line.qty),
        line.sku,
        tuple(d.line_id for d in line.waiting),
        tuple(line.signals),
        decision.code,
        decision.reason,
    )


def _move(
    session: Session,
    state: ReorderState,
    moves: Sequence[tuple[list[RecordedSlip], RerouteDecision]],
    settings: RerouteSettings,
) -> tuple[list[ReroutedLine], list[RaisedPo]]:
    """Release the old coverage, raise the alternates' lines, close the old lines."""
    if not moves:
        return [], []
    now = utcnow()
    for _, decision in moves:
        session.execute(
            update(PoLineCoverage)
            .where(
                col(PoLineCoverage.po_line_id) == decision.line.po_line_id,
                col(PoLineCoverage.backorder_line_id).in_(
                    [d.backorder_id for d in decision.line.waiting]
                ),
                col(PoLineCoverage.released_at).is_(None),
            )
            .values(released_at=now, release_reason="rerouted")
        )
    planned = []
    for _, decision in moves:
        assert decision.choice is not None
        line = decision.line
        choice = replace(
            decision.choice,
            code="rerouted",
            reason=f"rerouted from {line.where} ({line.supplier}): {decision.reason}",
        )
        shortage = Shortage(line.sku, line.waiting_qty, line.waiting)
        planned.append(PlannedLine(shortage, choice))
    plan = ReorderPlan((), tuple(planned), ())
    touched: set[int] = set()
    created = raise_planned_lines(session, state, plan, settings.reorder_settings(), touched)
    new_lines = _new_line_refs(session, plan, created)

    rerouted = []
    events = []
    closed_pos: set[int] = set()
    for (slips, decision), planned_line, new in zip(moves, planned, new_lines, strict=True):
        line = decision.line
        info = state.po_lines[line.po_line_id]
        new_id, to_ref = new
        session.execute(
            update(PoLine).where(col(PoLine.id) == new_id).values(rerouted_from_id=info.id)
        )
        from_status, why = _close_old_line(session, info, line, to_ref, decision)
        events.append(
            event_row(
                info.po_id,
                from_status,
                actor=ACTOR,
                reason=why,
                from_status=info.status,
                po_line_id=info.id,
            )
        )
        if info.status not in UNSENT:
            _request_cancellation(session, info, line, to_ref, why)
        closed_pos.add(info.po_id)
        mark_handled(
            session.connection(),
            [s.id for s in slips],
            f"rerouted to {to_ref.po_number} line {to_ref.line_no} ({to_ref.supplier})",
        )
        rerouted.append(
            ReroutedLine(
                LineRef(line.po_number, line.line_no, line.supplier, from_status, line.qty),
                to_ref,
                line.sku,
                tuple(d.line_id for d in line.waiting),
                planned_line.decision.chosen.expected_arrival,
                decision.slipped_expected,
                tuple(line.signals),
                decision.code,
                decision.reason,
            )
        )
    write_events(session, events)
    for po_id in sorted(closed_pos):
        _settle_old_po(session, po_id)
    return rerouted, created


def _new_line_refs(
    session: Session, plan: ReorderPlan, created: Sequence[RaisedPo]
) -> list[tuple[int, LineRef]]:
    """The new PO line (id and reference) raised for each planned line, in plan order."""
    by_supplier = {po.supplier: po for po in created}
    position: dict[str, int] = defaultdict(int)
    refs = []
    for planned in plan.lines:
        po = by_supplier[planned.supplier]
        raised = po.lines[position[planned.supplier]]
        position[planned.supplier] += 1
        new_id = session.execute(
            select(col(PoLine.id))
            .join(PurchaseOrder, col(PurchaseOrder.id) == col(PoLine.po_id))
            .where(
                col(PurchaseOrder.po_number) == po.po_number, col(PoLine.line_no) == raised.line_no
            )
        ).scalar_one()
        status = session.execute(
            select(col(PoLine.status)).where(col(PoLine.id) == new_id)
        ).scalar_one()
        refs.append(
            (new_id, LineRef(po.po_number, raised.line_no or 0, po.supplier, status, raised.qty))
        )
    return refs


def _close_old_line(
    session: Session, info: PoLineInfo, line: SlippedLine, to: LineRef, decision: RerouteDecision
) -> tuple[str, str]:
    """Mark the slipped line rerouted, or reduce it to what was received; returns (status, why)."""
    moved = f"{line.waiting_qty} unit(s) for {len(line.waiting)} back order(s)"
    target = f"{to.po_number} line {to.line_no} ({to.supplier})"
    values: dict[str, Any] = {"updated_at": utcnow()}
    if info.received_qty > 0:
        status = "received"
        values.update(status=status, qty=info.received_qty)
        why = (
            f"reduced from {info.qty} to the {info.received_qty} received; {moved} rerouted to "
            f"{target}: {decision.reason}"
        )
    else:
        status = "rerouted"
        values.update(status=status)
        why = f"{moved} rerouted to {target}: {decision.reason}"
    session.execute(update(PoLine).where(col(PoLine.id) == info.id).values(**values))
    return status, why


def _request_cancellation(
    session: Session, info: PoLineInfo, line: SlippedLine, to: LineRef, why: str
) -> None:
    """Ask the supplier, through the outbox, to cancel what it will no longer deliver."""
    supplier = session.get(Supplier, info.supplier_id)
    assert supplier is not None
    outstanding = info.qty - info.received_qty
    session.add(
        OutboxMessage(
            message_type=CANCELLATION_MESSAGE,
            dedupe_key=f"{CANCELLATION_MESSAGE}:{info.po_number}:{info.line_no}",
            recipient=supplier.po_email or supplier.po_drop_folder,
            subject=f"Cancellation of {info.po_number} line {info.line_no} ({line.sku})",
            body=(
                f"Please cancel the outstanding {outstanding} unit(s) of SKU {line.sku} on "
                f"purchase order {info.po_number}, line {info.line_no}. We have had to "
                "place this quantity elsewhere because the delivery date no longer meets our "
                f"customers' needs ({line.slip_reason}). Anything already received stands. "
                "Please confirm the cancellation quoting the PO number."
            ),
            payload={
                "po_number": info.po_number,
                "line_no": info.line_no,
                "sku": line.sku,
                "supplier": supplier.name,
                "cancel_qty": outstanding,
                "received_qty": info.received_qty,
                "rerouted_to": f"{to.po_number}/{to.line_no}",
                "reason": why[:1000],
            },
        )
    )
    session.flush()


def _settle_old_po(session: Session, po_id: int) -> None:
    """A PO whose every line is closed takes the status that sums its lines up."""
    statuses = list(
        session.execute(select(col(PoLine.status)).where(col(PoLine.po_id) == po_id)).scalars()
    )
    if any(status in OPEN_PO_LINE_STATUSES for status in statuses):
        return
    po = session.get(PurchaseOrder, po_id)
    assert po is not None
    if po.status in UNSENT:
        target, why = "cancelled", "every line rerouted before the PO was sent"
    elif all(status in ("received", "cancelled") for status in statuses):
        target, why = "received", "every line received or closed after a reroute"
    else:
        target, why = "rerouted", "every open line rerouted to other suppliers"
    if po.status != target:
        move_po(session, po, target, actor=ACTOR, reason=why)


def reroute_links(session: Session, po_id: int) -> dict[int, dict[str, Any]]:
    """Per line number of a PO that took part in a reroute: where it came from, went, the chain."""
    referenced = select(col(PoLine.rerouted_from_id)).where(
        col(PoLine.rerouted_from_id).is_not(None)
    )
    rows = session.execute(
        select(
            col(PoLine.id),
            col(PoLine.po_id),
            col(PurchaseOrder.po_number),
            col(PoLine.line_no),
            col(PoLine.rerouted_from_id),
        )
        .join(PurchaseOrder, col(PurchaseOrder.id) == col(PoLine.po_id))
        .where(col(PoLine.rerouted_from_id).is_not(None) | col(PoLine.id).in_(referenced))
    ).all()
    names = {row[0]: f"{row[2]} line {row[3]}" for row in rows}
    came_from = {row[0]: row[4] for row in rows if row[4] is not None}
    went_to = {origin: line_id for line_id, origin in came_from.items()}
    links: dict[int, dict[str, Any]] = {}
    for line_id, line_po, _, line_no, origin in rows:
        if line_po != po_id:
            continue
        chain = [line_id]
        while chain[0] in came_from and len(chain) <= len(rows):
            chain.insert(0, came_from[chain[0]])
        while chain[-1] in went_to and len(chain) <= len(rows):
            chain.append(went_to[chain[-1]])
        links[line_no] = {
            "rerouted_from": names.get(origin) if origin is not None else None,
            "rerouted_to": names.get(went_to[line_id]) if line_id in went_to else None,
            "reroute_chain": [names[i] for i in chain if i in names],
        }
    return links
