"""The hidden truth of a simulated world: suppliers, their offers, stock-outs and demand.

Everything random is drawn from generators keyed by (seed, stream, supplier, SKU, day),
so a PO line placed with the same supplier for the same SKU on the same day meets the
same fate whichever policy placed it: common random numbers make the comparison fair.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from statistics import NormalDist

import numpy as np

from purchasing.reliability import Reliability
from purchasing.simulation.scenario import BEST_ON_TIME, Scenario
from purchasing.supplier_choice import OfferRow

SUPPLIER_NAMES = (
    "Northwind Trading",
    "Contoso Supply",
    "Fabrikam Parts",
    "Adatum Wholesale",
    "Litware Goods",
    "Tailspin Imports",
    "Wingtip Distribution",
    "Proseware Components",
)
# Keyed generators need non-negative keys; history days are negative.
_DAY_OFFSET = 100_000
# Streams of random numbers, one per kind of draw.
_LAYOUT, _DEMAND, _STOCK_OUTS, _FATE, _HISTORY = 1, 2, 3, 4, 5
# Share of offer-days on which the store placed a line in its past history.
_HISTORY_LINE_RATE = 0.08
_EARLIEST_ON_TIME_DAYS = 2  # an on-time line arrives up to this many days before its quote
# Spread of late lines' lateness: log-normal with this sigma. With a median of 12 days it
# gives a mean of 21 and a p90 of 47, as the late lines of the SCMS delivery history do
# (median 12, mean 21, p90 51 days).
LATENESS_SIGMA = 1.06
_NORMAL = NormalDist()


def keyed(seed: int, *key: int) -> np.random.Generator:
    """A generator fixed by the seed and a key: the same key always draws the same numbers."""
    return np.random.default_rng([seed, *key])


@dataclass(frozen=True)
class SupplierTruth:
    """How a supplier really behaves (hidden from every policy but the oracle)."""

    name: str
    on_time: float  # probability a line with stock arrives no later than its quote
    late_median_days: float  # median lateness of a late line (log-normal, at least 1 day)
    warn_share: float  # share of late lines the supplier re-promises when confirming
    stock_out_hazard: float  # daily chance a stock-out of one SKU starts
    restock_mean_days: float  # mean length of a stock-out
    price_level: float  # its prices relative to the market


@dataclass(frozen=True)
class Drift:
    """A supplier whose behaviour changes from a day on."""

    supplier: int
    from_day: int
    to: SupplierTruth


@dataclass(frozen=True)
class LineFate:
    """What will happen to a PO line: when it arrives and what the supplier says first."""

    arrival_day: int
    confirmed_day: int | None  # the date confirmed the day after ordering (None: no stock)
    restock_day: int | None  # out of stock: the day the supplier says stock is back


@dataclass(frozen=True)
class CustomerLine:
    """A customer's back-order line: the same demand for every policy."""

    backorder_id: int
    order_id: str
    line_id: str
    sku: str
    qty: int
    day: int


@dataclass(frozen=True)
class HistoryLine:
    """A delivery the store received before the run started."""

    supplier: str
    sku: str
    qty: int
    order_day: int
    promised_day: int
    received_day: int


def late_days(u: float, median_days: float) -> int:
    """Days late of a late line: log-normal around the median, heavy-tailed (inverse CDF)."""
    u = min(max(u, 1e-12), 1 - 1e-12)  # a uniform draw may be exactly 0
    return max(1, math.ceil(median_days * math.exp(LATENESS_SIGMA * _NORMAL.inv_cdf(u))))


def late_days_cdf(days: int, median_days: float) -> float:
    """Probability a late line is at most ``days`` late (the distribution of :func:`late_days`)."""
    if days < 1:
        return 0.0
    return _NORMAL.cdf(math.log(days / median_days) / LATENESS_SIGMA)


