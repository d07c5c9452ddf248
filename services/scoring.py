"""Score suppliers from the system of record: load lines → score → standings → snapshots.

The delivery history is read in one SELECT straight into the canonical frame of
:mod:`purchasing.delivery_frame`; procure's own PO lines that have no delivery line yet are
part of the same SELECT, so a PO that never arrives counts against its supplier.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any
from typing import cast as typing_cast

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.sql import Select, Subquery
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as sqlmodel_select

from models import ScoreSnapshot, StandingChange, StandingOverride, Supplier
from purchasing.delivery_frame import DATE_COLUMNS, DELIVERY_COLUMNS, conform_deliveries
from purchasing.errors import InputRejected, UnknownRecord
from purchasing.scoring import score_deliveries
from purchasing.scoring_params import ScoringParams
from purchasing.standings import (
    MANUAL_STANDINGS,
    STANDINGS,
    Override,
    Standing,
    StandingDecision,
    decide_standing,
)


@dataclass(frozen=True)
class StandingTransition:
    """A recorded change of a supplier's standing (what the standing-changed event carries)."""

    supplier: str
    as_of: date
    from_standing: str
    to_standing: str
    source: str
    reason_code: str
    reason: str


@dataclass(frozen=True)
class SupplierScorecard:
    """One supplier's scorecard as of a date, with its standing and why."""

    supplier: str
    lines: int
    on_time_lines: int
    on_time_rate: float | None
    in_full_rate: float | None
    otif_rate: float | None
    qty_on_time_rate: float | None
    qty_in_full_rate: float | None
    qty_otif_rate: float | None
    fill_rate: float | None
    recency_on_time_rate: float | None
    score: float | None
    score_low: float | None
    score_high: float | None
    standing: str
    standing_source: str
    standing_reason_code: str
    standing_reason: str
    computed_standing: str
    lateness_p50_days: float | None
    lateness_p80_days: float | None
    lateness_p90_days: float | None
    lead_time_p50_days: float | None
    lead_time_p90_days: float | None
    quoted_lead_time_days: float | None
    open_late_lines: int
    cancelled_by_supplier_lines: int
    pending_lines: int
    repromises: int
    repromised_lines: int
    days_moved: int
    previous_score: float | None = None
    previous_standing: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The ``procure score --json`` object (PRODUCT.md contract plus the detail)."""
        return {
            "supplier": self.supplier,
            "lines": self.lines,
            "on_time_rate": self.on_time_rate,
            "score": self.score,
            "standing": self.standing,
            "standing_reason": self.standing_reason,
            "in_full_rate": self.in_full_rate,
            "otif_rate": self.otif_rate,
            "qty_on_time_rate": self.qty_on_time_rate,
            "qty_in_full_rate": self.qty_in_full_rate,
            "qty_otif_rate": self.qty_otif_rate,
            "interval": None
            if self.score_low is None
            else {"low": self.score_low, "high": self.score_high},
            "lateness_p50_days": self.lateness_p50_days,
            "lateness_p90_days": self.lateness_p90_days,
            "lead_time_p50_days": self.lead_time_p50_days,
            "lead_time_p90_days": self.lead_time_p90_days,
            "quoted_lead_time_days": self.quoted_lead_time_days,
            "repromises": self.repromises,
            "repromised_lines": self.repromised_lines,
            "days_moved": self.days_moved,
        }


@dataclass(frozen=True)
class ScoreRun:
    """What one scoring run concluded and recorded."""

    as_of: date
    since: date | None
    formula_version: str
    population_rate: float
    scorecards: list[SupplierScorecard]
    transitions: list[StandingTransition] = field(default_factory=list)


Record = dict[Hashable, Any]

# -- loading -----------------------------------------------------------------------------


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _as_text(column: Any) -> Any:
    # Dates travel as ISO text: pandas parses a text column in C, while date objects
    # would be converted one by one in Python.
    return cast(column, String)


def _repromise_counts(target: str) -> Subquery:
    # A ledger entry with a previous date moved an existing promise; the first promise
    # of a line (no previous date) is not a re-promise.
    ledger = _table("promise_change")
    return (
        select(ledger.c[target].label("line_id"), func.count().label("repromise_count"))
        .where(ledger.c[target].is_not(None), ledger.c.previous_date.is_not(None))
        .group_by(ledger.c[target])
        .subquery()
    )


def delivery_lines_select() -> Select[Any]:
    """The one SELECT that yields the canonical delivery frame's columns."""
    supplier, sku = _table("supplier"), _table("sku")
    line, po_line, order = _table("delivery_line"), _table("po_line"), _table("purchase_order")
    line_repromises = _repromise_counts("delivery_line_id")
    from_history = (
        select(
            supplier.c.name.label("supplier"),
            sku.c.code.label("sku"),
            line.c.ordered_qty,
            _as_text(line.c.order_date).label("order_date"),
            _as_text(line.c.original_promised_date).label("original_promised_date"),
            _as_text(line.c.promised_date).label("promised_date"),
            _as_text(line.c.received_date).label("received_date"),
            line.c.received_qty,
            line.c.status,
            supplier.c.late_tolerance_days,
            func.coalesce(line_repromises.c.repromise_count, 0).label("repromise_count"),
        )
        .select_from(line)
        .join(supplier, supplier.c.id == line.c.supplier_id)
        .join(sku, sku.c.id == line.c.sku_id)
        .outerjoin(line_repromises, line_repromises.c.line_id == line.c.id)
    )
    # procure's own PO lines, once released, are promises like any other; a reroute moved
    # the line because the supplier slipped, so it counts as the supplier's failure.
    po_status = case(
        (po_line.c.status == "received", literal("received")),
        (po_line.c.status == "rerouted", literal("cancelled_by_supplier")),
        (
            po_line.c.status.in_(("approved", "sent", "confirmed", "partially_received")),
            literal("open"),
        ),
        else_=literal("cancelled_by_us"),
    )
    has_delivery_line = select(line.c.id).where(line.c.po_line_id == po_line.c.id).exists()
    po_repromises = _repromise_counts("po_line_id")
    from_own_pos = (
        select(
            supplier.c.name.label("supplier"),
            sku.c.code.label("sku"),
            po_line.c.qty.label("ordered_qty"),
            _as_text(order.c.order_date).label("order_date"),
            _as_text(po_line.c.original_promised_date).label("original_promised_date"),
            _as_text(
                func.coalesce(po_line.c.promised_date, po_line.c.original_promised_date)
            ).label("promised_date"),
            _as_text(po_line.c.received_date).label("received_date"),
            case((po_line.c.received_date.is_(None), None), else_=po_line.c.received_qty).label(
                "received_qty"
            ),
            po_status.label("status"),
            supplier.c.late_tolerance_days,
            func.coalesce(po_repromises.c.repromise_count, 0).label("repromise_count"),
        )
        .select_from(po_line)
        .join(order, order.c.id == po_line.c.po_id)
        .join(supplier, supplier.c.id == order.c.supplier_id)
        .join(sku, sku.c.id == po_line.c.sku_id)
        .outerjoin(po_repromises, po_repromises.c.line_id == po_line.c.id)
        .where(po_line.c.original_promised_date.is_not(None), ~has_delivery_line)
    )
    return select(union_all(from_history, from_own_pos).subquery())


