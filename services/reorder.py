"""Reorder: POs for the net shortages of back-ordered SKUs, exactly once, with their reasons.

One run loads the system of record (one query per table), lets the pure rules decide
(:mod:`purchasing.shortages`, :mod:`purchasing.supplier_choice`, :mod:`purchasing.quantities`,
:mod:`purchasing.cancellations`), then writes every change in ONE transaction under the
``reorder`` run lock. The coverage index in the database is the last word on "never two
open PO lines for one back-order line"; the lock only makes a clash unlikely.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

from models import PoLine, PoLineCoverage, PurchaseOrder
from models.db import session_scope
from models.types import utcnow
from purchasing.cancellations import CoveringLine, LineChange, plan_cancellations
from purchasing.quantities import PriceBreak, QuantityCaps
from purchasing.reliability import build_reliability
from purchasing.reorder_plan import PlannedLine, ReorderPlan, Uncovered, plan_reorder
from purchasing.shortages import BackorderDemand, OpenSupply, allocate
from purchasing.supplier_choice import ChoiceContext, ChoicePolicy, current_price_lists
from services.po_release import (
    AUTOMATION,
    event_row,
    insert_rows,
    move_po,
    new_po,
    next_po_numbers,
    settle_unsent_po,
    table_of,
    write_events,
)
from services.po_transport import DeliveryReport, PoTransport, deliver_pending_pos
from services.reorder_state import ReorderState, load_state
from services.run_lock import run_lock

LOCK_NAME = "reorder"
RunStatus = Literal["completed", "dry-run", "skipped"]
_CHUNK = 500
_T = TypeVar("_T")


def money_text(amount: Decimal) -> str:
    """A decimal amount as text with at least two decimals (``10`` → ``10.00``)."""
    amount = amount.normalize()
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        amount = amount.quantize(Decimal("0.01"))
    return format(amount, "f")


@dataclass(frozen=True)
class RaisedLine:
    """A PO line this run added, and why."""

    sku: str
    qty: int
    unit_price: Decimal
    currency: str
    covers: tuple[str, ...]
    reason_code: str
    reason: str
    expected_date: date | None
    line_no: int | None = None
    covers_orders: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "line_no": self.line_no,
            "sku": self.sku,
            "qty": self.qty,
            "unit_price": money_text(self.unit_price),
            "currency": self.currency,
            "covers": list(self.covers),
            "covers_orders": list(self.covers_orders),
            "reason_code": self.reason_code,
            "reason": self.reason,
            "expected_date": None if self.expected_date is None else self.expected_date.isoformat(),
        }


@dataclass(frozen=True)
class RaisedPo:
    """A PO that got new lines in this run (new, or an unsent one merged into)."""

    po_number: str
    supplier: str
    status: str
    merged: bool
    value: Decimal | None
    status_reason: str
    lines: tuple[RaisedLine, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "po_number": self.po_number,
            "supplier": self.supplier,
            "status": self.status,
            "merged": self.merged,
            "value": None if self.value is None else money_text(self.value),
            "status_reason": self.status_reason,
            "lines": [line.as_dict() for line in self.lines],
        }


@dataclass(frozen=True)
class LineNotice:
    """A change to an existing PO line for a buyer to see (shrunk, cancelled, flagged)."""

    po_number: str
    line_no: int
    sku: str
    action: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "po_number": self.po_number,
            "line_no": self.line_no,
            "sku": self.sku,
            "action": self.action,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ReorderResult:
    """What a reorder run did (or, dry, would do)."""

    status: RunStatus
    as_of: date
    created: tuple[RaisedPo, ...] = ()
    uncovered: tuple[Uncovered, ...] = ()
    changed: tuple[LineNotice, ...] = ()
    released_coverage: int = 0
    covered_by_open_pos: int = 0
    message: str = ""
    delivered: tuple[DeliveryReport, ...] = ()

    @property
    def flagged(self) -> tuple[LineNotice, ...]:
        return tuple(notice for notice in self.changed if notice.action == "flag")

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.status == "dry-run",
            "created": [po.as_dict() for po in self.created],
            "uncovered": [item.as_dict() for item in self.uncovered],
            "changed": [notice.as_dict() for notice in self.changed],
            "flagged": [notice.as_dict() for notice in self.flagged],
            "released_coverage": self.released_coverage,
            "covered_by_open_pos": self.covered_by_open_pos,
            "delivered": [
                {"po_number": d.po_number, "status": d.status, "where": d.where}
                for d in self.delivered
            ],
            "message": self.message,
        }


@dataclass(frozen=True)
class ReorderSettings:
    """The knobs of a run; defaults are the house policy (caps off)."""

    auto_release_limit: Decimal
    base_currency: str = "USD"
    policy: ChoicePolicy = field(default_factory=ChoicePolicy)
    caps: QuantityCaps = field(default_factory=QuantityCaps)


@dataclass(frozen=True)
class Computed:
    """The pure rules' verdict on one loaded state."""

    plan: ReorderPlan
    changes: tuple[LineChange, ...]
    stale: tuple[int, ...]  # coverage ids on PO lines that are no longer open


