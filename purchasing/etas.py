"""Customer ETAs: the date each waiting back-order line can honestly be promised.

A line covered by stock on hand ships after handling. A line covered by a PO line waits
for that line's expected arrival: the supplier's current promise (or, unconfirmed, its
quoted date) plus the supplier's learned lateness at a high percentile — p90 by default,
so that at least nine announced dates in ten hold — plus handling. Because arriving stock
goes to the oldest waiting line first, a line also waits for its place in the SKU's queue:
it gets the units arriving after every older waiting line's, across all open PO lines of
the SKU in expected-arrival order. Nothing covering it: no date, and the reason why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from purchasing.errors import InputRejected
from purchasing.fulfilment import WaitingLine
from purchasing.reliability import Percentile, Reliability, lateness_allowance
from purchasing.supplier_choice import ReliabilityLookup


@dataclass(frozen=True)
class EtaRules:
    """How customer dates are built and when a moved date is worth telling the customer."""

    percentile: Percentile = 90
    handling_days: int = 2
    notify_threshold_days: int = 3

    def __post_init__(self) -> None:
        if self.percentile not in (50, 80, 90):
            raise InputRejected(f"ETA percentile must be 50, 80 or 90, got {self.percentile}")
        if self.handling_days < 0:
            raise InputRejected(f"handling days must not be negative: {self.handling_days}")
        if self.notify_threshold_days < 0:
            raise InputRejected(
                f"notification threshold must not be negative: {self.notify_threshold_days}"
            )


def expected_arrival(
    promise: date, reliability: Reliability, percentile: Percentile, as_of: date
) -> date:
    """When goods promised for ``promise`` are expected: promise + lateness, never before as-of."""
    return max(promise + timedelta(days=lateness_allowance(reliability, percentile)), as_of)


@dataclass(frozen=True)
class CoveringSupply:
    """The open PO line a back-order line waits on."""

    po_line_id: int
    po_number: str
    line_no: int
    supplier: str
    sku: str
    promise: date | None  # current promise, else the quoted date
    confirmed: bool
    fallback_date: date | None = None  # the expected date recorded when the line was raised


@dataclass(frozen=True)
class IncomingSupply:
    """An open PO line's units still to come, for the queue of its SKU."""

    po_line_id: int
    supplier: str
    sku: str
    promise: date | None  # current promise, else the quoted date
    outstanding_qty: int


@dataclass(frozen=True)
class QueuePlace:
    """When a waiting line's turn comes among the SKU's arrivals, and how many units are ahead."""

    arrival: date
    units_ahead: int


def queue_places(
    waiting: Iterable[WaitingLine],
    incoming: Iterable[IncomingSupply],
    reliability: ReliabilityLookup,
    percentile: Percentile,
    as_of: date,
) -> dict[int, QueuePlace]:
    """Each waiting line's turn: the expected date by which the SKU's arrivals reach its units.

    Arrivals go to the oldest waiting line first, so a line is served by the units that
    arrive after every older line's, whichever PO line it is covered by. A line beyond what
    is on order gets no place (its own covering line is all there is to go by).
    """
    arrivals: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for supply in incoming:
        if supply.promise is None or supply.outstanding_qty <= 0:
            continue
        figures = reliability(supply.supplier, supply.sku)
        expected = expected_arrival(supply.promise, figures, percentile, as_of)
        arrivals[supply.sku].append((expected, supply.outstanding_qty))
    queues: dict[str, list[WaitingLine]] = defaultdict(list)
    for line in waiting:
        queues[line.sku].append(line)
    places: dict[int, QueuePlace] = {}
    for sku, lines in queues.items():
        schedule = sorted(arrivals.get(sku, ()))
        places.update(_places_in_queue(lines, schedule))
    return places


def _places_in_queue(
    lines: Sequence[WaitingLine], schedule: Sequence[tuple[date, int]]
) -> dict[int, QueuePlace]:
    places: dict[int, QueuePlace] = {}
    ahead = 0
    arrived = 0
    step = 0
    for line in sorted(lines, key=lambda w: (w.ordered_at, w.line_id, w.backorder_id)):
        needed = ahead + line.qty
        while step < len(schedule) and arrived < needed:
            arrived += schedule[step][1]
            step += 1
        if arrived < needed:
            break  # this line and every younger one wait beyond what is on order
        places[line.backorder_id] = QueuePlace(schedule[step - 1][0], ahead)
        ahead = needed
    return places


@dataclass(frozen=True)
class CustomerEta:
    """The date a back-order line can be promised, what covers it, and why."""

    backorder_id: int
    order_id: str
    line_id: str
    sku: str
    eta: date | None
    covered_by: str | None  # a PO number, "stock", or None
    reason_code: str
    reason: str
    po_line_id: int | None = None
    customer_email: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "line_id": self.line_id,
            "sku": self.sku,
            "eta": None if self.eta is None else self.eta.isoformat(),
            "covered_by": self.covered_by,
            "reason_code": self.reason_code,
            "reason": self.reason,
        }


