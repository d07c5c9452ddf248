"""Supplier choice: which eligible offer gets a shortage, ranked and explained.

The default policy takes the earliest expected arrival (quoted lead time plus the
supplier's learned lateness at p80) among the eligible offers whose landed unit cost is
within 5% of the cheapest eligible one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from purchasing.errors import InputRejected
from purchasing.quantities import PriceBreak, QuantityCaps, order_quantity, over_line_cap, price_at
from purchasing.reliability import Percentile, Reliability, lateness_allowance

ReliabilityLookup = Callable[[str, str], Reliability]


class ReliabilitySource(Protocol):
    """Anything that can say how reliable a supplier is for a SKU (e.g. a ReliabilityBook)."""

    def lookup(self, supplier: str, sku: str) -> Reliability: ...


def as_lookup(source: ReliabilitySource | ReliabilityLookup | None) -> ReliabilityLookup:
    """A plain ``(supplier, sku) -> Reliability`` function from a book, a function or nothing."""
    if source is None:
        return lambda supplier, sku: Reliability.unknown(supplier, sku)
    if callable(source):
        return source
    return source.lookup


@dataclass(frozen=True, slots=True)
class OfferRow:
    """One stored offer row (a price list line); several rows of one list make price breaks."""

    offer_id: int
    supplier: str
    sku: str
    unit_price: Decimal
    lead_time_days: int
    price_list_id: int = 0
    currency: str = "USD"
    moq: int = 1
    order_multiple: int = 1
    min_qty: int = 1
    valid_from: date | None = None
    valid_to: date | None = None
    freight_per_unit: Decimal | None = None
    duty_per_unit: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PriceListInfo:
    """A supplier's price list: newer lists (higher id) supersede older undated offers."""

    price_list_id: int
    supplier: str
    effective_from: date | None = None


@dataclass(frozen=True)
class ChoicePolicy:
    """How offers are ranked; the defaults are the house policy."""

    name: str = "earliest-within-5pct"
    price_tolerance: Decimal = Decimal("0.05")
    arrival_percentile: Percentile = 80

    def __post_init__(self) -> None:
        if self.price_tolerance < 0:
            raise InputRejected(f"price tolerance must not be negative: {self.price_tolerance}")
        if self.arrival_percentile not in (50, 80, 90):
            raise InputRejected(
                f"arrival percentile must be 50, 80 or 90, got {self.arrival_percentile}"
            )


CHEAPEST = ChoicePolicy(name="cheapest", price_tolerance=Decimal(0))