def line_fate(
    truth: SupplierTruth, order_day: int, lead_days: int, restock_day: int | None, u: np.ndarray
) -> LineFate:
    """The fate of one line from four uniform draws (late?, how much, early?, warned?)."""
    quoted = order_day + lead_days
    # Out of stock: the goods leave once stock is back, about half a lead time later.
    base = quoted if restock_day is None else max(quoted, restock_day + math.ceil(lead_days / 2))
    warned = False
    if u[0] < truth.on_time:
        arrival = max(order_day + 1, base - int(u[2] * (_EARLIEST_ON_TIME_DAYS + 1)))
    else:
        arrival = base + late_days(float(u[1]), truth.late_median_days)
        warned = bool(u[3] < truth.warn_share)
    if restock_day is not None:
        return LineFate(arrival, None, restock_day)
    return LineFate(arrival, arrival if warned else quoted, None)


def lateness_quantiles(truth: SupplierTruth, quantiles: tuple[float, ...]) -> list[float]:
    """Quantiles of days past the quote, from the supplier's true behaviour (for the oracle)."""
    span = 400
    pmf = np.zeros(span + _EARLIEST_ON_TIME_DAYS + 1)
    shift = _EARLIEST_ON_TIME_DAYS
    length = truth.restock_mean_days
    out_share = truth.stock_out_hazard * length / (1 + truth.stock_out_hazard * length)
    with_stock = 1.0 - out_share
    for early in range(_EARLIEST_ON_TIME_DAYS + 1):
        pmf[shift - early] += with_stock * truth.on_time / (_EARLIEST_ON_TIME_DAYS + 1)
    for days in range(1, span):
        share = late_days_cdf(days, truth.late_median_days) - late_days_cdf(
            days - 1, truth.late_median_days
        )
        pmf[shift + days] += with_stock * (1 - truth.on_time) * share
    # A line ordered during a stock-out waits for the rest of it (about half its length).
    for days in range(1, int(length) + 1):
        pmf[shift + days] += out_share / int(length)
    cdf = np.cumsum(pmf) / pmf.sum()
    return [float(np.searchsorted(cdf, q - 1e-12) - shift) for q in quantiles]