def load_deliveries(connection: Connection) -> pd.DataFrame:
    """Every delivery line procure knows, as the canonical frame (one SELECT)."""
    raw = pd.read_sql(delivery_lines_select(), connection)
    frame = pd.DataFrame(
        {
            "supplier": raw["supplier"].astype("category"),
            "sku": raw["sku"].astype("category"),
            "ordered_qty": raw["ordered_qty"].astype(np.int64),
            "received_qty": pd.to_numeric(raw["received_qty"]).astype(np.float64),
            "status": raw["status"].astype("category"),
            "late_tolerance_days": raw["late_tolerance_days"].astype(np.int64),
            "repromise_count": raw["repromise_count"].astype(np.int64),
        }
    )
    for name in DATE_COLUMNS:
        frame[name] = pd.to_datetime(raw[name], format="ISO8601").astype("datetime64[ns]")
    return conform_deliveries(frame[[*DELIVERY_COLUMNS, "repromise_count"]])


def _quoted_lead_times(connection: Connection) -> dict[str, float]:
    # The newest price list's offer per supplier×SKU is the one in force; a supplier's
    # quote is the median over its SKUs.
    offer, supplier = _table("offer"), _table("supplier")
    rows = connection.execute(
        select(supplier.c.name, offer.c.sku_id, offer.c.lead_time_days)
        .join(supplier, supplier.c.id == offer.c.supplier_id)
        .order_by(offer.c.price_list_id, offer.c.id)
    ).all()
    if not rows:
        return {}
    offers = pd.DataFrame(rows, columns=["supplier", "sku_id", "lead_time_days"])
    latest = offers.drop_duplicates(["supplier", "sku_id"], keep="last")
    medians = latest.groupby("supplier")["lead_time_days"].median()
    return {str(name): float(value) for name, value in medians.items()}


# -- scoring and recording ---------------------------------------------------------------


