"""Per-SKU buying rules: pin a SKU to a supplier, or block a supplier for one SKU."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models import Sku, SkuRule, Supplier
from models.types import key
from purchasing.errors import InputRejected, UnknownRecord

RULES = ("pin", "block")


@dataclass(frozen=True)
class RuleEntry:
    """A rule as buyers read it."""

    sku: str
    supplier: str
    rule: str
    reason: str
    set_by: str
    set_on: date
    until: date | None

    def in_force(self, day: date) -> bool:
        return self.set_on <= day and (self.until is None or day <= self.until)

    def as_dict(self, day: date | None = None) -> dict[str, Any]:
        document: dict[str, Any] = {
            "sku": self.sku,
            "supplier": self.supplier,
            "rule": self.rule,
            "reason": self.reason,
            "set_by": self.set_by,
            "set_on": self.set_on.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
        }
        if day is not None:
            document["in_force"] = self.in_force(day)
        return document


def _named(session: Session, model: type[Sku] | type[Supplier], name: str) -> int:
    column = col(Sku.code) if model is Sku else col(Supplier.name)
    found = session.execute(select(model).where(column == name.strip())).scalar_one_or_none()
    if found is None:
        what = "SKU" if model is Sku else "supplier"
        raise UnknownRecord(f"no {what} {name.strip()!r}")
    return key(found)


def add_rule(
    session: Session,
    rule: str,
    sku: str,
    supplier: str,
    *,
    reason: str,
    by: str,
    set_on: date,
    until: date | None = None,
) -> RuleEntry:
    """Record a pin or a block, in force from ``set_on`` through ``until``."""
    if rule not in RULES:
        raise InputRejected(f"unknown rule {rule!r}; one of: {', '.join(RULES)}")
    if not reason.strip():
        raise InputRejected("--reason must say why (buyers read it in every reorder reason)")
    if not by.strip():
        raise InputRejected("--by must name the buyer setting the rule")
    if until is not None and until < set_on:
        raise InputRejected(f"--until {until.isoformat()} is before {set_on.isoformat()}")
    sku_id = _named(session, Sku, sku)
    supplier_id = _named(session, Supplier, supplier)
    if rule == "pin":
        _end_earlier_pins(session, sku_id, set_on)
    row = SkuRule(
        sku_id=sku_id,
        supplier_id=supplier_id,
        rule=rule,
        reason=reason.strip(),
        set_by=by.strip(),
        set_on=set_on,
        until=until,
    )
    session.add(row)
    session.flush()
    return RuleEntry(sku.strip(), supplier.strip(), rule, row.reason, row.set_by, set_on, until)


def _end_earlier_pins(session: Session, sku_id: int, set_on: date) -> None:
    """A SKU has one pinned supplier at a time: a new pin ends the ones in force."""
    for pin in session.execute(
        select(SkuRule).where(col(SkuRule.sku_id) == sku_id, col(SkuRule.rule) == "pin")
    ).scalars():
        if pin.until is None or pin.until >= set_on:
            pin.until = set_on - timedelta(days=1)
            session.add(pin)


def list_rules(session: Session) -> list[RuleEntry]:
    """Every rule on record, by SKU, supplier and date."""
    rows = session.execute(
        select(SkuRule, col(Sku.code), col(Supplier.name))
        .join(Sku, col(Sku.id) == col(SkuRule.sku_id))
        .join(Supplier, col(Supplier.id) == col(SkuRule.supplier_id))
        .order_by(col(Sku.code), col(Supplier.name), col(SkuRule.set_on), col(SkuRule.id))
    ).all()
    return [
        RuleEntry(code, name, rule.rule, rule.reason, rule.set_by, rule.set_on, rule.until)
        for rule, code, name in rows
    ]
