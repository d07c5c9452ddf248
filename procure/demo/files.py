"""Write the demo world as the files suppliers and the store really send.

Layouts differ on purpose: title rows above the header, supplier-specific column names,
day-first text dates, real date cells — all things ingestion must take without a template.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from procure.demo.world import DemoDelivery, DemoOffer, DemoWorld


@dataclass(frozen=True)
class DemoFile:
    """One file of the demo world and how a buyer would ingest it."""

    path: Path
    kind: str
    supplier: str | None = None


def _slug(name: str) -> str:
    return "".join(ch.lower() if ch.isalnum() else "-" for ch in name).strip("-")


def _price_list_xlsx(path: Path, supplier: str, offers: list[DemoOffer]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Price List"
    sheet.append([f"{supplier} — price list"])
    sheet.append(["Prices in USD, valid until further notice"])
    sheet.append([])
    sheet.append(
        [
            "Item Code",
            "Supplier SKU",
            "Unit Price",
            "MOQ",
            "Order Multiple",
            "Lead Time (days)",
            "Min Qty",
        ]
    )
    for offer in offers:
        sheet.append(
            [
                offer.sku,
                offer.supplier_sku,
                float(offer.unit_price),
                offer.moq,
                offer.order_multiple,
                offer.lead_time_days,
                offer.min_qty,
            ]
        )
    workbook.save(path)


def _price_list_csv(path: Path, supplier: str, offers: list[DemoOffer]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Vendor",
                "SKU",
                "Supplier SKU",
                "Price",
                "Min Order Qty",
                "Order Multiple",
                "Lead Time",
                "Min Qty",
            ]
        )
        for offer in offers:
            writer.writerow(
                [
                    supplier,
                    offer.sku,
                    offer.supplier_sku,
                    f"{offer.unit_price:.2f}",
                    offer.moq,
                    offer.order_multiple,
                    offer.lead_time_days,
                    offer.min_qty,
                ]
            )


def _history_xlsx(path: Path, lines: list[DemoDelivery]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Receipts"
    sheet.append(
        [
            "Vendor",
            "PO Number",
            "Line No",
            "Item",
            "Ordered Qty",
            "Order Date",
            "Promised Date",
            "Received Date",
            "Received Qty",
            "Status",
        ]
    )
    for line in lines:
        sheet.append(
            [
                line.supplier,
                line.po_number,
                line.line_id,
                line.sku,
                line.ordered_qty,
                line.order_date,
                line.promised_date,
                line.received_date,
                line.received_qty,
                line.status,
            ]
        )
    workbook.save(path)


def _history_csv(path: Path, lines: list[DemoDelivery]) -> None:
    # An older ERP export: day-first text dates (unambiguous within the column).
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Supplier",
                "PO #",
                "Line #",
                "Part Number",
                "Qty",
                "order_date",
                "Due Date",
                "Delivered",
                "received_qty",
                "status",
            ]
        )
        for line in lines:
            writer.writerow(
                [
                    line.supplier,
                    line.po_number,
                    line.line_id,
                    line.sku,
                    line.ordered_qty,
                    f"{line.order_date:%d/%m/%Y}",
                    f"{line.promised_date:%d/%m/%Y}",
                    f"{line.received_date:%d/%m/%Y}" if line.received_date else "",
                    "" if line.received_qty is None else line.received_qty,
                    line.status,
                ]
            )


def write_world(world: DemoWorld, folder: Path) -> list[DemoFile]:
    """Write every file of the world into ``folder``; return them in the order to ingest."""
    folder.mkdir(parents=True, exist_ok=True)
    files: list[DemoFile] = []
    offers_by_supplier: dict[str, list[DemoOffer]] = defaultdict(list)
    for offer in world.offers:
        offers_by_supplier[offer.supplier].append(offer)
    for supplier in world.suppliers:
        offers = offers_by_supplier.get(supplier.name)
        if not offers:
            continue
        if supplier.file_style == "xlsx-titled":
            path = folder / f"price-list-{_slug(supplier.name)}.xlsx"
            _price_list_xlsx(path, supplier.name, offers)
            files.append(DemoFile(path, "catalog", supplier.name))
        else:
            path = folder / f"price-list-{_slug(supplier.name)}.csv"
            _price_list_csv(path, supplier.name, offers)
            files.append(DemoFile(path, "catalog"))

    half = len(world.suppliers) // 2
    first = {s.name for s in world.suppliers[:half]}
    history_xlsx = folder / "delivery-history-a.xlsx"
    _history_xlsx(history_xlsx, [d for d in world.deliveries if d.supplier in first])
    history_csv = folder / "delivery-history-b.csv"
    _history_csv(history_csv, [d for d in world.deliveries if d.supplier not in first])
    files += [DemoFile(history_xlsx, "deliveries"), DemoFile(history_csv, "deliveries")]

    inventory = folder / "inventory.csv"
    with inventory.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "on_hand"])
        for sku, on_hand in world.on_hand.items():
            writer.writerow([sku, on_hand])
    files.append(DemoFile(inventory, "inventory"))

    backorders = folder / "backorders.csv"
    with backorders.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["order_id", "line_id", "SKU", "Qty", "ordered_at", "promised_date", "customer_email"]
        )
        for line in world.backorders:
            writer.writerow(
                [
                    line.order_id,
                    line.line_id,
                    line.sku,
                    line.qty,
                    line.ordered_at.isoformat(),
                    line.promised_date.isoformat(),
                    line.customer_email,
                ]
            )
    files.append(DemoFile(backorders, "backorders"))
    return files
