"""Small builders for the system of record, so tests read as business situations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from models import BackorderLine, Offer, PriceList, Sku, Supplier
from models.operations import IngestedFile
from models.types import key


def supplier(session: Session, name: str, **fields: Any) -> Supplier:
    found = session.exec(select(Supplier).where(Supplier.name == name)).first()
    if found:
        return found
    row = Supplier(name=name, **fields)
    session.add(row)
    session.flush()
    return row


def sku(session: Session, code: str, **fields: Any) -> Sku:
    found = session.exec(select(Sku).where(Sku.code == code)).first()
    if found:
        return found
    row = Sku(code=code, **fields)
    session.add(row)
    session.flush()
    return row


def ingested_file(session: Session, kind: str = "catalog", sha: str | None = None) -> IngestedFile:
    row = IngestedFile(
        sha256=sha or f"{kind}-{id(session)}-{session.exec(select(IngestedFile)).all().__len__()}",
        kind=kind,
        filename=f"{kind}.csv",
        status="accepted",
    )
    session.add(row)
    session.flush()
    return row


def offer(
    session: Session,
    supplier_name: str,
    sku_code: str,
    unit_price: str | Decimal = "10",
    *,
    lead_time_days: int = 7,
    moq: int = 1,
    order_multiple: int = 1,
    **fields: Any,
) -> Offer:
    party = supplier(session, supplier_name)
    item = sku(session, sku_code)
    price_list = PriceList(supplier_id=key(party), file_id=key(ingested_file(session)))
    session.add(price_list)
    session.flush()
    row = Offer(
        price_list_id=key(price_list),
        supplier_id=key(party),
        sku_id=key(item),
        unit_price=Decimal(unit_price),
        lead_time_days=lead_time_days,
        moq=moq,
        order_multiple=order_multiple,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def backorder(
    session: Session,
    order_id: str,
    sku_code: str,
    qty: int,
    ordered_at: date,
    *,
    line_id: str | None = None,
    **fields: Any,
) -> BackorderLine:
    item = sku(session, sku_code)
    row = BackorderLine(
        order_id=order_id,
        line_id=line_id or f"{order_id}-1",
        sku_id=key(item),
        qty=qty,
        ordered_at=ordered_at,
        **fields,
    )
    session.add(row)
    session.flush()
    return row