@dataclass(frozen=True)
class ChoiceContext:
    """Everything outside the offers that a choice depends on, as of one date."""

    as_of: date
    base_currency: str = "USD"
    rates: Mapping[str, Decimal] = field(default_factory=dict)  # currency → base units
    blocked_suppliers: Mapping[str, str] = field(default_factory=dict)  # supplier → why
    sku_blocks: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (supplier, sku)
    pins: Mapping[str, str] = field(default_factory=dict)  # sku → pinned supplier
    current_price_lists: Mapping[str, int] | None = None  # supplier → current list id
    reliability: ReliabilityLookup = field(
        default=lambda supplier, sku: Reliability.unknown(supplier, sku)
    )
    caps: QuantityCaps = field(default_factory=QuantityCaps)
    policy: ChoicePolicy = field(default_factory=ChoicePolicy)

    def rate(self, currency: str) -> Decimal | None:
        if currency == self.base_currency:
            return Decimal(1)
        return self.rates.get(currency)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One supplier's offer for a shortage, eligible or not, with what it would cost and when."""

    supplier: str
    eligible: bool
    code: str  # "eligible" or why not
    offer_id: int | None = None
    qty: int | None = None
    unit_price: Decimal | None = None
    currency: str | None = None
    landed_unit_cost: Decimal | None = None  # base currency, incl. freight and duty
    lead_time_days: int | None = None
    lateness_days: int | None = None
    expected_arrival: date | None = None
    on_time_rate: float | None = None
    score: float | None = None
    basis: str | None = None
    within_band: bool = False
    rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (dates ISO, money as decimal strings)."""
        return {
            "rank": self.rank,
            "supplier": self.supplier,
            "eligible": self.eligible,
            "code": self.code,
            "offer_id": self.offer_id,
            "qty": self.qty,
            "unit_price": _decimal_text(self.unit_price),
            "currency": self.currency,
            "landed_unit_cost": _decimal_text(self.landed_unit_cost),
            "lead_time_days": self.lead_time_days,
            "lateness_days": self.lateness_days,
            "expected_arrival": (
                None if self.expected_arrival is None else self.expected_arrival.isoformat()
            ),
            "on_time_rate": self.on_time_rate,
            "score": self.score,
            "basis": self.basis,
            "within_band": self.within_band,
        }


@dataclass(frozen=True)
class SupplierDecision:
    """The offer a shortage goes to, the reason, and every candidate considered."""

    sku: str
    shortage_qty: int
    chosen: Candidate
    code: str
    reason: str
    candidates: tuple[Candidate, ...]

    @property
    def qty(self) -> int:
        assert self.chosen.qty is not None
        return self.chosen.qty

    @property
    def unit_price(self) -> Decimal:
        assert self.chosen.unit_price is not None
        return self.chosen.unit_price

    def candidates_json(self) -> list[dict[str, Any]]:
        return [candidate.as_dict() for candidate in self.candidates]


@dataclass(frozen=True)
class NoSupplier:
    """A shortage no eligible offer can take, and why."""

    sku: str
    qty: int
    code: str
    reason: str
    candidates: tuple[Candidate, ...] = ()

    def candidates_json(self) -> list[dict[str, Any]]:
        return [candidate.as_dict() for candidate in self.candidates]


# Why an offer is not eligible, in buyer words (the code is stored, the words are shown).
INELIGIBLE = {
    "supplier-blocked": "supplier blocked",
    "sku-blocked": "blocked for this SKU",
    "no-exchange-rate": "no exchange rate for its currency",
    "not-valid-on-date": "no offer valid on the date",
    "superseded": "offer superseded by a newer price list",
    "over-quantity-cap": "order quantity over the per-line cap",
    "no-price-for-qty": "no price row applies at the order quantity",
}


def current_price_lists(lists: Iterable[PriceListInfo], as_of: date) -> dict[str, int]:
    """Each supplier's price list in force on ``as_of``: the newest one already effective."""
    current: dict[str, PriceListInfo] = {}
    for info in lists:
        if info.effective_from is not None and info.effective_from > as_of:
            continue
        held = current.get(info.supplier)
        if held is None or _list_order(info) > _list_order(held):
            current[info.supplier] = info
    return {supplier: info.price_list_id for supplier, info in current.items()}


def _list_order(info: PriceListInfo) -> tuple[date, int]:
    return (info.effective_from or date.min, info.price_list_id)


def validity(row: OfferRow, as_of: date, current_lists: Mapping[str, int] | None) -> str:
    """``eligible`` if the row is valid on ``as_of``, else ``not-valid-on-date``/``superseded``."""
    if row.valid_from is not None and row.valid_from > as_of:
        return "not-valid-on-date"
    if row.valid_to is not None and row.valid_to < as_of:
        return "not-valid-on-date"
    # A dated offer is governed by its dates; an undated one by its list being current.
    if (
        row.valid_from is None
        and current_lists is not None
        and current_lists.get(row.supplier) != row.price_list_id
    ):
        return "superseded"
    return "eligible"


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def evaluate(
    sku: str, shortage_qty: int, rows: Sequence[OfferRow], context: ChoiceContext
) -> list[Candidate]:
    """One candidate per supplier offering ``sku``: priced at its rounded qty, or why not."""
    by_supplier: dict[str, list[OfferRow]] = defaultdict(list)
    for row in rows:
        if row.sku != sku:
            raise InputRejected(f"offer {row.offer_id} is for SKU {row.sku}, not {sku}")
        by_supplier[row.supplier].append(row)
    return [
        _candidate(supplier, sku, shortage_qty, offers, context)
        for supplier, offers in sorted(by_supplier.items())
    ]


