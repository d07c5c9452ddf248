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


def stock(session: Session, sku_code: str, on_hand: int) -> None:
    """Our own stock of a SKU."""
    from models import StockOnHand

    item = sku(session, sku_code)
    found = session.get(StockOnHand, key(item))
    if found is None:
        session.add(StockOnHand(sku_id=key(item), on_hand=on_hand))
    else:
        found.on_hand = on_hand
        session.add(found)
    session.flush()


def exchange_rate(session: Session, currency: str, rate: str, valid_from: date) -> None:
    from models import ExchangeRate

    session.add(ExchangeRate(currency=currency, rate_to_base=Decimal(rate), valid_from=valid_from))
    session.flush()


def manual_standing(
    session: Session,
    supplier_name: str,
    standing: str,
    set_on: date,
    *,
    reason: str = "buyer's decision",
    until: date | None = None,
) -> None:
    from models import StandingOverride

    party = supplier(session, supplier_name)
    session.add(
        StandingOverride(
            supplier_id=key(party),
            standing=standing,
            reason=reason,
            set_by="buyer",
            set_on=set_on,
            until=until,
        )
    )
    session.flush()


def delivery_history(
    session: Session,
    supplier_name: str,
    sku_code: str,
    *,
    on_time: int,
    late: int,
    days_late: int = 14,
    due: date = date(2026, 6, 1),
) -> None:
    """``on_time`` received lines on their promise and ``late`` ones ``days_late`` after it."""
    from datetime import timedelta

    from models import DeliveryLine

    party = supplier(session, supplier_name)
    item = sku(session, sku_code)
    for number in range(on_time + late):
        promised = due + timedelta(days=number % 28)
        received = promised if number < on_time else promised + timedelta(days=days_late)
        session.add(
            DeliveryLine(
                supplier_id=key(party),
                po_number=f"H-{supplier_name}-{sku_code}",
                line_key=str(number + 1),
                sku_id=key(item),
                ordered_qty=10,
                order_date=promised - timedelta(days=10),
                original_promised_date=promised,
                promised_date=promised,
                received_date=received,
                received_qty=10,
                status="received",
            )
        )
    session.flush()


def catalog(
    session: Session,
    supplier_name: str,
    rows: list[dict[str, Any]],
    *,
    effective_from: date | None = None,
) -> list[Offer]:
    """One price list from a supplier holding several offer rows (SKUs or price breaks).

    Each row names ``sku`` and ``unit_price``; other Offer fields are optional.
    """
    party = supplier(session, supplier_name)
    price_list = PriceList(
        supplier_id=key(party),
        file_id=key(ingested_file(session)),
        effective_from=effective_from,
    )
    session.add(price_list)
    session.flush()
    offers = []
    for row in rows:
        fields = dict(row)
        item = sku(session, str(fields.pop("sku")))
        fields.setdefault("lead_time_days", 7)
        offers.append(
            Offer(
                price_list_id=key(price_list),
                supplier_id=key(party),
                sku_id=key(item),
                unit_price=Decimal(str(fields.pop("unit_price"))),
                **fields,
            )
        )
    session.add_all(offers)
    session.flush()
    return offers