def score_suppliers(
    session: Session,
    *,
    as_of: date,
    since: date | None = None,
    params: ScoringParams | None = None,
) -> ScoreRun:
    """Score every supplier as of ``as_of``, record snapshots and standing transitions."""
    params = params or ScoringParams()
    if since is not None and since > as_of:
        raise InputRejected(f"--since {since.isoformat()} is after --as-of {as_of.isoformat()}")
    connection = session.connection()
    frame = load_deliveries(connection)
    scores = score_deliveries(frame, as_of, since, params)
    quoted = _quoted_lead_times(connection)
    supplier_table = _table("supplier")
    suppliers = {
        str(name): int(ident)
        for ident, name in connection.execute(
            select(supplier_table.c.id, supplier_table.c.name)
        ).all()
    }
    overrides = _overrides(connection)
    previous = _previous_snapshots(connection, as_of, params.formula_version)
    previous_effective = _previous_effective(connection, as_of)

    scorecards: list[SupplierScorecard] = []
    transitions: list[StandingTransition] = []
    by_name = {str(record["supplier"]): record for record in scores.suppliers.to_dict("records")}
    for name, supplier_id in sorted(suppliers.items()):
        row = by_name.get(name)
        before = previous.get(supplier_id)
        decision = decide_standing(
            standing_of(before["computed_standing"]) if before else "unrated",
            _number(row, "score_low"),
            _number(row, "score_high"),
            overrides.get(supplier_id, []),
            as_of,
            params.thresholds,
        )
        card = _scorecard(name, row, decision, quoted.get(name), before)
        scorecards.append(card)
        was = previous_effective.get(supplier_id, "unrated")
        if card.standing != was:
            transitions.append(
                StandingTransition(
                    name,
                    as_of,
                    was,
                    card.standing,
                    decision.source,
                    decision.effective.reason_code,
                    decision.effective.reason,
                )
            )
    _write_snapshots(session, scorecards, suppliers, as_of, since, params.formula_version)
    recorded = _write_transitions(session, transitions, suppliers, scorecards, as_of)
    return ScoreRun(
        as_of, since, params.formula_version, scores.population_rate, scorecards, recorded
    )


def _number(row: Record | None, name: str) -> float | None:
    if row is None:
        return None
    value = float(row[name])
    return None if math.isnan(value) else value


def _count(row: Record | None, name: str) -> int:
    return 0 if row is None else int(row[name])


def _scorecard(
    name: str,
    row: Record | None,
    decision: StandingDecision,
    quoted: float | None,
    before: dict[str, Any] | None,
) -> SupplierScorecard:
    return SupplierScorecard(
        supplier=name,
        lines=_count(row, "lines"),
        on_time_lines=_count(row, "on_time_lines"),
        on_time_rate=_number(row, "on_time_rate"),
        in_full_rate=_number(row, "in_full_rate"),
        otif_rate=_number(row, "otif_rate"),
        qty_on_time_rate=_number(row, "qty_on_time_rate"),
        qty_in_full_rate=_number(row, "qty_in_full_rate"),
        qty_otif_rate=_number(row, "qty_otif_rate"),
        fill_rate=_number(row, "fill_rate"),
        recency_on_time_rate=_number(row, "recency_on_time_rate"),
        score=_number(row, "score"),
        score_low=_number(row, "score_low"),
        score_high=_number(row, "score_high"),
        standing=decision.effective.standing,
        standing_source=decision.source,
        standing_reason_code=decision.effective.reason_code,
        standing_reason=decision.effective.reason,
        computed_standing=decision.computed.standing,
        lateness_p50_days=_number(row, "lateness_p50_days"),
        lateness_p80_days=_number(row, "lateness_p80_days"),
        lateness_p90_days=_number(row, "lateness_p90_days"),
        lead_time_p50_days=_number(row, "lead_time_p50_days"),
        lead_time_p90_days=_number(row, "lead_time_p90_days"),
        quoted_lead_time_days=quoted,
        open_late_lines=_count(row, "open_late_lines"),
        cancelled_by_supplier_lines=_count(row, "cancelled_by_supplier_lines"),
        pending_lines=_count(row, "pending_lines"),
        repromises=_count(row, "repromises"),
        repromised_lines=_count(row, "repromised_lines"),
        days_moved=_count(row, "days_moved"),
        previous_score=before["score"] if before else None,
        previous_standing=before["standing"] if before else None,
    )


def _overrides(connection: Connection) -> dict[int, list[Override]]:
    overrides = _table("standing_override")
    found: dict[int, list[Override]] = {}
    rows = connection.execute(select(overrides).order_by(overrides.c.set_on, overrides.c.id)).all()
    for row in rows:
        found.setdefault(row.supplier_id, []).append(
            Override(cast_standing(row.standing), row.reason, row.set_by, row.set_on, row.until)
        )
    return found


