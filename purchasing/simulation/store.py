"""One policy's run of the simulated store, day by day, through procure's real rules.

Each day: the day's customer orders arrive; yesterday's POs are confirmed (or the
supplier reports no stock); receipts land and waiting lines ship oldest first
(:mod:`purchasing.fulfilment`); the policy scores its suppliers from the history so far
(:mod:`purchasing.scoring`, :mod:`purchasing.standings`); reorder covers the shortages
(:mod:`purchasing.shortages`, :mod:`purchasing.reorder_plan`); slips are detected
(:mod:`purchasing.slips`) and rerouted (:mod:`purchasing.reroute`); and every newly
covered line gets its first customer ETA (:mod:`purchasing.etas`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np

from purchasing.etas import CoveringSupply, EtaRules, IncomingSupply, customer_etas, queue_places
from purchasing.fulfilment import WaitingLine, plan_fulfilment
from purchasing.receiving import LineOnOrder, apply_receipt
from purchasing.reliability import Reliability, reliability_book
from purchasing.reorder_plan import plan_reorder
from purchasing.reroute import RerouteRules, SlippedLine, decide_reroute
from purchasing.scoring import score_deliveries
from purchasing.scoring_params import ScoringParams
from purchasing.shortages import BackorderDemand, OpenSupply, allocate
from purchasing.simulation.ledger import DeliveryLedger
from purchasing.simulation.policies import Policy
from purchasing.simulation.world import LineFate, World
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
from purchasing.standings import Standing, computed_standing
from purchasing.supplier_choice import ChoiceContext, ReliabilityLookup, SupplierDecision

OPEN = ("sent", "confirmed")
# What a supplier reports once a stock-out is over: plenty.
_RESTOCKED_QTY = 10_000


@dataclass
class SimulatedLine:
    """One of the store's PO lines, with the fate the supplier will give it."""

    po_line_id: int
    po_number: str
    line_no: int
    supplier: str
    sku: str
    qty: int
    unit_price: Decimal
    order_day: int
    quoted_day: int
    promised_day: int
    fate: LineFate
    history_row: int
    covers: list[int] = field(default_factory=list)
    status: str = "sent"
    confirmed: bool = False
    received_qty: int = 0


@dataclass(frozen=True)
class LineOutcome:
    """What happened to one customer line under a policy."""

    backorder_id: int
    ordered_day: int
    fulfilled_day: int | None
    first_eta_day: int | None


@dataclass(frozen=True)
class Purchase:
    """A PO line as the purchase bill sees it (a rerouted-away line is never paid for)."""

    supplier: str
    sku: str
    qty: int
    unit_price: Decimal
    rerouted_away: bool


@dataclass(frozen=True)
class PolicyOutcome:
    """Everything one policy's run produced, for the metrics."""

    policy: str
    lines: tuple[LineOutcome, ...]
    purchases: tuple[Purchase, ...]
    reroutes: int
    escalations: int
    last_day: int
    decisions: dict[str, int] = field(default_factory=dict)  # reroute decisions by code