@dataclass(frozen=True)
class Sending:
    """Where released PO documents are written and how they reach suppliers."""

    documents_dir: Path
    transport: PoTransport


def reorder(
    engine: Engine,
    *,
    as_of: date,
    settings: ReorderSettings,
    dry_run: bool = False,
    wait: bool = False,
    sending: Sending | None = None,
) -> ReorderResult:
    """Raise POs for every net shortage as of ``as_of``; a dry run writes nothing.

    After the transaction commits, queued PO messages (this run's and any a crashed run
    left behind) are delivered through ``sending`` when given.
    """
    if dry_run:
        with Session(engine) as session:
            state = load_state(session, as_of, settings.base_currency)
            computed = compute(state, settings)
            result = _dry_result(session, state, computed, settings)
            session.rollback()
            return result
    with run_lock(engine, LOCK_NAME, wait=wait) as held:
        if not held:
            return ReorderResult(
                "skipped", as_of, message="another reorder run holds the lock; nothing done"
            )
        with session_scope(engine) as session:
            state = load_state(session, as_of, settings.base_currency)
            computed = compute(state, settings)
            result = persist(session, state, computed, settings)
        if sending is not None:
            reports = deliver_pending_pos(
                engine, documents_dir=sending.documents_dir, transport=sending.transport
            )
            result = replace(result, delivered=tuple(reports))
        return result


def compute(state: ReorderState, settings: ReorderSettings) -> Computed:
    """Apply the pure rules to a loaded state: cancellations, allocation, supplier choice."""
    by_line: dict[int, list[int]] = defaultdict(list)
    stale: list[int] = []
    for coverage in state.coverage:
        if coverage.po_line_id not in state.po_lines:
            stale.append(coverage.id)
        elif coverage.backorder_id in state.backorders:
            by_line[coverage.po_line_id].append(coverage.backorder_id)

    changes = plan_cancellations(_covering_lines(state, by_line))
    change_of = {change.po_line_id: change for change in changes}

    open_ids = {b.id for b in state.backorders.values() if b.status == "open"}
    supplies = []
    for line in state.po_lines.values():
        change = change_of.get(line.id)
        if change is not None and change.action == "cancel":
            continue
        covers = tuple(b for b in by_line.get(line.id, ()) if b in open_ids)
        qty = change.new_qty if change is not None else line.qty
        supplies.append(
            OpenSupply(line.id, state.skus[line.sku_id], qty, line.received_qty, covers)
        )
    covered = {b for line_ids in by_line.values() for b in line_ids}
    demands = [
        BackorderDemand(b.id, b.line_id, state.skus[b.sku_id], b.qty, b.ordered_at, b.order_id)
        for b in state.backorders.values()
        if b.status == "open" and (b.ordered_at <= state.as_of or b.id in covered)
    ]
    allocations = allocate(
        demands, on_hand=state.on_hand, supplies=supplies, safety_stock=state.safety_stock
    )
    if any(allocation.shortage is not None for allocation in allocations):
        plan = plan_reorder(allocations, state.offers, choice_context(state, settings))
    else:
        # Nothing to buy (a rerun): no reliability figures or supplier choice needed.
        plan = ReorderPlan(tuple(allocations), (), ())
    return Computed(plan, tuple(changes), tuple(stale))


def choice_context(state: ReorderState, settings: ReorderSettings) -> ChoiceContext:
    """How supplier choice sees a loaded state (shared by reorder and reroute)."""
    book = build_reliability(state.deliveries, state.as_of)
    return ChoiceContext(
        as_of=state.as_of,
        base_currency=settings.base_currency,
        rates=state.rates,
        blocked_suppliers=state.blocked_suppliers(),
        sku_blocks=state.sku_blocks,
        pins=state.pins,
        current_price_lists=current_price_lists(state.price_lists, state.as_of),
        reliability=book.lookup,
        caps=settings.caps,
        policy=settings.policy,
    )