def _previous_snapshots(
    connection: Connection, as_of: date, formula_version: str
) -> dict[int, dict[str, Any]]:
    # The latest earlier snapshot of the same formula: the base of hysteresis and movers.
    snapshot = _table("score_snapshot")
    same_formula = snapshot.c.formula_version == formula_version
    latest = (
        select(snapshot.c.supplier_id, func.max(snapshot.c.as_of).label("as_of"))
        .where(same_formula, snapshot.c.as_of < as_of)
        .group_by(snapshot.c.supplier_id)
        .subquery()
    )
    rows = connection.execute(
        select(snapshot.c.supplier_id, snapshot.c.score, snapshot.c.standing, snapshot.c.details)
        .join(
            latest,
            and_(
                latest.c.supplier_id == snapshot.c.supplier_id, latest.c.as_of == snapshot.c.as_of
            ),
        )
        .where(same_formula)
    ).all()
    return {
        supplier_id: {
            "score": score,
            "standing": standing,
            "computed_standing": (details or {}).get("computed_standing", standing),
        }
        for supplier_id, score, standing, details in rows
    }


def _previous_effective(connection: Connection, as_of: date) -> dict[int, str]:
    # What was in force before this run: every earlier transition, plus a manual one
    # a buyer made on this very day (a rerun's own score transitions are not "before").
    change = _table("standing_change")
    rows = connection.execute(
        select(change.c.supplier_id, change.c.to_standing)
        .where(
            or_(
                change.c.as_of < as_of,
                and_(change.c.as_of == as_of, change.c.source == "manual"),
            )
        )
        .order_by(change.c.as_of, change.c.id)
    ).all()
    return {int(supplier_id): str(to_standing) for supplier_id, to_standing in rows}


def _in_force_on(connection: Connection, day: date) -> dict[int, str]:
    # A buyer's override starts from what the buyer sees that day: a score run of the
    # same day counts, unlike for a rerun of the score itself.
    change = _table("standing_change")
    rows = connection.execute(
        select(change.c.supplier_id, change.c.to_standing)
        .where(change.c.as_of <= day)
        .order_by(change.c.as_of, change.c.id)
    ).all()
    return {int(supplier_id): str(to_standing) for supplier_id, to_standing in rows}


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value