class SimulatedStore:
    """The store under one policy: its back orders, stock, PO lines and what it has learned."""

    def __init__(self, world: World, policy: Policy) -> None:
        self.world = world
        self.policy = policy
        self.params = ScoringParams()
        self.slip_rules = SlipRules()
        self.reroute_rules = RerouteRules()
        self.eta_rules = EtaRules()
        self.ledger = DeliveryLedger(world.scenario.start, world.history)
        self.waiting: dict[str, dict[int, WaitingLine]] = defaultdict(dict)
        self.waiting_by_id: dict[int, WaitingLine] = {}
        self.on_hand: dict[str, int] = defaultdict(int)
        self.lines: dict[int, SimulatedLine] = {}
        self.open_lines: dict[int, SimulatedLine] = {}
        self.covered_by: dict[int, int] = {}
        self.confirmations: dict[int, list[int]] = defaultdict(list)
        self.arrivals: dict[int, list[int]] = defaultdict(list)
        self.reports: dict[tuple[str, str], StockReport] = {}
        self.known_slips: set[tuple[int, str, str]] = set()
        self.unhandled: dict[int, list[SlipSignal]] = defaultdict(list)
        self.standings: dict[str, Standing] = {}
        self.ordered_day: dict[int, int] = {}
        self.fulfilled_day: dict[int, int] = {}
        self.first_eta_day: dict[int, int] = {}
        self.po_numbers: dict[tuple[int, str], tuple[str, int]] = {}
        self.reroutes = 0
        self.decisions: Counter[str] = Counter()  # reroute decisions by reason code
        self.escalations = 0
        self._ids = 0
        demand_by_day: dict[int, list[WaitingLine]] = defaultdict(list)
        for line in world.demand:
            demand_by_day[line.day].append(
                WaitingLine(
                    line.backorder_id,
                    line.order_id,
                    line.line_id,
                    line.sku,
                    line.qty,
                    world.day(line.day),
                )
            )
        self._demand_by_day = demand_by_day

    def run(self) -> PolicyOutcome:
        """Simulate every demand day, then drain until nobody waits (or the horizon ends)."""
        scenario = self.world.scenario
        last = 0
        for day in range(scenario.horizon):
            if day >= scenario.days and not any(self.waiting.values()):
                break
            self.run_day(day)
            last = day
        return self.outcome(last)

    def run_day(self, day: int) -> None:
        """One business day, in the order the scheduled flows run."""
        as_of = self.world.day(day)
        self._take_orders(day)
        moves = self._confirmations(day, as_of)
        self._receipts(day, as_of)
        self._fulfil(day, as_of)
        context, eta_reliability = self._decision_context(day, as_of)
        self._reorder(day, context)
        if self.policy.reroutes:
            self._detect_slips(as_of, moves, context)
            self._reroute(day, context)
        self._announce_etas(day, as_of, eta_reliability)

    def outcome(self, last_day: int) -> PolicyOutcome:
        """The run's customer lines and purchases, for the metrics."""
        lines = tuple(
            LineOutcome(
                backorder_id,
                ordered,
                self.fulfilled_day.get(backorder_id),
                self.first_eta_day.get(backorder_id),
            )
            for backorder_id, ordered in sorted(self.ordered_day.items())
        )
        purchases = tuple(
            Purchase(line.supplier, line.sku, line.qty, line.unit_price, line.status == "rerouted")
            for line in self.lines.values()
        )
        return PolicyOutcome(
            self.policy.name,
            lines,
            purchases,
            self.reroutes,
            self.escalations,
            last_day,
            dict(sorted(self.decisions.items())),
        )

    # The day's steps -----------------------------------------------------------------------

    def _take_orders(self, day: int) -> None:
        for line in self._demand_by_day.get(day, ()):
            self.waiting[line.sku][line.backorder_id] = line
            self.waiting_by_id[line.backorder_id] = line
            self.ordered_day[line.backorder_id] = day

    def _confirmations(self, day: int, as_of: date) -> list[PromiseMove]:
        """Yesterday's POs: a confirmed date (maybe a re-promise), or a no-stock report."""
        moves = []
        for po_line_id in self.confirmations.pop(day, ()):
            line = self.lines[po_line_id]
            if line.status not in OPEN:
                continue
            fate = line.fate
            if fate.restock_day is not None:
                self._ids += 1
                self.reports[(line.supplier, line.sku)] = StockReport(
                    line.supplier, line.sku, 0, as_of, self.world.day(fate.restock_day), self._ids
                )
                continue
            line.confirmed = True
            line.status = "confirmed"
            assert fate.confirmed_day is not None
            if fate.confirmed_day != line.promised_day:
                self._ids += 1
                moves.append(
                    PromiseMove(
                        po_line_id,
                        self.world.day(line.promised_day),
                        self.world.day(fate.confirmed_day),
                        self._ids,
                    )
                )
                line.promised_day = fate.confirmed_day
                self.ledger.repromise(line.history_row, fate.confirmed_day)
        # A supplier whose stock is back says so (its next stock list).
        for key, report in list(self.reports.items()):
            back = report.next_available_date
            if report.available_qty == 0 and back is not None and back <= as_of:
                self._ids += 1
                self.reports[key] = StockReport(
                    key[0], key[1], _RESTOCKED_QTY, as_of, None, self._ids
                )
        return moves

    def _receipts(self, day: int, as_of: date) -> None:
        for po_line_id in self.arrivals.pop(day, ()):
            line = self.lines[po_line_id]
            if line.status not in OPEN:
                continue  # rerouted away: the supplier honoured the cancellation
            state = LineOnOrder(
                po_line_id, line.line_no, line.sku, line.qty, line.received_qty, line.status
            )
            receipt = apply_receipt(state, line.qty, as_of)
            line.received_qty = receipt.received_qty
            line.status = receipt.to_status
            self.on_hand[line.sku] += receipt.added_qty
            self.ledger.receive(line.history_row, day)
            self.open_lines.pop(po_line_id, None)
            # A received line covers nobody any more: the shelf does.
            for backorder_id in line.covers:
                self.covered_by.pop(backorder_id, None)
            line.covers = []

    def _fulfil(self, day: int, as_of: date) -> None:
        for sku in sorted(self.waiting):
            stock = self.on_hand.get(sku, 0)
            waiting = self.waiting[sku]
            if stock <= 0 or not waiting:
                continue
            plan = plan_fulfilment(sku, list(waiting.values()), on_hand=stock, shipped_on=as_of)
            for shipment in plan.shipments:
                backorder_id = shipment.line.backorder_id
                del waiting[backorder_id]
                del self.waiting_by_id[backorder_id]
                self.fulfilled_day[backorder_id] = day
                self._uncover(backorder_id)
            self.on_hand[sku] = plan.stock_left

    def _decision_context(self, day: int, as_of: date) -> tuple[ChoiceContext, ReliabilityLookup]:
        blocked: dict[str, str] = {}
        lookup: ReliabilityLookup
        if self.policy.knowledge == "learned":
            scores = score_deliveries(self.ledger.frame(), as_of, params=self.params)
            lookup = reliability_book(scores, self.params).lookup
            table = scores.suppliers
            for name, low, high in zip(
                table["supplier"].astype(str).tolist(),
                table["score_low"].to_numpy(dtype=np.float64).tolist(),
                table["score_high"].to_numpy(dtype=np.float64).tolist(),
                strict=True,
            ):
                verdict = computed_standing(
                    self.standings.get(name, "unrated"),
                    None if math.isnan(low) else low,  # NaN: no line due yet, unrated
                    None if math.isnan(high) else high,
                    self.params.thresholds,
                )
                self.standings[name] = verdict.standing
                if verdict.standing == "blocked":
                    blocked[name] = "blocked by its delivery score"
        elif self.policy.knowledge == "truth":
            world = self.world

            def lookup(supplier: str, sku: str) -> Reliability:
                return world.true_reliability(supplier, sku, day)

        else:

            def lookup(supplier: str, sku: str) -> Reliability:
                return Reliability.unknown(supplier, sku)

        pins = {
            "default-supplier": self.world.default_supplier,
            "first-vendor": self.world.first_vendor,
        }
        context = ChoiceContext(
            as_of=as_of,
            blocked_suppliers=blocked,
            pins=pins.get(self.policy.pin, {}),
            reliability=lookup,
            policy=self.policy.choice,
        )
        return context, lookup

    def _reorder(self, day: int, context: ChoiceContext) -> None:
        demands = [
            BackorderDemand(w.backorder_id, w.line_id, w.sku, w.qty, w.ordered_at)
            for waiting in self.waiting.values()
            for w in waiting.values()
        ]
        supplies = [
            OpenSupply(line.po_line_id, line.sku, line.qty, line.received_qty, tuple(line.covers))
            for line in self.open_lines.values()
        ]
        allocations = allocate(demands, on_hand=self.on_hand, supplies=supplies)
        for allocation in allocations:
            for released in allocation.released:
                self._uncover(released.backorder_id)
            for backorder_id, po_line_id in allocation.new_coverage:
                self._cover(backorder_id, po_line_id)
        plan = plan_reorder(allocations, self.world.offers, context)
        for planned in plan.lines:
            covers = [demand.backorder_id for demand in planned.shortage.covers]
            self._raise(day, planned.decision, covers)

    def _detect_slips(self, as_of: date, moves: list[PromiseMove], context: ChoiceContext) -> None:
        watched = {
            line.po_line_id: WatchedLine(
                line.po_line_id,
                line.po_number,
                line.line_no,
                line.supplier,
                line.sku,
                line.qty,
                line.received_qty,
                line.status,
                self.world.day(line.promised_day),
                self.world.day(line.quoted_day),
                line.confirmed,
                self._need_by(line),
            )
            for line in self.open_lines.values()
        }
        lines = list(watched.values())
        signals = [
            *overdue_slips(lines, as_of, self.slip_rules),
            *repromise_slips(watched, moves, self.slip_rules),
            *no_stock_slips(lines, self.reports.values()),
            *blocked_slips(lines, context.blocked_suppliers, as_of),
        ]
        for signal in new_slips(signals, self.known_slips):
            self.known_slips.add((signal.po_line_id, signal.signal, signal.key))
            self.unhandled[signal.po_line_id].append(signal)

    def _reroute(self, day: int, context: ChoiceContext) -> None:
        for po_line_id in sorted(self.unhandled):
            slips = self.unhandled.pop(po_line_id)
            line = self.open_lines.get(po_line_id)
            if line is None:
                continue
            waiting = sorted(
                (self._demand(backorder_id) for backorder_id in line.covers),
                key=BackorderDemand.sort_key,
            )
            slipped = SlippedLine(
                po_line_id=po_line_id,
                po_number=line.po_number,
                line_no=line.line_no,
                supplier=line.supplier,
                sku=line.sku,
                qty=line.qty,
                received_qty=line.received_qty,
                status=line.status,
                signals=tuple(sorted({slip.signal for slip in slips})),
                new_promise=max(
                    (s.new_date for s in slips if s.signal == "no-stock" and s.new_date),
                    default=None,
                ),
                current_due=self.world.day(line.promised_day),
                waiting=tuple(waiting),
                slip_reason="; ".join(dict.fromkeys(slip.reason for slip in slips)),
            )
            decision = decide_reroute(
                slipped, self.world.offers.get(line.sku, ()), context, self.reroute_rules
            )
            self.decisions[decision.code] += 1
            if decision.action == "escalate":
                self.escalations += 1
            if decision.action != "reroute" or decision.choice is None:
                continue
            covers = list(line.covers)
            line.status = "rerouted"
            self.ledger.rerouted(line.history_row)
            self.open_lines.pop(po_line_id, None)
            for backorder_id in covers:
                self.covered_by.pop(backorder_id, None)
            line.covers = []
            self._raise(day, decision.choice, covers)
            self.reroutes += 1

    def _announce_etas(self, day: int, as_of: date, reliability: ReliabilityLookup) -> None:
        """The first ETA of every line covered for the first time is what the customer hears."""
        orders = []
        covering: dict[int, CoveringSupply] = {}
        for backorder_id, po_line_id in self.covered_by.items():
            if backorder_id in self.first_eta_day:
                continue
            line = self.lines[po_line_id]
            orders.append(self._waiting_line(backorder_id))
            covering[backorder_id] = CoveringSupply(
                po_line_id,
                line.po_number,
                line.line_no,
                line.supplier,
                line.sku,
                self.world.day(line.promised_day),
                line.confirmed,
            )
        if not orders:
            return
        # The incumbents announce the supplier's date as it stands; only procure's rules
        # (learned or true reliability) place a line in its SKU's queue.
        skus = {order.sku for order in orders} if self.policy.knowledge != "none" else set()
        incoming = [
            IncomingSupply(
                line.po_line_id,
                line.supplier,
                line.sku,
                self.world.day(line.promised_day),
                line.qty - line.received_qty,
            )
            for line in self.open_lines.values()
            if line.sku in skus
        ]
        queue = queue_places(
            [w for sku in skus for w in self.waiting[sku].values()],
            incoming,
            reliability,
            self.eta_rules.percentile,
            as_of,
        )
        etas = customer_etas(
            orders,
            by_stock=(),
            covered_by=covering,
            reliability=reliability,
            as_of=as_of,
            rules=self.eta_rules,
            queue=queue,
        )
        for eta in etas:
            if eta.eta is not None:
                self.first_eta_day[eta.backorder_id] = (eta.eta - self.world.scenario.start).days

    # Helpers -------------------------------------------------------------------------------

    def _raise(self, day: int, decision: SupplierDecision, covers: list[int]) -> None:
        """A new PO line with the chosen offer, sent at once (auto-released by policy)."""
        chosen = decision.chosen
        assert chosen.lead_time_days is not None
        po_number, line_no = self._po_line_number(day, chosen.supplier)
        fate = self.world.fate(chosen.supplier, decision.sku, day, chosen.lead_time_days)
        quoted = day + chosen.lead_time_days
        self._ids += 1
        line = SimulatedLine(
            po_line_id=self._ids,
            po_number=po_number,
            line_no=line_no,
            supplier=chosen.supplier,
            sku=decision.sku,
            qty=decision.qty,
            unit_price=decision.unit_price,
            order_day=day,
            quoted_day=quoted,
            promised_day=quoted,
            fate=fate,
            history_row=self.ledger.add(chosen.supplier, decision.sku, decision.qty, day, quoted),
        )
        self.lines[line.po_line_id] = line
        self.open_lines[line.po_line_id] = line
        self.confirmations[day + 1].append(line.po_line_id)
        self.arrivals[fate.arrival_day].append(line.po_line_id)
        for backorder_id in covers:
            self._cover(backorder_id, line.po_line_id)

    def _po_line_number(self, day: int, supplier: str) -> tuple[str, int]:
        # One PO per supplier per day, its lines numbered from 1.
        key = (day, supplier)
        number, used = self.po_numbers.get(key, (f"PO-{len(self.po_numbers) + 1:06d}", 0))
        self.po_numbers[key] = (number, used + 1)
        return number, used + 1

    def _cover(self, backorder_id: int, po_line_id: int) -> None:
        self._uncover(backorder_id)
        self.covered_by[backorder_id] = po_line_id
        self.lines[po_line_id].covers.append(backorder_id)

    def _uncover(self, backorder_id: int) -> None:
        po_line_id = self.covered_by.pop(backorder_id, None)
        if po_line_id is not None:
            covers = self.lines[po_line_id].covers
            if backorder_id in covers:
                covers.remove(backorder_id)

    def _waiting_line(self, backorder_id: int) -> WaitingLine:
        return self.waiting_by_id[backorder_id]

    def _demand(self, backorder_id: int) -> BackorderDemand:
        w = self._waiting_line(backorder_id)
        return BackorderDemand(w.backorder_id, w.line_id, w.sku, w.qty, w.ordered_at)

    def _need_by(self, line: SimulatedLine) -> date | None:
        told = [self.first_eta_day[b] for b in line.covers if b in self.first_eta_day]
        return self.world.day(min(told)) if told else None