def customer_etas(
    orders: Iterable[WaitingLine],
    *,
    by_stock: Iterable[int],
    covered_by: Mapping[int, CoveringSupply],
    reliability: ReliabilityLookup,
    as_of: date,
    rules: EtaRules | None = None,
    uncovered_reasons: Mapping[int, tuple[str, str]] | None = None,
    queue: Mapping[int, QueuePlace] | None = None,
) -> list[CustomerEta]:
    """An ETA for every waiting line: stock first, then its covering PO line (no earlier than
    its turn in the SKU's queue, see :func:`queue_places`), else none."""
    rules = rules or EtaRules()
    places = queue or {}
    in_stock = set(by_stock)
    handling = timedelta(days=rules.handling_days)
    explained = uncovered_reasons or {}
    etas = []
    for order in sorted(orders, key=lambda o: (o.order_id, o.line_id, o.backorder_id)):
        common = (order.backorder_id, order.order_id, order.line_id, order.sku)
        if order.backorder_id in in_stock:
            etas.append(
                CustomerEta(
                    *common,
                    as_of + handling,
                    "stock",
                    "in-stock",
                    f"in stock on {as_of.isoformat()}; ships after {rules.handling_days} "
                    "handling days",
                    customer_email=order.customer_email,
                )
            )
            continue
        supply = covered_by.get(order.backorder_id)
        if supply is None:
            code, text = explained.get(
                order.backorder_id,
                # Reorder may be unable to order it (no offer, blocked, no rate): no promise here.
                (
                    "not-covered",
                    "no PO line covers it yet; `procure reorder` orders it or says why not",
                ),
            )
            etas.append(CustomerEta(*common, None, None, code, text, None, order.customer_email))
            continue
        etas.append(
            _from_supply(order, supply, reliability, as_of, rules, places.get(order.backorder_id))
        )
    return etas


def _from_supply(
    order: WaitingLine,
    supply: CoveringSupply,
    reliability: ReliabilityLookup,
    as_of: date,
    rules: EtaRules,
    place: QueuePlace | None = None,
) -> CustomerEta:
    common = (order.backorder_id, order.order_id, order.line_id, order.sku)
    where = f"{supply.po_number} line {supply.line_no} ({supply.supplier})"
    if supply.promise is None:
        if supply.fallback_date is None:
            return CustomerEta(
                *common,
                None,
                supply.po_number,
                "no-supplier-date",
                f"{where} has no promised or quoted date yet",
                supply.po_line_id,
                order.customer_email,
            )
        eta = max(supply.fallback_date, as_of) + timedelta(days=rules.handling_days)
        return CustomerEta(
            *common,
            eta,
            supply.po_number,
            "po-expected",
            f"{where} expected {supply.fallback_date.isoformat()} when raised; "
            f"+{rules.handling_days} handling days",
            supply.po_line_id,
            order.customer_email,
        )
    figures = reliability(supply.supplier, supply.sku)
    allowance = lateness_allowance(figures, rules.percentile)
    arrival = expected_arrival(supply.promise, figures, rules.percentile, as_of)
    basis = "promised" if supply.confirmed else "quoted"
    history = (
        f"p{rules.percentile} lateness {allowance} days from {figures.lines} lines"
        if figures.lines
        else "no delivery history"
    )
    code = "po-promise" if supply.confirmed else "po-quote"
    queued = ""
    if place is not None and place.arrival > arrival:
        # Older lines take the units arriving before this one's turn (oldest first).
        arrival = place.arrival
        code = "po-queue"
        queued = (
            f"; {place.units_ahead} units go to older waiting lines first, "
            f"its turn is expected {place.arrival.isoformat()}"
        )
    return CustomerEta(
        *common,
        arrival + timedelta(days=rules.handling_days),
        supply.po_number,
        code,
        f"{where} {basis} {supply.promise.isoformat()}; {history}{queued}; "
        f"+{rules.handling_days} handling days",
        supply.po_line_id,
        order.customer_email,
    )


@dataclass(frozen=True)
class Announced:
    """What a customer has been told about a line: the first date and the latest one."""

    first_eta: date | None
    announced_eta: date | None


@dataclass(frozen=True)
class EtaMove:
    """A customer's date that moved by more than the threshold: worth a message."""

    eta: CustomerEta
    old: date
    new: date

    @property
    def days(self) -> int:
        return (self.new - self.old).days

    def message(self) -> str:
        """The customer notification in plain words."""
        direction = "later" if self.days > 0 else "earlier"
        why = (
            "Our supplier has delayed the delivery, so we are telling you now rather than "
            "on the day."
            if self.days > 0
            else "We found a faster way to get it to you."
        )
        return (
            f"Your order {self.eta.order_id}: item {self.eta.sku} is now expected on "
            f"{_day(self.new)}, {abs(self.days)} days {direction} than the "
            f"{_day(self.old)} we told you. {why} If that no longer works for you, reply to "
            "this message and we will cancel the item and refund it."
        )


def eta_moves(
    etas: Iterable[CustomerEta], announced: Mapping[int, Announced], rules: EtaRules | None = None
) -> list[EtaMove]:
    """Dated lines whose new ETA differs from the one last announced by more than the threshold."""
    rules = rules or EtaRules()
    moves = []
    for eta in etas:
        told = announced.get(eta.backorder_id)
        if eta.eta is None or told is None or told.announced_eta is None:
            continue
        if abs((eta.eta - told.announced_eta).days) > rules.notify_threshold_days:
            moves.append(EtaMove(eta, told.announced_eta, eta.eta))
    return moves


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"