def _candidate(
    supplier: str, sku: str, shortage_qty: int, rows: list[OfferRow], context: ChoiceContext
) -> Candidate:
    if supplier in context.blocked_suppliers:
        return Candidate(supplier, False, "supplier-blocked")
    if (supplier, sku) in context.sku_blocks:
        return Candidate(supplier, False, "sku-blocked")
    verdicts = [(row, validity(row, context.as_of, context.current_price_lists)) for row in rows]
    valid = [row for row, verdict in verdicts if verdict == "eligible"]
    if not valid:
        codes = {verdict for _, verdict in verdicts}
        code = "superseded" if codes == {"superseded"} else "not-valid-on-date"
        return Candidate(supplier, False, code)
    # The newest valid list speaks for the supplier; its rows are the price breaks.
    newest = max(row.price_list_id for row in valid)
    family = sorted(
        (row for row in valid if row.price_list_id == newest),
        key=lambda row: (row.min_qty, row.offer_id),
    )
    base = family[0]
    qty = order_quantity(
        shortage_qty, moq=max(base.moq, base.min_qty), order_multiple=base.order_multiple
    )
    row_at = {(row.min_qty, row.unit_price): row for row in family}
    price_break = price_at([PriceBreak(row.min_qty, row.unit_price) for row in family], qty)
    reliability = context.reliability(supplier, sku)
    lateness = lateness_allowance(reliability, context.policy.arrival_percentile)
    common: dict[str, Any] = {
        "qty": qty,
        "currency": base.currency,
        "on_time_rate": reliability.on_time_rate,
        "score": reliability.score,
        "basis": reliability.basis,
    }
    if price_break is None:
        return Candidate(supplier, False, "no-price-for-qty", offer_id=base.offer_id, **common)
    chosen_row = row_at[(price_break.min_qty, price_break.unit_price)]
    arrival = context.as_of + timedelta(days=chosen_row.lead_time_days + lateness)
    common.update(
        offer_id=chosen_row.offer_id,
        unit_price=price_break.unit_price,
        currency=chosen_row.currency,
        lead_time_days=chosen_row.lead_time_days,
        lateness_days=lateness,
        expected_arrival=arrival,
    )
    rate = context.rate(chosen_row.currency)
    if rate is None:
        return Candidate(supplier, False, "no-exchange-rate", **common)
    extras = (chosen_row.freight_per_unit or Decimal(0)) + (chosen_row.duty_per_unit or Decimal(0))
    landed = _money(price_break.unit_price * rate + extras * rate)
    if over_line_cap(qty, context.caps):
        return Candidate(supplier, False, "over-quantity-cap", landed_unit_cost=landed, **common)
    return Candidate(supplier, True, "eligible", landed_unit_cost=landed, **common)


def rank(candidates: Sequence[Candidate], policy: ChoicePolicy) -> list[Candidate]:
    """Eligible offers first (within the price band by arrival, the rest by cost), then the rest."""
    eligible = [c for c in candidates if c.eligible]
    rest = [c for c in candidates if not c.eligible]
    if not eligible:
        return rest
    cheapest = min(_landed(c) for c in eligible)
    limit = cheapest * (1 + policy.price_tolerance)
    in_band = sorted(
        (c for c in eligible if _landed(c) <= limit),
        key=lambda c: (_arrival(c), _landed(c), -(c.on_time_rate or 0.0), c.supplier),
    )
    out_band = sorted(
        (c for c in eligible if _landed(c) > limit),
        key=lambda c: (_landed(c), _arrival(c), c.supplier),
    )
    ranked = [
        _with(c, rank=position, within_band=position <= len(in_band))
        for position, c in enumerate(in_band + out_band, start=1)
    ]
    return ranked + rest


def choose_supplier(
    sku: str, shortage_qty: int, rows: Sequence[OfferRow], context: ChoiceContext
) -> SupplierDecision | NoSupplier:
    """The offer ``sku``'s shortage goes to under ``context.policy``, or why none can take it."""
    if shortage_qty <= 0:
        raise InputRejected(f"shortage of SKU {sku} must be above 0, got {shortage_qty}")
    candidates = rank(evaluate(sku, shortage_qty, rows, context), context.policy)
    eligible = [c for c in candidates if c.eligible]
    if not eligible:
        return _no_supplier(sku, shortage_qty, candidates)
    pinned = context.pins.get(sku)
    if pinned is not None:
        pick = next((c for c in eligible if c.supplier == pinned), None)
        if pick is not None:
            text = f"{pick.supplier}: pinned for this SKU, arrives {_day(pick)} {_p(context)}"
            text += _sku_blocks_note(sku, candidates, context)
            return SupplierDecision(sku, shortage_qty, pick, "pinned", text, tuple(candidates))
    code, text = explain(eligible, context.policy)
    text += _sku_blocks_note(sku, candidates, context)
    return SupplierDecision(sku, shortage_qty, eligible[0], code, text, tuple(candidates))


def _sku_blocks_note(sku: str, candidates: Sequence[Candidate], context: ChoiceContext) -> str:
    """Offers a buyer blocked for this SKU, named in the reason so nobody wonders why not."""
    blocked = [c.supplier for c in candidates if c.code == "sku-blocked"]
    notes = [f"{name} blocked for this SKU ({context.sku_blocks[(name, sku)]})" for name in blocked]
    return "".join(f"; {note}" for note in notes)


