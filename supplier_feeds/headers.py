"""Finding the header: which sheet, which row, and which file column is which canonical column."""

from __future__ import annotations

import re
from dataclasses import dataclass

from purchasing.errors import CellError, FileRejected
from supplier_feeds.columns import ColumnSpec, columns_of
from supplier_feeds.profiles import Profile
from supplier_feeds.raw import CellValue, RawSheet

# Title rows above the header are common; headers further down than this are not looked for.
HEADER_SEARCH_ROWS = 30

_COMMON: dict[str, tuple[str, ...]] = {
    "supplier": ("Vendor", "Supplier", "Vendor Name", "Supplier Name"),
    "sku": ("Item", "Article", "SKU", "Part Number", "Item Code", "Item No", "Product Code"),
    "supplier_sku": ("Supplier SKU", "Vendor SKU", "Supplier Item", "Vendor Part Number"),
    "po_number": ("PO", "PO Number", "PO #", "PO No", "Order Ref", "Purchase Order"),
    "line_id": ("Line", "Line No", "Line #", "Line Number"),
    "promised_date": ("Due Date", "Promised Date", "Scheduled Delivery Date", "Promise Date"),
    "received_date": (
        "Received",
        "Received Date",
        "Delivered",
        "Delivery Date",
        "Arrival Date",
    ),
    "received_qty": ("Received Qty", "Received Quantity", "Qty Received"),
    "order_date": ("Order Date", "PO Date"),
    "unit_price": ("Price", "Unit Price", "Cost", "Unit Cost"),
    "currency": ("Currency", "Curr", "CCY"),
    "moq": ("MOQ", "Min Order Qty", "Minimum Order Quantity"),
    "order_multiple": ("Order Multiple", "Pack Size", "Multiple"),
    "lead_time_days": ("Lead Time", "Lead Time (days)", "Lead Time Days", "LT"),
    "min_qty": ("Min Qty", "Break Qty", "Price Break"),
    "freight_per_unit": ("Freight", "Freight per Unit", "Freight/Unit", "Shipping per Unit"),
    "duty_per_unit": ("Duty", "Duty per Unit", "Duty/Unit", "Customs per Unit"),
    "valid_from": ("Valid From", "Effective Date", "Effective From"),
    "valid_to": ("Valid To", "Valid Until", "Expiry Date"),
    "confirmed_qty": ("Confirmed Qty", "Confirmed Quantity", "Qty Confirmed"),
    "confirmed_date": ("Confirmed Date", "Confirmed Delivery Date", "Ship Date", "ETA"),
    "available_qty": ("Available", "Available Qty", "Stock", "Qty Available", "Free Stock"),
    "next_available_date": ("Next Available", "Next Available Date", "Restock Date"),
    "order_id": ("Order", "Order ID", "Order Number", "Order No"),
    "ordered_at": ("Ordered At", "Order Date", "Ordered"),
    "customer_email": ("Customer Email", "Email"),
    "status": ("Status",),
    "on_hand": ("On Hand", "Qty On Hand", "Stock On Hand", "Quantity On Hand"),
}

# Synonyms whose meaning depends on the kind of file.
_BY_KIND: dict[str, dict[str, tuple[str, ...]]] = {
    "deliveries": {"ordered_qty": ("Qty", "Quantity", "Ordered Qty", "Order Qty")},
    "backorders": {"qty": ("Qty", "Quantity", "Ordered Qty")},
    "inventory": {"on_hand": ("Qty", "Quantity")},
    "stock": {"available_qty": ("Qty", "Quantity")},
    "confirmations": {"confirmed_qty": ("Qty", "Quantity")},
}


def normalise(header: str) -> str:
    """A header reduced to lowercase letters and digits: 'PO #' and 'po' compare equal."""
    return re.sub(r"[^0-9a-z]", "", header.casefold())


def synonyms(kind: str) -> dict[str, str]:
    """Normalised header → canonical column, for the columns of one kind."""
    names = {spec.name for spec in columns_of(kind)}
    table: dict[str, str] = {}
    for source in (_BY_KIND.get(kind, {}), _COMMON):
        for canonical, words in source.items():
            if canonical in names:
                for word in words:
                    table.setdefault(normalise(word), canonical)
    for canonical in names:
        table.setdefault(normalise(canonical), canonical)
    return table


@dataclass(frozen=True)
class Layout:
    """Where the data of a file is: the sheet, its header row, and each canonical column."""

    sheet: RawSheet
    header_row: int  # 1-based, as the buyer sees it
    positions: dict[str, int]  # canonical column → 0-based index in the row
    headers: dict[str, str]  # canonical column → header text as written in the file
    constant_supplier: str | None = None

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1


@dataclass(frozen=True)
class _Candidate:
    sheet: RawSheet
    header_row: int
    positions: dict[str, int]
    headers: dict[str, str]
    problems: list[CellError]