class World:
    """Suppliers, offers, stock-outs and demand of one scenario (all drawn from its seed)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        layout = keyed(scenario.seed, _LAYOUT)
        self.suppliers = _suppliers(scenario, layout)
        self.drift = _drift(scenario, self.suppliers, layout)
        self.skus = tuple(f"SKU-{index + 1:04d}" for index in range(scenario.skus))
        self.offers = _offers(scenario, self.suppliers, self.skus, layout)
        self.supplier_index = {truth.name: i for i, truth in enumerate(self.suppliers)}
        self.sku_index = {sku: i for i, sku in enumerate(self.skus)}
        breadth = Counter(row.supplier for rows in self.offers.values() for row in rows)
        # ERPNext-style item default: the broadest wholesaler offering the SKU.
        self.default_supplier = {
            sku: min(rows, key=lambda row: (-breadth[row.supplier], row.supplier)).supplier
            for sku, rows in self.offers.items()
        }
        # Odoo-style vendor sequence: the first offer listed for the SKU.
        self.first_vendor = {sku: rows[0].supplier for sku, rows in self.offers.items()}
        self._calendars: dict[tuple[int, int], np.ndarray] = {}
        self._quantiles: dict[SupplierTruth, list[float]] = {}

    def day(self, index: int) -> date:
        """The calendar date of a simulated day."""
        return self.scenario.start + timedelta(days=index)

    def truth(self, supplier: int, day: int) -> SupplierTruth:
        """How a supplier behaves on a day (after the drift day, the drifted behaviour)."""
        if (
            self.drift is not None
            and self.drift.supplier == supplier
            and day >= self.drift.from_day
        ):
            return self.drift.to
        return self.suppliers[supplier]

    def out_of_stock_until(self, supplier: int, sku: int, day: int) -> int | None:
        """The day stock is back, when the supplier is out of the SKU on ``day``."""
        if not 0 <= day < self.scenario.horizon:
            return None
        key = (supplier, sku)
        calendar = self._calendars.get(key)
        if calendar is None:
            calendar = self._calendars[key] = self._stock_out_calendar(supplier, sku)
        until = int(calendar[day])
        return None if until < 0 else until

    def fate(self, supplier: str, sku: str, order_day: int, lead_days: int) -> LineFate:
        """The hidden fate of a line: the same for every policy placing it that day."""
        s, k = self.supplier_index[supplier], self.sku_index[sku]
        draws = keyed(self.scenario.seed, _FATE, s, k, order_day + _DAY_OFFSET).random(4)
        restock = self.out_of_stock_until(s, k, order_day)
        return line_fate(self.truth(s, order_day), order_day, lead_days, restock, draws)

    def true_reliability(self, supplier: str, sku: str, day: int) -> Reliability:
        """What the oracle knows: the supplier's true on-time rate and lateness on ``day``."""
        truth = self.truth(self.supplier_index[supplier], day)
        quantiles = self._quantiles.get(truth)
        if quantiles is None:
            quantiles = self._quantiles[truth] = lateness_quantiles(truth, (0.5, 0.8, 0.9))
        p50, p80, p90 = quantiles
        return _true(supplier, sku, truth, p50, p80, p90)

    @cached_property
    def demand(self) -> tuple[CustomerLine, ...]:
        """Every customer back-order line of the run, in order."""
        rng = keyed(self.scenario.seed, _DEMAND)
        popularity = rng.lognormal(0.0, 0.8, len(self.skus))
        rates = popularity / popularity.sum() * self.scenario.demand_per_day
        counts = rng.poisson(rates, size=(self.scenario.days, len(self.skus)))
        lines = []
        number = 0
        for day in range(self.scenario.days):
            for k in np.flatnonzero(counts[day]):
                for _ in range(int(counts[day, k])):
                    number += 1
                    order_id = f"SO-{number:06d}"
                    qty = 1 + int(rng.poisson(0.6))
                    lines.append(
                        CustomerLine(number, order_id, f"{order_id}-1", self.skus[k], qty, day)
                    )
        return tuple(lines)

    @cached_property
    def history(self) -> tuple[HistoryLine, ...]:
        """The delivery history the store holds at the start (received lines only)."""
        lines = []
        for sku, rows in self.offers.items():
            k = self.sku_index[sku]
            for row in rows:
                s = self.supplier_index[row.supplier]
                truth = self.suppliers[s]
                rng = keyed(self.scenario.seed, _HISTORY, s, k)
                for order_day in range(-self.scenario.history_days, 0):
                    draws = rng.random(7)
                    if draws[4] >= _HISTORY_LINE_RATE:
                        continue
                    out_share = truth.stock_out_hazard * truth.restock_mean_days
                    restock = (
                        order_day + 1 + int(draws[5] * truth.restock_mean_days)
                        if draws[6] < out_share
                        else None
                    )
                    fate = line_fate(truth, order_day, row.lead_time_days, restock, draws)
                    if fate.arrival_day >= 0:
                        continue  # not yet received when the run starts
                    qty = 1 + int(draws[1] * 5)
                    promised = order_day + row.lead_time_days
                    lines.append(
                        HistoryLine(row.supplier, sku, qty, order_day, promised, fate.arrival_day)
                    )
        return tuple(lines)

    def _stock_out_calendar(self, supplier: int, sku: int) -> np.ndarray:
        horizon = self.scenario.horizon
        draws = keyed(self.scenario.seed, _STOCK_OUTS, supplier, sku).random((horizon, 2))
        until = np.full(horizon, -1, dtype=np.int64)
        day = 0
        while day < horizon:
            truth = self.truth(supplier, day)
            if draws[day, 0] < truth.stock_out_hazard:
                # Lengths spread evenly from a week to twice the mean less a week.
                length = 7 + int(draws[day, 1] * 2 * max(truth.restock_mean_days - 7, 0))
                until[day : min(day + length, horizon)] = day + length
                day += length
            else:
                day += 1
        return until


