"""Everything a reorder run reads, loaded with one query per table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session, col

from models import (
    ExchangeRate,
    PriceList,
    PurchaseOrder,
    ScoreSnapshot,
    SkuRule,
    StandingOverride,
    Supplier,
)
from models.statuses import OPEN_PO_LINE_STATUSES
from purchasing.delivery_frame import DELIVERY_COLUMNS
from purchasing.supplier_choice import OfferRow, PriceListInfo


@dataclass(frozen=True, slots=True)
class SupplierInfo:
    id: int
    name: str
    currency: str
    late_tolerance_days: int


@dataclass(frozen=True, slots=True)
class BackorderInfo:
    id: int
    order_id: str
    line_id: str
    sku_id: int
    qty: int
    ordered_at: date
    status: str


@dataclass(frozen=True, slots=True)
class PoLineInfo:
    id: int
    po_id: int
    po_number: str
    po_status: str
    supplier_id: int
    line_no: int
    sku_id: int
    offer_id: int | None
    qty: int
    received_qty: int
    unit_price: Decimal
    currency: str
    status: str


@dataclass(frozen=True, slots=True)
class CoverageInfo:
    id: int
    po_line_id: int
    backorder_id: int


@dataclass
class ReorderState:
    """The system of record as a reorder run as of ``as_of`` needs it."""

    as_of: date
    suppliers: dict[int, SupplierInfo] = field(default_factory=dict)
    skus: dict[int, str] = field(default_factory=dict)
    safety_stock: dict[str, int] = field(default_factory=dict)
    backorders: dict[int, BackorderInfo] = field(default_factory=dict)
    on_hand: dict[str, int] = field(default_factory=dict)
    po_lines: dict[int, PoLineInfo] = field(default_factory=dict)  # open lines only
    coverage: list[CoverageInfo] = field(default_factory=list)  # open coverage only
    offers: dict[str, list[OfferRow]] = field(default_factory=dict)  # by SKU code
    offers_by_id: dict[int, OfferRow] = field(default_factory=dict)
    price_lists: list[PriceListInfo] = field(default_factory=list)
    rates: dict[str, Decimal] = field(default_factory=dict)
    manual_standing: dict[str, tuple[str, str]] = field(default_factory=dict)
    computed_standing: dict[str, str] = field(default_factory=dict)
    sku_blocks: dict[tuple[str, str], str] = field(default_factory=dict)
    pins: dict[str, str] = field(default_factory=dict)
    unsent_pos: dict[int, int] = field(default_factory=dict)  # supplier id → PO id
    deliveries: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def supplier_ids(self) -> dict[str, int]:
        return {info.name: info.id for info in self.suppliers.values()}

    @property
    def sku_ids(self) -> dict[str, int]:
        return {code: sku_id for sku_id, code in self.skus.items()}

    def blocked_suppliers(self) -> dict[str, str]:
        """Supplier → why it is blocked on the as-of date (a manual standing wins)."""
        blocked: dict[str, str] = {}
        names = {info.name for info in self.suppliers.values()}
        for name in names:
            manual = self.manual_standing.get(name)
            if manual is not None:
                standing, reason = manual
                if standing == "blocked":
                    blocked[name] = f"blocked by hand: {reason}"
                continue
            if self.computed_standing.get(name) == "blocked":
                blocked[name] = "blocked by its delivery score"
        return blocked


def _day(value: object) -> date:
    """A date column's value: PostgreSQL gives dates, SQLite ISO text."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _tuples(session: Session, sql: str) -> Sequence[tuple[Any, ...]]:
    """Rows straight from the driver's cursor, inside the session's transaction."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def _in_force(set_on: date, until: date | None, as_of: date) -> bool:
    return set_on <= as_of and (until is None or as_of <= until)


def load_state(session: Session, as_of: date, base_currency: str) -> ReorderState:
    """Read the system of record for a reorder run (one query per table, never per SKU)."""
    state = ReorderState(as_of=as_of)
    for s in session.execute(
        select(
            col(Supplier.id),
            col(Supplier.name),
            col(Supplier.currency),
            col(Supplier.late_tolerance_days),
        )
    ):
        state.suppliers[s.id] = SupplierInfo(s.id, s.name, s.currency, s.late_tolerance_days)
    names = {sid: info.name for sid, info in state.suppliers.items()}
    for sku_id, code, safety_stock in _tuples(session, "SELECT id, code, safety_stock FROM sku"):
        state.skus[sku_id] = code
        if safety_stock:
            state.safety_stock[code] = safety_stock

    # The big tables are read as plain tuples: building ORM rows for 50,000 lines costs
    # seconds, and SQLite dates come back as ISO text that fromisoformat reads fastest.
    rows = _tuples(
        session,
        "SELECT id, po_line_id, backorder_line_id FROM po_line_coverage WHERE released_at IS NULL",
    )
    state.coverage = [CoverageInfo(cid, line_id, b_id) for cid, line_id, b_id in rows]
    covered_ids = {c.backorder_id for c in state.coverage}

    # Open lines as of the date, plus any line (cancelled, fulfilled) still holding coverage.
    rows = _tuples(
        session,
        "SELECT id, order_id, line_id, sku_id, qty, ordered_at, status FROM backorder_line "
        "WHERE status <> 'fulfilled'",
    )
    for b_id, order_id, line_id, sku_id, qty, ordered_at, status in rows:
        day = _day(ordered_at)
        if status == "open" and day > as_of and b_id not in covered_ids:
            continue
        if status == "cancelled" and b_id not in covered_ids:
            continue
        state.backorders[b_id] = BackorderInfo(b_id, order_id, line_id, sku_id, qty, day, status)

    for sku_id, on_hand in _tuples(session, "SELECT sku_id, on_hand FROM stock_on_hand"):
        state.on_hand[state.skus[sku_id]] = on_hand

    statuses = ", ".join(f"'{status}'" for status in OPEN_PO_LINE_STATUSES)
    rows = _tuples(
        session,
        "SELECT l.id, l.po_id, o.po_number, o.status, o.supplier_id, l.line_no, l.sku_id, "
        "l.offer_id, l.qty, l.received_qty, l.unit_price, l.currency, l.status "
        "FROM po_line l JOIN purchase_order o ON o.id = l.po_id "
        f"WHERE l.status IN ({statuses})",
    )
    for (
        line_id,
        po_id,
        po_number,
        po_status,
        supplier_id,
        line_no,
        sku_id,
        offer_id,
        qty,
        received_qty,
        unit_price,
        currency,
        status,
    ) in rows:
        state.po_lines[line_id] = PoLineInfo(
            line_id,
            po_id,
            po_number,
            po_status,
            supplier_id,
            line_no,
            sku_id,
            offer_id,
            qty,
            received_qty,
            Decimal(unit_price),
            currency,
            status,
        )

    for po in session.execute(
        select(col(PurchaseOrder.id), col(PurchaseOrder.supplier_id))
        .where(col(PurchaseOrder.status).in_(("draft", "pending_approval")))
        .order_by(col(PurchaseOrder.id))
    ):
        state.unsent_pos.setdefault(po.supplier_id, po.id)

    for pl in session.execute(
        select(col(PriceList.id), col(PriceList.supplier_id), col(PriceList.effective_from))
    ):
        state.price_lists.append(PriceListInfo(pl.id, names[pl.supplier_id], pl.effective_from))

    offers: dict[str, list[OfferRow]] = defaultdict(list)
    rows = _tuples(
        session,
        "SELECT id, supplier_id, sku_id, unit_price, lead_time_days, price_list_id, currency, "
        "moq, order_multiple, min_qty, valid_from, valid_to, freight_per_unit, duty_per_unit "
        "FROM offer",
    )
    for (
        offer_id,
        supplier_id,
        sku_id,
        unit_price,
        lead_time_days,
        price_list_id,
        currency,
        moq,
        order_multiple,
        min_qty,
        valid_from,
        valid_to,
        freight,
        duty,
    ) in rows:
        offer = OfferRow(
            offer_id=offer_id,
            supplier=names[supplier_id],
            sku=state.skus[sku_id],
            unit_price=Decimal(unit_price),
            lead_time_days=lead_time_days,
            price_list_id=price_list_id,
            currency=currency,
            moq=moq,
            order_multiple=order_multiple,
            min_qty=min_qty,
            valid_from=None if valid_from is None else _day(valid_from),
            valid_to=None if valid_to is None else _day(valid_to),
            freight_per_unit=None if freight is None else Decimal(freight),
            duty_per_unit=None if duty is None else Decimal(duty),
        )
        offers[offer.sku].append(offer)
        state.offers_by_id[offer_id] = offer
    state.offers = dict(offers)

    latest_rate: dict[str, tuple[date, Decimal]] = {}
    for r in session.execute(
        select(
            col(ExchangeRate.currency), col(ExchangeRate.rate_to_base), col(ExchangeRate.valid_from)
        )
    ):
        if r.valid_from <= as_of and (
            r.currency not in latest_rate or r.valid_from > latest_rate[r.currency][0]
        ):
            latest_rate[r.currency] = (r.valid_from, r.rate_to_base)
    state.rates = {currency: rate for currency, (_, rate) in latest_rate.items()}
    state.rates[base_currency] = Decimal(1)

    manual: dict[str, tuple[date, int, str, str]] = {}
    for m in session.execute(
        select(
            col(StandingOverride.id),
            col(StandingOverride.supplier_id),
            col(StandingOverride.standing),
            col(StandingOverride.reason),
            col(StandingOverride.set_on),
            col(StandingOverride.until),
        )
    ):
        if not _in_force(m.set_on, m.until, as_of):
            continue
        name = names[m.supplier_id]
        if name not in manual or (m.set_on, m.id) > manual[name][:2]:
            manual[name] = (m.set_on, m.id, m.standing, m.reason)
    state.manual_standing = {name: (v[2], v[3]) for name, v in manual.items()}

    computed: dict[str, tuple[date, int, str]] = {}
    for snap in session.execute(
        select(
            col(ScoreSnapshot.id),
            col(ScoreSnapshot.supplier_id),
            col(ScoreSnapshot.as_of),
            col(ScoreSnapshot.standing),
        ).where(col(ScoreSnapshot.as_of) <= as_of)
    ):
        name = names[snap.supplier_id]
        if name not in computed or (snap.as_of, snap.id) > computed[name][:2]:
            computed[name] = (snap.as_of, snap.id, snap.standing)
    state.computed_standing = {name: v[2] for name, v in computed.items()}

    for rule in session.execute(
        select(
            col(SkuRule.sku_id),
            col(SkuRule.supplier_id),
            col(SkuRule.rule),
            col(SkuRule.reason),
            col(SkuRule.set_on),
            col(SkuRule.until),
        )
    ):
        if not _in_force(rule.set_on, rule.until, as_of):
            continue
        pair = (names[rule.supplier_id], state.skus[rule.sku_id])
        if rule.rule == "block":
            state.sku_blocks[pair] = rule.reason
        else:
            state.pins[pair[1]] = pair[0]

    state.deliveries = _delivery_frame(session, state)
    return state


def _delivery_frame(session: Session, state: ReorderState) -> pd.DataFrame:
    """The canonical delivery-history frame (:mod:`purchasing.delivery_frame`) of every line."""
    rows = _tuples(
        session,
        "SELECT supplier_id, sku_id, ordered_qty, order_date, original_promised_date, "
        "promised_date, received_date, received_qty, status FROM delivery_line",
    )
    frame = pd.DataFrame(
        list(rows),
        columns=[
            "supplier_id",
            "sku_id",
            "ordered_qty",
            "order_date",
            "original_promised_date",
            "promised_date",
            "received_date",
            "received_qty",
            "status",
        ],
    )
    frame["supplier"] = frame["supplier_id"].map(
        {sid: info.name for sid, info in state.suppliers.items()}
    )
    frame["sku"] = frame["sku_id"].map(state.skus)
    frame["late_tolerance_days"] = frame["supplier_id"].map(
        {sid: info.late_tolerance_days for sid, info in state.suppliers.items()}
    )
    frame["received_qty"] = frame["received_qty"].astype("float64")
    return frame[list(DELIVERY_COLUMNS)]