def _write_snapshots(
    session: Session,
    scorecards: Sequence[SupplierScorecard],
    suppliers: dict[str, int],
    as_of: date,
    since: date | None,
    formula_version: str,
) -> None:
    # Only this formula version's row for this day is ever replaced; other versions'
    # snapshots of the same day are history and stay as they were.
    snapshot = _table("score_snapshot")
    existing = {
        int(supplier_id): int(ident)
        for supplier_id, ident in session.connection().execute(
            select(snapshot.c.supplier_id, snapshot.c.id).where(
                snapshot.c.as_of == as_of, snapshot.c.formula_version == formula_version
            )
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for card in scorecards:
        supplier_id = suppliers[card.supplier]
        details = {
            key: _json_safe(value)
            for key, value in asdict(card).items()
            if key not in ("supplier", "previous_score", "previous_standing")
        }
        values = {
            "supplier_id": supplier_id,
            "as_of": as_of,
            "since": since,
            "formula_version": formula_version,
            "lines": card.lines,
            "on_time_rate": card.on_time_rate,
            "in_full_rate": card.in_full_rate,
            "otif_rate": card.otif_rate,
            "score": card.score,
            "score_low": card.score_low,
            "score_high": card.score_high,
            "standing": card.standing,
            "details": details,
        }
        if supplier_id in existing:
            updates.append({"id": existing[supplier_id], **values})
        else:
            inserts.append(values)
    if inserts:
        session.execute(insert(ScoreSnapshot), inserts)
    if updates:
        session.execute(update(ScoreSnapshot), updates)


def _write_transitions(
    session: Session,
    transitions: Iterable[StandingTransition],
    suppliers: dict[str, int],
    scorecards: Sequence[SupplierScorecard],
    as_of: date,
) -> list[StandingTransition]:
    """Record transitions; returns only those not already recorded (to emit once)."""
    existing = {
        (row.supplier_id, row.source): row
        for row in session.exec(
            sqlmodel_select(StandingChange).where(col(StandingChange.as_of) == as_of)
        ).all()
    }
    changed = {suppliers[t.supplier] for t in transitions}
    # A rerun on the same day whose figures no longer change the standing withdraws the
    # score transition it recorded earlier that day.
    for card in scorecards:
        supplier_id = suppliers[card.supplier]
        stale = existing.get((supplier_id, "score"))
        if stale is not None and supplier_id not in changed:
            session.delete(stale)
    fresh: list[StandingTransition] = []
    for transition in transitions:
        supplier_id = suppliers[transition.supplier]
        row = existing.get((supplier_id, transition.source))
        if row is None:
            session.add(
                StandingChange(
                    supplier_id=supplier_id,
                    as_of=as_of,
                    from_standing=transition.from_standing,
                    to_standing=transition.to_standing,
                    source=transition.source,
                    reason=transition.reason[:1000],
                )
            )
            fresh.append(transition)
        elif row.to_standing != transition.to_standing or row.from_standing != (
            transition.from_standing
        ):
            row.from_standing = transition.from_standing
            row.to_standing = transition.to_standing
            row.reason = transition.reason[:1000]
            session.add(row)
            fresh.append(transition)
    session.flush()
    return fresh


# -- manual standings --------------------------------------------------------------------


def set_standing_override(
    session: Session,
    *,
    supplier: str,
    standing: str,
    reason: str,
    set_by: str,
    set_on: date,
    until: date | None = None,
) -> StandingTransition:
    """Record a buyer's manual standing and the transition it causes from ``set_on``."""
    name = supplier.strip()
    if standing not in MANUAL_STANDINGS:
        raise InputRejected(f"standing {standing!r} is not one of {', '.join(MANUAL_STANDINGS)}")
    if not reason.strip():
        raise InputRejected("a manual standing needs a reason (--reason)")
    if not set_by.strip():
        raise InputRejected("a manual standing needs an author (--by)")
    if until is not None and until < set_on:
        raise InputRejected(
            f"--until {until.isoformat()} is before the day it is set ({set_on.isoformat()})"
        )
    party = session.exec(sqlmodel_select(Supplier).where(col(Supplier.name) == name)).first()
    if party is None or party.id is None:
        raise UnknownRecord(f"unknown supplier {name!r}: no supplier of that name is on record")
    before = _in_force_on(session.connection(), set_on).get(party.id, "unrated")
    session.add(
        StandingOverride(
            supplier_id=party.id,
            standing=standing,
            reason=reason.strip(),
            set_by=set_by.strip(),
            set_on=set_on,
            until=until,
        )
    )
    until_text = f" until {until.isoformat()}" if until else ""
    text = f"set to {standing} by {set_by.strip()}{until_text}: {reason.strip()}"
    row = session.exec(
        sqlmodel_select(StandingChange).where(
            col(StandingChange.supplier_id) == party.id,
            col(StandingChange.as_of) == set_on,
            col(StandingChange.source) == "manual",
        )
    ).first()
    if row is None:
        row = StandingChange(
            supplier_id=party.id,
            as_of=set_on,
            from_standing=before,
            to_standing=standing,
            source="manual",
            reason=text[:1000],
        )
    else:
        # A second override on the same day replaces the first; the day's transition
        # still starts from what was in force before the first.
        row.to_standing = standing
        row.reason = text[:1000]
    session.add(row)
    session.flush()
    return StandingTransition(
        name, set_on, row.from_standing, standing, "manual", "manual-override", text
    )


def cast_standing(standing: str) -> Standing:
    """A stored standing already checked against the vocabulary."""
    return typing_cast(Standing, standing)


def standing_of(standing: str) -> Standing:
    """Narrow a stored standing to the vocabulary (rejecting anything else)."""
    if standing in STANDINGS:
        return cast_standing(standing)
    raise InputRejected(f"unknown standing {standing!r}")


def snapshot_history(session: Session, formula_version: str | None = None) -> pd.DataFrame:
    """Every snapshot (supplier, as_of, score, standing) for trends, oldest first."""
    snapshot, supplier = _table("score_snapshot"), _table("supplier")
    statement = (
        select(
            supplier.c.name.label("supplier"),
            snapshot.c.as_of,
            snapshot.c.formula_version,
            snapshot.c.score,
            snapshot.c.on_time_rate,
            snapshot.c.standing,
        )
        .join(supplier, supplier.c.id == snapshot.c.supplier_id)
        .order_by(snapshot.c.as_of, supplier.c.name)
    )
    if formula_version is not None:
        statement = statement.where(snapshot.c.formula_version == formula_version)
    rows = session.connection().execute(statement).all()
    return pd.DataFrame(
        [tuple(row) for row in rows],
        columns=["supplier", "as_of", "formula_version", "score", "on_time_rate", "standing"],
    )