def explain(ranked: Sequence[Candidate], policy: ChoicePolicy) -> tuple[str, str]:
    """The reason code and sentence for picking ``ranked[0]`` among eligible offers."""
    chosen = ranked[0]
    pct = f"(p{policy.arrival_percentile})"
    if len(ranked) == 1:
        return "only-eligible-offer", (
            f"{chosen.supplier}: the only eligible offer, arrives {_day(chosen)} {pct}"
        )
    cheapest = min(ranked, key=lambda c: (_landed(c), _arrival(c), c.supplier))
    if cheapest.supplier != chosen.supplier:
        dearer = _percent_over(_landed(chosen), _landed(cheapest))
        return "earliest-within-price-band", (
            f"{chosen.supplier}: arrives {_day(chosen)} {pct}, {dearer}% dearer than "
            f"{cheapest.supplier}, which arrives {_day(cheapest)} "
            f"({_p_short(policy)}, {_on_time(cheapest)})"
        )
    earlier = [c for c in ranked if _arrival(c) < _arrival(chosen)]
    if not earlier:
        runner = ranked[1]
        return "cheapest-and-earliest", (
            f"{chosen.supplier}: cheapest and arrives soonest, {_day(chosen)} {pct}; next is "
            f"{runner.supplier}, {_percent_over(_landed(runner), _landed(chosen))}% dearer, "
            f"arriving {_day(runner)} ({_p_short(policy)}, {_on_time(runner)})"
        )
    soonest = min(earlier, key=lambda c: (_arrival(c), _landed(c), c.supplier))
    return "cheapest-earlier-too-dear", (
        f"{chosen.supplier}: arrives {_day(chosen)} {pct}; {soonest.supplier} would arrive "
        f"{_day(soonest)} ({_p_short(policy)}, {_on_time(soonest)}) but is "
        f"{_percent_over(_landed(soonest), _landed(chosen))}% dearer, over the "
        f"{_tolerance(policy)}% tolerance"
    )


def _no_supplier(sku: str, qty: int, candidates: Sequence[Candidate]) -> NoSupplier:
    if not candidates:
        return NoSupplier(sku, qty, "no-offer", f"no supplier offers SKU {sku}")
    codes = sorted({c.code for c in candidates})
    if len(codes) == 1:
        code = codes[0]
        names = ", ".join(c.supplier for c in candidates)
        what = INELIGIBLE.get(code, code)
        if code == "supplier-blocked":
            return NoSupplier(
                sku,
                qty,
                code,
                f"only blocked suppliers offer SKU {sku}: {names}",
                tuple(candidates),
            )
        return NoSupplier(sku, qty, code, f"SKU {sku}: {what} ({names})", tuple(candidates))
    detail = "; ".join(f"{c.supplier}: {INELIGIBLE.get(c.code, c.code)}" for c in candidates)
    return NoSupplier(
        sku,
        qty,
        "no-eligible-offer",
        f"no eligible offer for SKU {sku} ({detail})",
        candidates=tuple(candidates),
    )


def _decimal_text(value: Decimal | None) -> str | None:
    # The same amount reads the same whichever database stored it (9.5, not 9.500000).
    return None if value is None else format(value.normalize(), "f")


def _with(candidate: Candidate, **changes: Any) -> Candidate:
    return replace(candidate, **changes)


def _landed(candidate: Candidate) -> Decimal:
    assert candidate.landed_unit_cost is not None
    return candidate.landed_unit_cost


def _arrival(candidate: Candidate) -> date:
    assert candidate.expected_arrival is not None
    return candidate.expected_arrival


def _day(candidate: Candidate) -> str:
    day = _arrival(candidate)
    return f"{day.day} {day:%b}"


def _p(context: ChoiceContext) -> str:
    return f"({_p_short(context.policy)})"


def _p_short(policy: ChoicePolicy) -> str:
    return f"p{policy.arrival_percentile}"


def _on_time(candidate: Candidate) -> str:
    if candidate.on_time_rate is None:
        return "no delivery history"
    return f"{round(candidate.on_time_rate * 100)}% on time"


def _percent_over(price: Decimal, reference: Decimal) -> int:
    if reference <= 0:
        return 0 if price <= 0 else 100
    return int(((price / reference - 1) * 100).to_integral_value(rounding=ROUND_HALF_UP))


def _tolerance(policy: ChoicePolicy) -> str:
    return format((policy.price_tolerance * 100).normalize(), "f")
