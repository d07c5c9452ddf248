"""What suppliers send back once procure's POs are out: a delivery note and a late confirmation."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

SLIP_DAYS = 90


def _open_lines(pos: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [
        (po, line)
        for po in pos
        if po["status"] in ("sent", "confirmed")
        for line in po["lines"]
        if line["status"] in ("sent", "confirmed")
    ]


def slipping_supplier(pos: list[dict[str, Any]]) -> str | None:
    """The supplier with the most lines out: the one whose slip hurts most customers."""
    counts = Counter(po["supplier"] for po, _ in _open_lines(pos))
    return counts.most_common(1)[0][0] if counts else None


def write_delivery_note(
    pos: list[dict[str, Any]], folder: Path, today: date, *, skip: str | None
) -> Path | None:
    """Receipts against two sent POs of other suppliers: the first line partly, the rest in full."""
    chosen = [po for po in pos if po["status"] == "sent" and po["supplier"] != skip][:2]
    if not chosen:
        return None
    path = folder / "delivery-note.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Supplier",
                "PO Number",
                "Line No",
                "SKU",
                "Ordered Qty",
                "Promised Date",
                "Received Date",
                "received_qty",
            ]
        )
        for po in chosen:
            for index, line in enumerate(po["lines"]):
                qty = int(line["qty"])
                received = max(1, qty // 2) if index == 0 and qty > 1 else qty
                promised = line["expected_date"] or today.isoformat()
                writer.writerow(
                    [
                        po["supplier"],
                        po["po_number"],
                        line["line_no"],
                        line["sku"],
                        qty,
                        promised,
                        today.isoformat(),
                        received,
                    ]
                )
    return path


def write_late_confirmation(
    pos: list[dict[str, Any]], supplier: str, folder: Path, today: date
) -> Path | None:
    """The slipping supplier confirms every open line, each 90 days later than expected."""
    lines = [(po, line) for po, line in _open_lines(pos) if po["supplier"] == supplier]
    if not lines:
        return None
    path = folder / "order-confirmation.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["supplier", "po_number", "sku", "confirmed_qty", "confirmed_date"])
        for po, line in lines:
            expected = date.fromisoformat(line["expected_date"]) if line["expected_date"] else today
            writer.writerow(
                [
                    supplier,
                    po["po_number"],
                    line["sku"],
                    line["qty"],
                    (expected + timedelta(days=SLIP_DAYS)).isoformat(),
                ]
            )
    return path
