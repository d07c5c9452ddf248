"""Per-SKU rules a buyer sets are honoured by reorder, which says so in its reasons."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from models.db import session_scope
from services.reorder import RaisedLine, ReorderSettings, reorder
from services.sku_rules import add_rule
from tests import factories

AS_OF = date(2026, 12, 1)


def reorder_with(engine: Engine, rule: str, supplier: str, until: date | None = None) -> RaisedLine:
    with session_scope(engine) as session:
        factories.catalog(session, "Cheap", [{"sku": "SKU-1", "unit_price": "10"}])
        factories.catalog(session, "Dear", [{"sku": "SKU-1", "unit_price": "20"}])
        factories.backorder(session, "SO-1", "SKU-1", 2, date(2026, 11, 20))
        add_rule(
            session,
            rule,
            "SKU-1",
            supplier,
            reason="quality audit",
            by="Ana",
            set_on=date(2026, 11, 1),
            until=until,
        )
    result = reorder(engine, as_of=AS_OF, settings=ReorderSettings(Decimal(1000)))
    [po] = result.created
    [line] = po.lines
    assert line.reason.startswith(po.supplier)
    return line


def test_a_pinned_supplier_gets_the_sku_though_it_is_dearer(engine: Engine) -> None:
    line = reorder_with(engine, "pin", "Dear")
    assert (line.unit_price, line.reason_code) == (Decimal("20"), "pinned")
    assert "pinned for this SKU" in line.reason


def test_a_supplier_blocked_for_a_sku_is_passed_over_and_the_reason_says_why(
    engine: Engine,
) -> None:
    line = reorder_with(engine, "block", "Cheap")
    assert line.unit_price == Decimal("20")
    assert "Cheap blocked for this SKU (quality audit)" in line.reason


@pytest.mark.parametrize("rule", ["pin", "block"])
def test_a_rule_past_its_until_date_no_longer_applies(engine: Engine, rule: str) -> None:
    line = reorder_with(engine, rule, "Dear" if rule == "pin" else "Cheap", date(2026, 11, 30))
    assert line.unit_price == Decimal("10")
    assert "for this SKU" not in line.reason
