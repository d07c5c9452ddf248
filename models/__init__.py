"""procure's system of record: SQLModel tables, the engine and migrations."""

from models.catalog import (
    ExchangeRate,
    InventoryAdjustment,
    Offer,
    PriceList,
    StockOnHand,
    SupplierStock,
)
from models.history import DeliveryLine, PromiseChange, ScoreSnapshot, Slip
from models.operations import IngestedFile, OutboxMessage, RunLock, Upload
from models.orders import (
    BackorderEta,
    BackorderLine,
    PoEvent,
    PoLine,
    PoLineCoverage,
    PurchaseOrder,
)
from models.parties import Sku, SkuRule, StandingChange, StandingOverride, Supplier

__all__ = [
    "BackorderEta",
    "BackorderLine",
    "DeliveryLine",
    "ExchangeRate",
    "IngestedFile",
    "InventoryAdjustment",
    "Offer",
    "OutboxMessage",
    "PoEvent",
    "PoLine",
    "PoLineCoverage",
    "PriceList",
    "PromiseChange",
    "PurchaseOrder",
    "RunLock",
    "ScoreSnapshot",
    "Sku",
    "SkuRule",
    "Slip",
    "StandingChange",
    "StandingOverride",
    "StockOnHand",
    "Supplier",
    "SupplierStock",
    "Upload",
]