def _covering_lines(state: ReorderState, by_line: dict[int, list[int]]) -> list[CoveringLine]:
    lines = []
    for po_line_id, backorder_ids in by_line.items():
        cancelled = frozenset(b for b in backorder_ids if state.backorders[b].status == "cancelled")
        if not cancelled:
            continue
        info = state.po_lines[po_line_id]
        offer = state.offers_by_id.get(info.offer_id) if info.offer_id is not None else None
        breaks: tuple[PriceBreak, ...] = ()
        moq = multiple = 1
        if offer is not None:
            moq, multiple = max(offer.moq, 1), offer.order_multiple
            breaks = tuple(
                PriceBreak(row.min_qty, row.unit_price)
                for row in state.offers.get(offer.sku, ())
                if row.price_list_id == offer.price_list_id and row.supplier == offer.supplier
            )
        lines.append(
            CoveringLine(
                po_line_id=po_line_id,
                po_number=info.po_number,
                line_no=info.line_no,
                sku=state.skus[info.sku_id],
                qty=info.qty,
                unit_price=info.unit_price,
                status=info.status,
                covers={b: state.backorders[b].qty for b in backorder_ids},
                cancelled=cancelled,
                line_refs={b: state.backorders[b].line_id for b in backorder_ids},
                moq=moq,
                order_multiple=multiple,
                breaks=breaks,
            )
        )
    return sorted(lines, key=lambda line: line.po_line_id)


def persist(
    session: Session, state: ReorderState, computed: Computed, settings: ReorderSettings
) -> ReorderResult:
    """Write the run's decisions (inside the caller's transaction) and describe them."""
    now = utcnow()
    coverage_id = {(c.po_line_id, c.backorder_id): c.id for c in state.coverage}
    releases: dict[str, list[int]] = defaultdict(list)
    releases["po-line-closed"].extend(computed.stale)
    for change in computed.changes:
        for backorder_id in change.released:
            releases["backorder-cancelled"].append(coverage_id[(change.po_line_id, backorder_id)])
    for allocation in computed.plan.allocations:
        for released in allocation.released:
            releases[released.reason].append(
                coverage_id[(released.po_line_id, released.backorder_id)]
            )
    released_count = 0
    for reason, ids in releases.items():
        for chunk in _chunks(ids):
            session.execute(
                update(PoLineCoverage)
                .where(col(PoLineCoverage.id).in_(chunk))
                .values(released_at=now, release_reason=reason)
            )
        released_count += len(ids)

    touched_pos: set[int] = set()
    notices = _apply_line_changes(session, state, computed.changes, touched_pos)

    spare = [
        {"po_line_id": po_line_id, "backorder_line_id": backorder_id, "created_at": now}
        for allocation in computed.plan.allocations
        for backorder_id, po_line_id in allocation.new_coverage
    ]
    insert_rows(session, table_of(PoLineCoverage), spare)

    created = raise_planned_lines(session, state, computed.plan, settings, touched_pos)
    session.flush()
    return ReorderResult(
        "completed",
        state.as_of,
        created=tuple(sorted(created, key=lambda po: po.po_number)),
        uncovered=computed.plan.uncovered,
        changed=tuple(notices),
        released_coverage=released_count,
        covered_by_open_pos=len(spare),
    )


def raise_planned_lines(
    session: Session,
    state: ReorderState,
    plan: ReorderPlan,
    settings: ReorderSettings,
    touched: set[int],
) -> list[RaisedPo]:
    """Add a plan's lines to POs, then release by policy or hold every touched unsent PO.

    Shared by reorder and reroute, so both raise, approve and send POs the same way.
    """
    raised = _raise_lines(session, state, plan, touched)
    blocked = state.blocked_suppliers()
    outcomes = {}
    for po_id in sorted(touched):
        po = session.get(PurchaseOrder, po_id)
        assert po is not None
        if po.status not in ("draft", "pending_approval"):
            continue
        supplier = state.suppliers[po.supplier_id].name
        outcomes[po_id] = settle_unsent_po(
            session,
            po,
            limit=settings.auto_release_limit,
            rates=state.rates,
            base_currency=settings.base_currency,
            supplier_blocked=blocked.get(supplier),
        )
    created = []
    for po_id, (po_number, supplier, merged, lines) in raised.items():
        outcome = outcomes.get(po_id)
        po = session.get(PurchaseOrder, po_id)
        assert po is not None
        created.append(
            RaisedPo(
                po_number,
                supplier,
                po.status,
                merged,
                outcome.value if outcome else None,
                outcome.reason if outcome else "",
                tuple(lines),
            )
        )
    return created