def find_layout(sheets: list[RawSheet], profile: Profile) -> Layout:
    """Choose the sheet and header row that describe the kind; reject the file if none does."""
    if not sheets:
        raise FileRejected("the file holds no sheet", [CellError("", None, None, None, "no sheet")])
    if profile.sheet is not None:
        chosen = [sheet for sheet in sheets if sheet.name == profile.sheet]
        if not chosen:
            names = ", ".join(repr(sheet.name) for sheet in sheets)
            message = f"sheet '{profile.sheet}' named by the profile is not in the file ({names})"
            raise FileRejected(message, [CellError(profile.sheet, None, None, None, message)])
        sheets = chosen

    best: _Candidate | None = None
    for sheet in sheets:
        for candidate in _candidates(sheet, profile):
            if not candidate.problems:
                return _layout(candidate, profile)
            if best is None or _score(candidate) > _score(best):
                best = candidate
    assert best is not None
    raise FileRejected(
        f"no header row with the {profile.kind} columns: {best.problems[0].message}",
        best.problems,
    )


def _score(candidate: _Candidate) -> tuple[int, int]:
    return (len(candidate.positions), -len(candidate.problems))


def _layout(candidate: _Candidate, profile: Profile) -> Layout:
    return Layout(
        sheet=candidate.sheet,
        header_row=candidate.header_row,
        positions=candidate.positions,
        headers=candidate.headers,
        constant_supplier=profile.supplier,
    )


def _candidates(sheet: RawSheet, profile: Profile) -> list[_Candidate]:
    if profile.header_row is not None:
        numbers = [profile.header_row]
    else:
        numbers = list(range(1, min(len(sheet.rows), HEADER_SEARCH_ROWS) + 1))
    found = []
    for number in numbers:
        row = sheet.rows[number - 1] if number <= len(sheet.rows) else []
        candidate = _match_row(sheet, number, row, profile)
        found.append(candidate)
        if not candidate.problems:
            break
    if not found:
        message = "the sheet is empty"
        found.append(_Candidate(sheet, 1, {}, {}, [CellError(sheet.name, 1, None, None, message)]))
    return found


def _header_text(value: CellValue) -> str | None:
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else str(value)
    return text or None


def _match_row(sheet: RawSheet, number: int, row: list[CellValue], profile: Profile) -> _Candidate:
    specs = columns_of(profile.kind)
    by_header: dict[str, list[int]] = {}
    for index, value in enumerate(row):
        text = _header_text(value)
        if text is not None:
            by_header.setdefault(normalise(text), []).append(index)

    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    problems: list[CellError] = []
    claimed: set[int] = set()

    # The profile's mapping comes first; synonyms only fill the columns it leaves out.
    for canonical, header in profile.columns.items():
        indexes = by_header.get(normalise(header), [])
        if len(indexes) == 1:
            positions[canonical] = indexes[0]
            claimed.add(indexes[0])
        elif len(indexes) > 1:
            problems.append(_ambiguous(sheet, number, header, canonical))
        elif _required(canonical, specs, profile):
            message = f"column '{header}' (the profile's {canonical}) is not in the header"
            problems.append(CellError(sheet.name, number, header, None, message))

    table = synonyms(profile.kind)
    matches: dict[str, list[int]] = {}
    for key, indexes in by_header.items():
        meaning = table.get(key)
        if meaning is None or meaning in profile.columns:
            continue
        matches.setdefault(meaning, []).extend(i for i in indexes if i not in claimed)
    for canonical, indexes in matches.items():
        if len(indexes) == 1:
            positions[canonical] = indexes[0]
        elif len(indexes) > 1:
            texts = " / ".join(str(_header_text(row[i])) for i in indexes)
            problems.append(_ambiguous(sheet, number, texts, canonical))

    for canonical, index in positions.items():
        headers[canonical] = _header_text(row[index]) or canonical
    for spec in specs:
        if spec.name in positions or spec.name in profile.columns:
            continue
        if _required(spec.name, specs, profile):
            message = f"required column '{spec.name}' is missing"
            if spec.name == "supplier":
                message += " (or name the supplier with --supplier or in a profile)"
            problems.append(CellError(sheet.name, number, spec.name, None, message))
    if profile.kind == "stock" and "sku" not in positions and "supplier_sku" not in positions:
        message = "required column 'sku' or 'supplier_sku' is missing"
        problems.append(CellError(sheet.name, number, "sku", None, message))
    return _Candidate(sheet, number, positions, headers, problems)


def _required(canonical: str, specs: tuple[ColumnSpec, ...], profile: Profile) -> bool:
    if canonical == "supplier" and profile.supplier is not None:
        return False
    return any(spec.name == canonical and spec.required for spec in specs)


def _ambiguous(sheet: RawSheet, number: int, header: str, canonical: str) -> CellError:
    message = (
        f"more than one column could be {canonical} ({header}); "
        f"name the one to use in a profile's [columns]"
    )
    return CellError(sheet.name, number, header, None, message)
