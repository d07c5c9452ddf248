"""PO documents for suppliers: one xlsx and one CSV per PO version, never a live formula."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from sqlalchemy import select
from sqlmodel import Session, col

from models import Offer, PoLine, PurchaseOrder, Sku, Supplier
from purchasing.errors import UnknownRecord
from supplier_feeds.safe_cells import safe_csv_value, safe_xlsx_value

HEADER = (
    "po_number",
    "line_no",
    "sku",
    "supplier_sku",
    "qty",
    "unit_price",
    "currency",
    "line_value",
    "expected_date",
)


@dataclass(frozen=True)
class PoDocumentLine:
    line_no: int
    sku: str
    supplier_sku: str | None
    qty: int
    unit_price: Decimal
    currency: str
    expected_date: date | None

    @property
    def value(self) -> Decimal:
        return Decimal(self.qty) * self.unit_price


@dataclass(frozen=True)
class PoDocument:
    """What a supplier receives: the PO reference, its date, and the open lines."""

    po_number: str
    version: int
    supplier: str
    order_date: date
    currency: str
    lines: tuple[PoDocumentLine, ...]

    @property
    def stem(self) -> str:
        return f"{self.po_number}-v{self.version}"

    @property
    def total(self) -> Decimal:
        return sum((line.value for line in self.lines), Decimal(0))


def load_po_document(session: Session, po_number: str, version: int) -> PoDocument:
    """The document of a PO as stored now (cancelled lines left out)."""
    po = session.execute(
        select(PurchaseOrder).where(col(PurchaseOrder.po_number) == po_number)
    ).scalar_one_or_none()
    if po is None:
        raise UnknownRecord(f"no PO {po_number}")
    supplier = session.get(Supplier, po.supplier_id)
    assert supplier is not None
    rows = session.execute(
        select(PoLine, col(Sku.code), col(Offer.supplier_sku))
        .join(Sku, col(Sku.id) == col(PoLine.sku_id))
        .outerjoin(Offer, col(Offer.id) == col(PoLine.offer_id))
        .where(col(PoLine.po_id) == po.id, col(PoLine.status) != "cancelled")
        .order_by(col(PoLine.line_no))
    ).all()
    lines = tuple(
        PoDocumentLine(
            line.line_no,
            code,
            supplier_sku,
            line.qty,
            line.unit_price,
            line.currency,
            line.expected_date,
        )
        for line, code, supplier_sku in rows
    )
    return PoDocument(po.po_number, version, supplier.name, po.order_date, po.currency, lines)


def _cells(document: PoDocument, line: PoDocumentLine) -> list[object]:
    return [
        document.po_number,
        line.line_no,
        line.sku,
        line.supplier_sku,
        line.qty,
        line.unit_price,
        line.currency,
        line.value,
        line.expected_date,
    ]


def write_po_documents(document: PoDocument, directory: Path) -> list[Path]:
    """Write ``<PO>-v<version>.xlsx`` and ``.csv`` under ``directory`` (replacing, atomically)."""
    directory.mkdir(parents=True, exist_ok=True)
    xlsx_path = directory / f"{document.stem}.xlsx"
    csv_path = directory / f"{document.stem}.csv"

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Purchase order"
    sheet.append([safe_xlsx_value(v) for v in ("Purchase order", document.po_number)])
    sheet.append([safe_xlsx_value(v) for v in ("Supplier", document.supplier)])
    sheet.append([safe_xlsx_value(v) for v in ("Order date", document.order_date)])
    sheet.append([safe_xlsx_value(v) for v in ("Total", document.total, document.currency)])
    sheet.append([])
    sheet.append(list(HEADER))
    for line in document.lines:
        sheet.append([safe_xlsx_value(value) for value in _cells(document, line)])
    _atomic(xlsx_path, lambda handle: workbook.save(handle))

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for line in document.lines:
        writer.writerow([safe_csv_value(value) for value in _cells(document, line)])
    payload = buffer.getvalue().encode("utf-8")
    _atomic(csv_path, lambda handle: handle.write(payload))
    return [xlsx_path, csv_path]


def _atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write to a temporary file beside ``path`` and move it into place: never half a document."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