def _apply_line_changes(
    session: Session, state: ReorderState, changes: Sequence[LineChange], touched: set[int]
) -> list[LineNotice]:
    notices = []
    events = []
    cancelled_pos: set[int] = set()
    for change in changes:
        info = state.po_lines[change.po_line_id]
        notices.append(
            LineNotice(
                info.po_number, info.line_no, state.skus[info.sku_id], change.action, change.reason
            )
        )
        values: dict[str, Any] = {"updated_at": utcnow()}
        to_status = info.status
        if change.action == "cancel":
            values["status"] = to_status = "cancelled"
            cancelled_pos.add(info.po_id)
        elif change.action == "shrink":
            values.update(qty=change.new_qty, unit_price=change.new_unit_price)
        if change.action in ("cancel", "shrink"):
            touched.add(info.po_id)
            session.execute(update(PoLine).where(col(PoLine.id) == info.id).values(**values))
        if change.action != "keep":
            events.append(
                event_row(
                    info.po_id,
                    to_status,
                    actor=AUTOMATION,
                    reason=change.reason,
                    from_status=info.status,
                    po_line_id=info.id,
                )
            )
    write_events(session, events)
    for po_id in sorted(cancelled_pos):
        still_open = session.execute(
            select(func.count())
            .select_from(PoLine)
            .where(col(PoLine.po_id) == po_id, col(PoLine.status) != "cancelled")
        ).scalar_one()
        if still_open == 0:
            po = session.get(PurchaseOrder, po_id)
            assert po is not None
            move_po(
                session,
                po,
                "cancelled",
                actor=AUTOMATION,
                reason="every line cancelled: the back orders it covered were cancelled",
            )
            touched.discard(po_id)
    return notices


def _raise_lines(
    session: Session, state: ReorderState, plan: ReorderPlan, touched: set[int]
) -> dict[int, tuple[str, str, bool, list[RaisedLine]]]:
    """Add the planned lines: one PO per supplier, merged into its unsent PO when there is one."""
    by_supplier = plan.lines_by_supplier()
    supplier_ids = state.supplier_ids
    sku_ids = state.sku_ids
    new_suppliers = [
        name for name in sorted(by_supplier) if supplier_ids[name] not in state.unsent_pos
    ]
    numbers = iter(next_po_numbers(session, len(new_suppliers)))
    raised: dict[int, tuple[str, str, bool, list[RaisedLine]]] = {}
    now = utcnow()
    for supplier in sorted(by_supplier):
        planned = by_supplier[supplier]
        supplier_id = supplier_ids[supplier]
        po_id = state.unsent_pos.get(supplier_id)
        merged = po_id is not None
        if po_id is None:
            po = new_po(
                session,
                po_number=next(numbers),
                supplier_id=supplier_id,
                currency=planned[0].decision.chosen.currency
                or state.suppliers[supplier_id].currency,
                order_date=state.as_of,
            )
        else:
            locked = session.execute(
                select(PurchaseOrder).where(col(PurchaseOrder.id) == po_id).with_for_update()
            ).scalar_one()
            po = locked
        assert po.id is not None
        touched.add(po.id)
        last_no = session.execute(
            select(func.coalesce(func.max(PoLine.line_no), 0)).where(col(PoLine.po_id) == po.id)
        ).scalar_one()
        rows = [
            _line_row(po.id, last_no + number, po.status, line, sku_ids, now)
            for number, line in enumerate(planned, start=1)
        ]
        insert_rows(session, table_of(PoLine), rows)
        numbered = dict(
            session.execute(
                select(col(PoLine.line_no), col(PoLine.id)).where(
                    col(PoLine.po_id) == po.id, col(PoLine.line_no) > last_no
                )
            ).all()
        )
        ids = [numbered[row["line_no"]] for row in rows]
        coverage = [
            {"po_line_id": line_id, "backorder_line_id": demand.backorder_id, "created_at": now}
            for line_id, line in zip(ids, planned, strict=True)
            for demand in line.shortage.covers
        ]
        insert_rows(session, table_of(PoLineCoverage), coverage)
        write_events(
            session,
            [
                event_row(
                    po.id,
                    po.status,
                    actor=AUTOMATION,
                    reason=f"{line.decision.code}: {line.decision.reason}",
                    from_status=None,
                    po_line_id=line_id,
                )
                for line_id, line in zip(ids, planned, strict=True)
            ],
        )
        raised[po.id] = (
            po.po_number,
            supplier,
            merged,
            [_raised_line(line, row["line_no"]) for line, row in zip(planned, rows, strict=True)],
        )
    return raised


