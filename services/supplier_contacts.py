"""Who a supplier's POs go to (an e-mail address and/or a drop folder) and its currency."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models import Supplier
from purchasing.errors import InputRejected, UnknownRecord
from services.exchange_rates import parse_currency
from services.outbox_transports import is_email


@dataclass(frozen=True)
class Contact:
    """A supplier's PO contact as stored."""

    supplier: str
    po_email: str | None
    po_drop_folder: str | None
    currency: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "supplier": self.supplier,
            "po_email": self.po_email,
            "po_drop_folder": self.po_drop_folder,
            "currency": self.currency,
        }


def set_contact(
    session: Session,
    supplier: str,
    *,
    email: str | None = None,
    drop_folder: str | None = None,
    currency: str | None = None,
) -> Contact:
    """Set what is given; what is not given stays as it was."""
    if email is None and drop_folder is None and currency is None:
        raise InputRejected("give at least one of --email, --drop-folder, --currency")
    found = session.execute(
        select(Supplier).where(col(Supplier.name) == supplier.strip())
    ).scalar_one_or_none()
    if found is None:
        raise UnknownRecord(f"no supplier {supplier.strip()!r}")
    if email is not None:
        address = email.strip()
        if not is_email(address):
            raise InputRejected(f"--email {email!r} is not an e-mail address")
        found.po_email = address[:320]
    if drop_folder is not None:
        folder = Path(drop_folder).expanduser()
        if not folder.is_absolute():
            raise InputRejected(f"--drop-folder {drop_folder!r} must be an absolute path")
        found.po_drop_folder = str(folder)[:1000]
    if currency is not None:
        found.currency = parse_currency(currency)
    session.add(found)
    session.flush()
    return Contact(found.name, found.po_email, found.po_drop_folder, found.currency)
