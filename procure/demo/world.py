"""A deterministic, seeded store: suppliers with hidden reliability, SKUs, offers, history.

Everything is relative to ``today`` so the demo always looks current. The generator only
produces plain records; :mod:`procure.demo.files` writes them as the files suppliers send.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

SUPPLIER_NAMES = [
    "Northwind Traders",
    "Contoso Supply",
    "Fabrikam Parts",
    "Tailspin Components",
    "Wingtip Wholesale",
    "Litware Industrial",
    "Proseware Goods",
    "Adatum Distribution",
    "Lucerne Manufacturing",
    "Margie's Packaging",
    "Coho Imports",
    "Fourth Coffee Equipment",
    "Alpine Ski Supply",
    "Blue Yonder Logistics",
    "Graphic Design Materials",
    "Humongous Hardware",
    "Southridge Textiles",
    "Trey Research Labs",
    "Woodgrove Metals",
    "Wide World Importers",
]
CATEGORIES = ["Kettle", "Grinder", "Filter", "Mug", "Scale", "Tamper", "Carafe", "Dripper"]


@dataclass(frozen=True)
class DemoSupplier:
    name: str
    on_time_probability: float  # hidden truth: share of lines delivered by the promise
    mean_days_late: float  # hidden truth: how late a late line is, on average
    price_factor: float
    lead_time_days: int
    file_style: str  # "xlsx-titled" (title rows, no supplier column) or "csv-vendor"


@dataclass(frozen=True)
class DemoOffer:
    supplier: str
    sku: str
    supplier_sku: str
    unit_price: Decimal
    moq: int
    order_multiple: int
    lead_time_days: int
    min_qty: int = 1


@dataclass(frozen=True)
class DemoDelivery:
    supplier: str
    po_number: str
    line_id: str
    sku: str
    ordered_qty: int
    order_date: date
    promised_date: date
    received_date: date | None
    received_qty: int | None
    status: str


@dataclass(frozen=True)
class DemoBackorder:
    order_id: str
    line_id: str
    sku: str
    qty: int
    ordered_at: date
    promised_date: date
    customer_email: str


@dataclass
class DemoWorld:
    today: date
    suppliers: list[DemoSupplier]
    skus: list[str]
    offers: list[DemoOffer]
    deliveries: list[DemoDelivery]
    on_hand: dict[str, int]
    backorders: list[DemoBackorder]
    best_sellers: list[str] = field(default_factory=list)


def _suppliers(rng: random.Random, count: int) -> list[DemoSupplier]:
    suppliers = []
    for index, name in enumerate(SUPPLIER_NAMES[:count]):
        # A spread from dependable to poor, so scoring has something to tell apart.
        on_time = round(rng.uniform(0.45, 0.98), 2)
        suppliers.append(
            DemoSupplier(
                name=name,
                on_time_probability=on_time,
                mean_days_late=round(rng.uniform(2, 12) + (1 - on_time) * 20, 1),
                price_factor=round(rng.uniform(0.9, 1.12), 3),
                lead_time_days=rng.choice([5, 7, 10, 14, 21]),
                file_style="xlsx-titled" if index % 2 == 0 else "csv-vendor",
            )
        )
    return suppliers


def _offers(rng: random.Random, suppliers: list[DemoSupplier], skus: list[str]) -> list[DemoOffer]:
    offers = []
    for sku in skus:
        base_price = Decimal(rng.randrange(300, 9000)) / 100
        chosen = rng.sample(suppliers, rng.randint(1, 4))
        for supplier in chosen:
            multiple = rng.choice([1, 1, 1, 6, 12])
            moq = multiple * rng.choice([1, 1, 2, 4])
            price = (base_price * Decimal(str(supplier.price_factor))).quantize(Decimal("0.01"))
            lead = max(2, supplier.lead_time_days + rng.randint(-2, 3))
            code = f"{supplier.name[:3].upper()}-{sku}"
            offers.append(DemoOffer(supplier.name, sku, code, price, moq, multiple, lead))
            if rng.random() < 0.15:
                # A price break for buying in volume.
                cheaper = (price * Decimal("0.92")).quantize(Decimal("0.01"))
                offers.append(
                    DemoOffer(supplier.name, sku, code, cheaper, moq, multiple, lead, 100)
                )
    return offers


def _history(
    rng: random.Random, today: date, suppliers: list[DemoSupplier], offers: list[DemoOffer]
) -> list[DemoDelivery]:
    by_supplier: dict[str, list[DemoOffer]] = {}
    for offer in offers:
        if offer.min_qty == 1:
            by_supplier.setdefault(offer.supplier, []).append(offer)
    deliveries = []
    start = today - timedelta(days=365)
    for s_index, supplier in enumerate(suppliers):
        catalogue = by_supplier.get(supplier.name, [])
        if not catalogue:
            continue
        # Some suppliers have long histories, a few very short ones (honest confidence matters).
        po_count = rng.choice([4, 10, 30, 45, 60]) if s_index % 7 else 3
        for po_index in range(po_count):
            order_date = start + timedelta(days=rng.randrange(0, 350))
            po_number = f"{supplier.name[:2].upper()}{order_date:%y%m}-{po_index + 1:03d}"
            for line_no, offer in enumerate(rng.sample(catalogue, min(len(catalogue), 3)), 1):
                qty = offer.moq * rng.randint(1, 6)
                promised = order_date + timedelta(days=offer.lead_time_days)
                received_date: date | None
                received_qty: int | None = None
                status = "received"
                if rng.random() < supplier.on_time_probability:
                    received_date = promised - timedelta(days=rng.randint(0, 3))
                else:
                    late_by = max(1, round(rng.expovariate(1 / supplier.mean_days_late)))
                    received_date = promised + timedelta(days=late_by)
                if rng.random() < 0.06:
                    received_qty = max(0, qty - rng.randint(1, max(1, qty // 2)))
                if rng.random() < 0.02:
                    status, received_date, received_qty = "cancelled_by_supplier", None, None
                elif received_date > today:
                    status, received_date, received_qty = "open", None, None
                deliveries.append(
                    DemoDelivery(
                        supplier.name,
                        po_number,
                        str(line_no),
                        offer.sku,
                        qty,
                        order_date,
                        promised,
                        received_date,
                        received_qty,
                        status,
                    )
                )
    return deliveries


def build_world(today: date, seed: int = 7, suppliers: int = 20, skus: int = 200) -> DemoWorld:
    """Build the demo store; the same seed and day always give the same world."""
    rng = random.Random(seed)
    demo_suppliers = _suppliers(rng, suppliers)
    sku_codes = [f"{CATEGORIES[i % len(CATEGORIES)][:3].upper()}-{i + 1:04d}" for i in range(skus)]
    sku_codes[41] = "0042"  # SKU codes are text: leading zeros must survive every file
    offers = _offers(rng, demo_suppliers, sku_codes)
    deliveries = _history(rng, today, demo_suppliers, offers)
    best_sellers = rng.sample(sku_codes, 40)
    on_hand = {sku: (0 if sku in best_sellers[:30] else rng.randint(0, 60)) for sku in sku_codes}
    backorders = []
    order_no = 10_000
    for sku in best_sellers:
        for _ in range(rng.randint(1, 4)):
            order_no += 1
            ordered_at = today - timedelta(days=rng.randint(0, 14))
            backorders.append(
                DemoBackorder(
                    order_id=f"SO-{order_no}",
                    line_id=f"SO-{order_no}-1",
                    sku=sku,
                    qty=rng.randint(1, 8),
                    ordered_at=ordered_at,
                    promised_date=ordered_at + timedelta(days=21),
                    customer_email=f"customer{order_no}@example.com",
                )
            )
    return DemoWorld(
        today, demo_suppliers, sku_codes, offers, deliveries, on_hand, backorders, best_sellers
    )