def _true(
    supplier: str, sku: str, truth: SupplierTruth, p50: float, p80: float, p90: float
) -> Reliability:
    length = truth.restock_mean_days
    out_share = truth.stock_out_hazard * length / (1 + truth.stock_out_hazard * length)
    rate = (1 - out_share) * truth.on_time
    return Reliability(supplier, sku, "supplier", 1000, rate, rate, p50, p80, p90)


def _suppliers(scenario: Scenario, rng: np.random.Generator) -> tuple[SupplierTruth, ...]:
    count = scenario.suppliers
    # Badness 0 (the best) to 1 (the worst), dealt out in a random order.
    badness = rng.permutation(np.linspace(0.0, 1.0, count))
    suppliers = []
    for index in range(count):
        bad = float(badness[index])
        name = SUPPLIER_NAMES[index] if index < len(SUPPLIER_NAMES) else f"Supplier {index + 1:02d}"
        on_time = BEST_ON_TIME - scenario.reliability_spread * bad + rng.normal(0, 0.01)
        suppliers.append(
            SupplierTruth(
                name=name,
                on_time=float(np.clip(on_time, 0.05, 0.99)),
                late_median_days=4.0 + 16.0 * bad + float(rng.uniform(0, 2)),
                warn_share=float(rng.uniform(0.2, 0.6)),
                stock_out_hazard=0.002 + 0.006 * bad,
                restock_mean_days=14.0 + 10.0 * bad,
                # The less reliable, the cheaper: the cheapest offer is often the latest.
                price_level=1.0 - 0.08 * bad + float(rng.normal(0, 0.015)),
            )
        )
    return tuple(suppliers)


def _drift(
    scenario: Scenario, suppliers: tuple[SupplierTruth, ...], rng: np.random.Generator
) -> Drift | None:
    # Drawn even when drift is off, so the rest of the world does not depend on the switch.
    by_reliability = sorted(range(len(suppliers)), key=lambda i: -suppliers[i].on_time)
    good = by_reliability[: max(1, len(suppliers) // 2)]
    chosen = int(good[int(rng.integers(len(good)))])
    if not scenario.drift:
        return None
    was = suppliers[chosen]
    gone_bad = replace(
        was,
        on_time=0.35,
        late_median_days=20.0,
        warn_share=0.2,
        stock_out_hazard=was.stock_out_hazard * 3,
        restock_mean_days=was.restock_mean_days + 10,
    )
    return Drift(chosen, scenario.drift_day, gone_bad)


def _offers(
    scenario: Scenario,
    suppliers: tuple[SupplierTruth, ...],
    skus: tuple[str, ...],
    rng: np.random.Generator,
) -> dict[str, tuple[OfferRow, ...]]:
    # Some suppliers are broad wholesalers, others carry a few lines.
    breadth = rng.uniform(0.5, 2.0, len(suppliers))
    weights = breadth / breadth.sum()
    offers: dict[str, tuple[OfferRow, ...]] = {}
    offer_id = 0
    for sku in skus:
        count = min(int(rng.integers(2, 5)), len(suppliers))
        chosen = rng.choice(len(suppliers), size=count, replace=False, p=weights)
        base_price = float(rng.uniform(5.0, 60.0))
        rows = []
        for s in chosen:  # the order drawn is the order the vendors were listed in
            offer_id += 1
            truth = suppliers[int(s)]
            price = base_price * truth.price_level * (1 + float(rng.normal(0, 0.03)))
            rows.append(
                OfferRow(
                    offer_id=offer_id,
                    supplier=truth.name,
                    sku=sku,
                    unit_price=Decimal(str(round(price, 2))),
                    lead_time_days=int(rng.integers(4, 13)),
                    price_list_id=int(s) + 1,
                    moq=int(rng.choice([1, 1, 1, 1, 2, 5])),
                )
            )
        offers[sku] = tuple(rows)
    return offers
