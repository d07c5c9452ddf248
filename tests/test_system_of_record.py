"""The database itself refuses writes that would break procure's invariants."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel, select

from models import (
    BackorderLine,
    IngestedFile,
    Offer,
    PoEvent,
    PoLine,
    PoLineCoverage,
    PurchaseOrder,
)
from models.types import key
from tests import factories


def _po_line(session: Session, sku_code: str = "SKU-1", *, status: str = "draft") -> PoLine:
    party = factories.supplier(session, "Acme Ltd")
    item = factories.sku(session, sku_code)
    po = PurchaseOrder(
        po_number=f"PO-{session.exec(select(PurchaseOrder)).all().__len__() + 1:06d}",
        supplier_id=key(party),
        order_date=date(2026, 12, 1),
        created_by="policy:reorder",
    )
    session.add(po)
    session.flush()
    line = PoLine(po_id=key(po), line_no=1, sku_id=key(item), qty=10, unit_price=Decimal("2.50"))
    session.add(line)
    session.flush()
    return line


def test_migrations_create_exactly_the_modelled_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_the_database_checks_every_rule_the_models_declare(engine: Engine) -> None:
    # Alembic's comparison leaves CHECK constraints out: they are compared here, by name
    # everywhere and word for word on SQLite (PostgreSQL rewrites the text it stores).
    declared = {
        (table.name, constraint.name): str(constraint.sqltext)
        for table in SQLModel.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }
    inspector = inspect(engine)
    found = {
        (table, check["name"]): check["sqltext"]
        for table in inspector.get_table_names()
        for check in inspector.get_check_constraints(table)
    }
    assert set(found) == set(declared)
    if engine.dialect.name == "sqlite":
        assert found == declared


def test_a_status_outside_its_vocabulary_is_refused(session: Session) -> None:
    session.add(IngestedFile(sha256="ef" * 32, kind="catalog", filename="a.csv", status="maybe"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_backorder_line_cannot_be_covered_by_two_open_po_lines(session: Session) -> None:
    waiting = factories.backorder(session, "SO-1", "SKU-1", 3, date(2026, 11, 30))
    first, second = _po_line(session), _po_line(session)
    session.add(PoLineCoverage(po_line_id=key(first), backorder_line_id=key(waiting)))
    session.flush()
    session.add(PoLineCoverage(po_line_id=key(second), backorder_line_id=key(waiting)))
    with pytest.raises(IntegrityError):
        session.flush()


def test_released_coverage_lets_another_po_line_take_the_backorder(session: Session) -> None:
    waiting = factories.backorder(session, "SO-1", "SKU-1", 3, date(2026, 11, 30))
    first, second = _po_line(session), _po_line(session)
    coverage = PoLineCoverage(po_line_id=key(first), backorder_line_id=key(waiting))
    session.add(coverage)
    session.flush()
    coverage.released_at = coverage.created_at
    session.add(PoLineCoverage(po_line_id=key(second), backorder_line_id=key(waiting)))
    session.flush()
    open_cover = session.exec(
        select(PoLineCoverage).where(PoLineCoverage.released_at.is_(None))  # type: ignore[union-attr]
    ).all()
    assert [row.po_line_id for row in open_cover] == [second.id]


@pytest.mark.parametrize("qty", [0, -5])
def test_a_backorder_quantity_must_be_positive(session: Session, qty: int) -> None:
    item = factories.sku(session, "SKU-1")
    session.add(
        BackorderLine(
            order_id="SO-1", line_id="1", sku_id=key(item), qty=qty, ordered_at=date(2026, 12, 1)
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_negative_price_is_refused(session: Session) -> None:
    with pytest.raises(IntegrityError):
        factories.offer(session, "Acme Ltd", "SKU-1", "-0.01")


@pytest.mark.parametrize("field", ["moq", "order_multiple", "min_qty"])
def test_offer_quantities_must_be_positive(session: Session, field: str) -> None:
    with pytest.raises(IntegrityError):
        factories.offer(session, "Acme Ltd", "SKU-1", "1.00", **{field: 0})


def test_the_same_file_cannot_be_accepted_twice(session: Session) -> None:
    session.add(IngestedFile(sha256="ab" * 32, kind="catalog", filename="a.csv", status="accepted"))
    session.flush()
    session.add(IngestedFile(sha256="ab" * 32, kind="catalog", filename="b.csv", status="accepted"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_rejected_file_may_be_sent_again(session: Session) -> None:
    for status in ("rejected", "rejected", "accepted"):
        session.add(IngestedFile(sha256="cd" * 32, kind="stock", filename="s.csv", status=status))
        session.flush()
    assert len(session.exec(select(IngestedFile)).all()) == 3


def test_a_po_cannot_be_sent_without_an_approver(session: Session) -> None:
    line = _po_line(session)
    po = session.get(PurchaseOrder, line.po_id)
    assert po is not None
    po.status = "sent"
    with pytest.raises(IntegrityError):
        session.flush()


def test_audit_events_are_append_only(engine: Engine) -> None:
    with Session(engine) as session:
        line = _po_line(session)
        session.add(
            PoEvent(po_id=line.po_id, to_status="draft", actor="policy:reorder", reason="raised")
        )
        session.commit()
    for statement in ("UPDATE po_event SET reason = 'edited'", "DELETE FROM po_event"):
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(text(statement))
    with Session(engine) as session:
        assert [event.reason for event in session.exec(select(PoEvent))] == ["raised"]


def test_money_round_trips_exactly(engine: Engine) -> None:
    with Session(engine) as session:
        factories.offer(session, "Acme Ltd", "SKU-1", "1234.567891")
        session.commit()
    with Session(engine) as session:
        stored = session.exec(select(Offer)).one()
        assert stored.unit_price == Decimal("1234.567891")
        assert isinstance(stored.unit_price, Decimal)