def _line_row(
    po_id: int,
    line_no: int,
    status: str,
    line: PlannedLine,
    sku_ids: dict[str, int],
    now: Any,
) -> dict[str, Any]:
    chosen = line.decision.chosen
    return {
        "po_id": po_id,
        "line_no": line_no,
        "sku_id": sku_ids[line.shortage.sku],
        "offer_id": chosen.offer_id,
        "qty": line.decision.qty,
        "unit_price": line.decision.unit_price,
        "currency": chosen.currency,
        "status": status,
        "original_promised_date": None,
        "promised_date": None,
        "expected_date": chosen.expected_arrival,
        "received_qty": 0,
        "received_date": None,
        "reason_code": line.decision.code,
        "reason": line.decision.reason[:2000],
        "candidates": line.decision.candidates_json(),
        "rerouted_from_id": None,
        "updated_at": now,
    }


def _raised_line(line: PlannedLine, line_no: int | None) -> RaisedLine:
    chosen = line.decision.chosen
    return RaisedLine(
        sku=line.shortage.sku,
        qty=line.decision.qty,
        unit_price=line.decision.unit_price,
        currency=chosen.currency or "",
        covers=tuple(demand.line_id for demand in line.shortage.covers),
        reason_code=line.decision.code,
        reason=line.decision.reason,
        expected_date=chosen.expected_arrival,
        line_no=line_no,
        covers_orders=tuple(demand.order_id for demand in line.shortage.covers),
    )


def _dry_result(
    session: Session, state: ReorderState, computed: Computed, settings: ReorderSettings
) -> ReorderResult:
    """What :func:`persist` would report, without writing: POs get the numbers they would get."""
    by_supplier = computed.plan.lines_by_supplier()
    supplier_ids = state.supplier_ids
    unsent = {
        po.supplier_id: po
        for po in session.execute(
            select(PurchaseOrder).where(col(PurchaseOrder.id).in_(list(state.unsent_pos.values())))
        ).scalars()
    }
    fresh = [name for name in sorted(by_supplier) if supplier_ids[name] not in unsent]
    numbers = dict(zip(fresh, next_po_numbers(session, len(fresh)), strict=True))
    created = []
    for supplier in sorted(by_supplier):
        po = unsent.get(supplier_ids[supplier])
        lines = tuple(_raised_line(line, None) for line in by_supplier[supplier])
        value = sum(
            (
                Decimal(line.qty) * line.unit_price * state.rates.get(line.currency, Decimal(0))
                for line in lines
            ),
            Decimal(0),
        )
        within = value <= settings.auto_release_limit and supplier not in state.blocked_suppliers()
        created.append(
            RaisedPo(
                po.po_number if po is not None else numbers[supplier],
                supplier,
                po.status if po is not None else ("sent" if within else "pending_approval"),
                po is not None,
                value,
                "dry run: nothing written",
                lines,
            )
        )
    notices = [
        LineNotice(
            state.po_lines[c.po_line_id].po_number,
            state.po_lines[c.po_line_id].line_no,
            state.skus[state.po_lines[c.po_line_id].sku_id],
            c.action,
            c.reason,
        )
        for c in computed.changes
    ]
    return ReorderResult(
        "dry-run",
        state.as_of,
        created=tuple(created),
        uncovered=computed.plan.uncovered,
        changed=tuple(notices),
        covered_by_open_pos=sum(len(a.new_coverage) for a in computed.plan.allocations),
        message="dry run: nothing written",
    )


def _chunks(items: Iterable[_T], size: int = _CHUNK) -> Iterable[list[_T]]:
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
