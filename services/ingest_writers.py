"""Writing a checked supplier file into the system of record, one kind at a time.

Every writer runs inside the caller's transaction and uses bulk statements (one round trip
per batch, not per row). A writer that finds a row it cannot accept (an unknown PO, a SKU
not on the PO) returns the cell errors and the caller rolls the whole file back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, CursorResult, Table, bindparam, select, tuple_
from sqlmodel import SQLModel

import models  # noqa: F401  # registers every table on SQLModel.metadata
from models.types import utcnow
from purchasing.errors import CellError
from services.po_release import format_po_number
from services.receiving import OwnPoLines, key_rows_by_po_line, receive_in_ingest
from supplier_feeds.headers import Layout
from supplier_feeds.validation import ROW, each_distinct

_PO_DIGITS = re.compile(r"^PO-(\d{1,18})$")
# The numbers format_po_number can produce: six digits, or more without a leading zero.
OWN_PO_PATTERN = r"PO-(?:\d{6}|[1-9]\d{6,17})"
_OWN_PO = re.compile(OWN_PO_PATTERN)
ACTOR = "ingest"
BATCH = 5_000  # rows per bulk statement: bounded memory and regular progress reports

Progress = Callable[[int], None]


def table(name: str) -> Table:
    """A table of the system of record by name."""
    return SQLModel.metadata.tables[name]


@dataclass
class WriteContext:
    """What every writer needs: the connection, the file, the business date, the layout."""

    conn: Connection
    file_id: int
    filename: str
    as_of: date
    layout: Layout
    progress: Progress = lambda _rows: None  # a no-op default keeps callers simple
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)

    def count(self, name: str, amount: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + amount

    def reject(self, row: int, column: str, value: object, message: str) -> None:
        header = self.layout.headers.get(column, column)
        shown = None if value is None else str(value)
        self.errors.append(CellError(self.layout.sheet.name, row, header, shown, message))


# Shared helpers -------------------------------------------------------------------------


def column_values(series: pd.Series) -> list[Any]:
    """A column as plain Python values (int, str, date, Decimal) with None for missing."""
    if series.dtype == object:
        # Straight from the array: going through a Series copy and its iterator costs more
        # than the rest of the conversion.
        cells = series.to_numpy(dtype=object, copy=True)
        cells[pd.isna(cells)] = None
        texts: list[Any] = cells.tolist()
        return texts
    # Typed columns (dates, whole numbers) hold few distinct values: each is converted once,
    # and the missing ones (code -1) pick the None appended at the end.
    codes, uniques = pd.factorize(series)
    if pd.api.types.is_datetime64_any_dtype(series):
        distinct = list(pd.DatetimeIndex(uniques).date)
    else:
        distinct = pd.Series(uniques, dtype=object).tolist()
    values: list[Any] = np.fromiter([*distinct, None], dtype=object)[codes].tolist()
    return values


def records(columns: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Column lists zipped into the row dictionaries a bulk statement takes."""
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def chunks(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ids_by_value(
    conn: Connection, target: Table, column: str, values: Iterable[str]
) -> dict[str, int]:
    """Map existing values of a unique text column to their row ids."""
    wanted = sorted(set(values))
    found: dict[str, int] = {}
    mark = _placeholder(conn)
    for batch in chunks(wanted):
        # Plain SQL: compiling an IN list of thousands of bound names costs more than the query.
        marks = ", ".join([mark] * len(batch))
        query = f"SELECT {column}, id FROM {target.name} WHERE {column} IN ({marks})"
        for name, row_id in conn.exec_driver_sql(query, tuple(batch)):
            found[name] = row_id
    return found


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def ensure_named(
    ctx: WriteContext, target: str, column: str, values: Iterable[str]
) -> dict[str, int]:
    """Ids for every name, creating the missing ones (suppliers and SKUs named by a file)."""
    wanted = set(pd.unique(values)) if isinstance(values, pd.Series) else set(values)
    known = ids_by_value(ctx.conn, table(target), column, wanted)
    missing = sorted(wanted - set(known))
    if missing:
        insert_columns(ctx, target, {column: missing}, ignore_conflicts=True, progress=False)
        known.update(ids_by_value(ctx.conn, table(target), column, missing))
        ctx.count(f"{target}s_created", len(missing))
    return known


def bulk_insert(ctx: WriteContext, target: str, rows: list[dict[str, Any]]) -> None:
    """Insert many rows (dicts with the same keys) in batches, reporting progress."""
    if rows:
        insert_columns(ctx, target, {name: [row[name] for row in rows] for name in rows[0]})


def insert_columns(
    ctx: WriteContext,
    target: str,
    columns: Mapping[str, Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    progress: bool = True,
) -> None:
    """Insert rows given column by column, through the driver's own executemany.

    Values go through each column type's bind processor once per distinct value (dates,
    amounts and timestamps repeat a lot), instead of once per cell as a Core insert would:
    this is most of the cost of writing a large file.
    """
    model = table(target)
    dialect = ctx.conn.dialect
    count = len(next(iter(columns.values()), []))
    columns = {**_defaults(model, set(columns), count), **columns}
    converted: list[Sequence[Any]] = []
    for name, values in columns.items():
        processor = _driver_form(model.c[name].type, dialect)
        if processor is None:
            converted.append(values)
            continue
        cache = {value: processor(value) for value in set(values) if value is not None}
        converted.append(list(map(cache.get, values)))
    mark = _placeholder(ctx.conn)
    names = ", ".join(columns)
    marks = ", ".join([mark] * len(columns))
    statement = f"INSERT INTO {model.name} ({names}) VALUES ({marks})"
    if ignore_conflicts:
        # Both SQLite and PostgreSQL: a row a concurrent writer already added is skipped.
        statement += " ON CONFLICT DO NOTHING"
    # Rows are zipped one batch at a time: a million-row file never holds all its tuples.
    for start in range(0, count, BATCH):
        batch = list(zip(*(values[start : start + BATCH] for values in converted), strict=True))
        ctx.conn.exec_driver_sql(statement, batch)
        if progress:
            ctx.progress(len(batch))


def _driver_form(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """How a value of this column type is handed to the driver (None: as it is)."""
    processor: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(
        dialect
    )
    return processor


def _defaults(model: Table, given: set[str], count: int) -> dict[str, list[Any]]:
    """The model's Python-side defaults for the columns not given (raw SQL does not apply them)."""
    filled: dict[str, list[Any]] = {}
    for column in model.columns:
        default = column.default
        if column.name in given or column.primary_key or default is None:
            continue
        if default.is_scalar:
            value = default.arg  # type: ignore[attr-defined]
        elif default.is_callable:
            value = default.arg(None)  # type: ignore[attr-defined]
        else:
            continue
        filled[column.name] = [value] * count
    return filled


def bulk_update(ctx: WriteContext, target: str, rows: list[dict[str, Any]]) -> None:
    """Update rows by id (``row_id`` in each dict) in batches."""
    if not rows:
        return
    model = table(target)
    columns = [name for name in rows[0] if name != "row_id"]
    statement = (
        model.update()
        .where(model.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )
    for batch in chunks(rows):
        params = [
            {"row_id": row["row_id"], **{f"new_{name}": row[name] for name in columns}}
            for row in batch
        ]
        ctx.conn.execute(statement, params)
        ctx.progress(len(batch))


def looks_like_ours(po_number: str) -> bool:
    """Whether procure could have issued this number (``PO-000123``, exactly as it formats them).

    Suppliers' own references (``PO-0000001``, ``PO-12``) do not round-trip and stay theirs.
    """
    match = _PO_DIGITS.match(po_number)
    return match is not None and format_po_number(int(match.group(1))) == po_number


def new_id(result: CursorResult[Any]) -> int:
    """The primary key of the row a single INSERT just wrote."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _map(values: list[Any], lookup: dict[Any, int]) -> list[int | None]:
    return [lookup.get(value) for value in values]


def ids_for(series: pd.Series, lookup: Mapping[Any, int]) -> list[int | None]:
    """The id of every cell's value (None where missing), looked up once per distinct value."""
    ids: list[int | None] = each_distinct(series, lookup.get)[0].tolist()
    return ids


# Catalog --------------------------------------------------------------------------------


def write_catalog(ctx: WriteContext, frame: pd.DataFrame) -> None:
    """A new price list per supplier; older lists stay as history and are superseded."""
    suppliers = ensure_named(ctx, "supplier", "name", frame["supplier"])
    skus = ensure_named(ctx, "sku", "code", frame["sku"])
    price_lists: dict[str, int] = {}
    now = utcnow()
    for name, offers_of_supplier in frame.groupby("supplier", sort=True):
        starts = offers_of_supplier["valid_from"].dropna()
        effective = starts.min().date() if len(starts) else None
        result = ctx.conn.execute(
            table("price_list")
            .insert()
            .values(
                supplier_id=suppliers[str(name)],
                file_id=ctx.file_id,
                effective_from=effective,
                created_at=now,
            )
        )
        price_lists[str(name)] = new_id(result)
    ctx.count("price_lists", len(price_lists))

    supplier_names = column_values(frame["supplier"])
    rows = records(
        {
            "price_list_id": _map(supplier_names, price_lists),
            "supplier_id": _map(supplier_names, suppliers),
            "sku_id": ids_for(frame["sku"], skus),
            "supplier_sku": column_values(frame["supplier_sku"]),
            "unit_price": column_values(frame["unit_price"]),
            "currency": column_values(frame["currency"]),
            "moq": column_values(frame["moq"]),
            "order_multiple": column_values(frame["order_multiple"]),
            "min_qty": column_values(frame["min_qty"]),
            "lead_time_days": column_values(frame["lead_time_days"]),
            "freight_per_unit": column_values(frame["freight_per_unit"]),
            "duty_per_unit": column_values(frame["duty_per_unit"]),
            "valid_from": column_values(frame["valid_from"]),
            "valid_to": column_values(frame["valid_to"]),
        }
    )
    bulk_insert(ctx, "offer", rows)
    ctx.count("offers", len(rows))


# Deliveries -----------------------------------------------------------------------------


def write_deliveries(ctx: WriteContext, frame: pd.DataFrame) -> None:
    """Upsert on (supplier, PO, line or SKU); re-promises go to the ledger; our POs get receipts."""
    receipts = _own_po_receipts(ctx, frame)
    if ctx.errors:
        return
    # Rows for our PO lines update the history line each PO line got when it was sent.
    frame = key_rows_by_po_line(ctx.conn, frame, receipts, ROW)
    suppliers = ensure_named(ctx, "supplier", "name", frame["supplier"])
    skus = ensure_named(ctx, "sku", "code", frame["sku"])
    existing = _existing_deliveries(ctx.conn, set(suppliers.values()))

    now = utcnow()
    count = len(frame)
    supplier_ids = ids_for(frame["supplier"], suppliers)
    po_numbers: list[str] = frame["po_number"].tolist()
    line_keys: list[str] = frame["line_key"].tolist()
    fields: dict[str, list[Any]] = {
        "sku_id": ids_for(frame["sku"], skus),
        "po_line_id": [receipts.get(row) for row in frame[ROW].tolist()]
        if receipts
        else [None] * count,
        "ordered_qty": column_values(frame["ordered_qty"]),
        "order_date": column_values(frame["order_date"]),
        "promised_date": column_values(frame["promised_date"]),
        "received_date": column_values(frame["received_date"]),
        "received_qty": column_values(frame["received_qty"]),
        "status": column_values(frame["status"]),
        "file_id": [ctx.file_id] * count,
        "updated_at": [now] * count,
    }
    updates: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    # A first file from these suppliers (the usual bulk load) has nothing to match against.
    new_positions: list[int] = [] if existing else list(range(count))
    keys = zip(supplier_ids, po_numbers, line_keys, strict=True) if existing else ()
    for position, key in enumerate(keys):
        found = existing.get(key)
        if found is None:
            new_positions.append(position)
            continue
        row_id, previous = found
        row = {name: values[position] for name, values in fields.items()}
        updates.append({"row_id": row_id, **row})
        if row["promised_date"] != previous:
            changes.append(
                {
                    "delivery_line_id": row_id,
                    "po_line_id": fields["po_line_id"][position],
                    "promised_date": row["promised_date"],
                    "previous_date": previous,
                    "source": "deliveries",
                    "file_id": ctx.file_id,
                    "created_at": now,
                }
            )
    new_lines: dict[str, list[Any]] = {
        "supplier_id": supplier_ids,
        "po_number": po_numbers,
        "line_key": line_keys,
        "original_promised_date": fields["promised_date"],
        **fields,
    }
    inserted = len(new_positions)
    if inserted < count:
        new_lines = {name: [values[i] for i in new_positions] for name, values in new_lines.items()}
    insert_columns(ctx, "delivery_line", new_lines)
    bulk_update(ctx, "delivery_line", updates)
    bulk_insert(ctx, "promise_change", changes)
    ctx.count("inserted", inserted)
    ctx.count("updated", len(updates))
    ctx.count("promise_changes", len(changes))
    if receipts:
        received = receive_in_ingest(
            ctx.conn, frame, receipts, row_column=ROW, file_id=ctx.file_id, filename=ctx.filename
        )
        for name, amount in received.items():
            ctx.count(name, amount)


DeliveryKey = tuple[int | None, str, str]


def _existing_deliveries(
    conn: Connection, supplier_ids: set[int]
) -> dict[DeliveryKey, tuple[int, date]]:
    """(supplier, PO, line) → (row id, current promised date) for the file's suppliers."""
    line = table("delivery_line")
    found: dict[DeliveryKey, tuple[int, date]] = {}
    for batch in chunks(sorted(supplier_ids)):
        query = select(
            line.c.supplier_id, line.c.po_number, line.c.line_key, line.c.id, line.c.promised_date
        ).where(line.c.supplier_id.in_(list(batch)))
        for supplier_id, po_number, line_key, row_id, promised in conn.execute(query):
            found[(supplier_id, po_number, line_key)] = (row_id, promised)
    return found


@dataclass(frozen=True)
class _PoLineRef:
    po_id: int
    po_line_id: int
    qty: int
    status: str
    received_qty: int


def _own_po_receipts(ctx: WriteContext, frame: pd.DataFrame) -> dict[int, int]:
    """Rows naming one of our POs → that PO line's id; unknown POs or SKUs are rejected."""
    # Decided once per distinct PO number, not per row: most files name none of ours.
    po_numbers = set(frame["po_number"].unique().tolist()) - {""}
    if not po_numbers:
        return {}
    orders = _purchase_orders(ctx.conn, po_numbers)
    wanted = {number for number in po_numbers if number in orders or _OWN_PO.fullmatch(number)}
    if not wanted:
        return {}
    ours = frame[frame["po_number"].isin(wanted)]
    own_lines = OwnPoLines(ctx.conn)
    matched: dict[int, int] = {}
    for row, po_number, supplier, sku, line_id in zip(
        ours[ROW], ours["po_number"], ours["supplier"], ours["sku"], ours["line_id"], strict=True
    ):
        if po_number not in orders:
            ctx.reject(
                int(row), "po_number", po_number, f"PO {po_number} is not one of procure's POs"
            )
            continue
        po_id, po_supplier = orders[po_number]
        if po_supplier != supplier:
            message = f"PO {po_number} was placed with {po_supplier}, not {supplier}"
            ctx.reject(int(row), "supplier", supplier, message)
            continue
        # By PO and line number first, else by PO and SKU; one row per PO line.
        found = own_lines.match(
            int(row), po_id=po_id, po_number=po_number, line_id=line_id, sku=sku
        )
        if found.line is None:
            on_line = found.code == "line-sku-mismatch"
            ctx.reject(
                int(row),
                "line_id" if on_line else "sku",
                line_id if on_line else sku,
                found.message,
            )
            continue
        matched[int(row)] = found.line.po_line_id
    return matched


def _purchase_orders(conn: Connection, numbers: set[str]) -> dict[str, tuple[int, str]]:
    order, supplier = table("purchase_order").name, table("supplier").name
    found: dict[str, tuple[int, str]] = {}
    joined = (
        f"SELECT o.po_number, o.id, s.name FROM {order} AS o "
        f"JOIN {supplier} AS s ON s.id = o.supplier_id"
    )
    if conn.exec_driver_sql(f"SELECT count(*) FROM {order}").scalar_one() <= len(numbers):
        # Fewer POs than the file names PO numbers (a supplier's history): one pass over ours.
        for number, po_id, name in conn.exec_driver_sql(joined):
            if number in numbers:
                found[number] = (po_id, name)
        return found
    mark = _placeholder(conn)
    for batch in chunks(sorted(numbers)):
        # Plain SQL, as in ids_by_value: a deliveries file can name tens of thousands of POs.
        marks = ", ".join([mark] * len(batch))
        query = f"{joined} WHERE o.po_number IN ({marks})"
        for number, po_id, name in conn.exec_driver_sql(query, tuple(batch)):
            found[number] = (po_id, name)
    return found


def _po_lines(conn: Connection, po_ids: list[int]) -> dict[tuple[int, str], _PoLineRef]:
    line, sku = table("po_line"), table("sku")
    found: dict[tuple[int, str], _PoLineRef] = {}
    for batch in chunks(sorted(po_ids)):
        query = (
            select(
                line.c.po_id, sku.c.code, line.c.id, line.c.qty, line.c.status, line.c.received_qty
            )
            .join(sku, sku.c.id == line.c.sku_id)
            .where(line.c.po_id.in_(list(batch)))
            .order_by(line.c.po_id, line.c.line_no)
        )
        for po_id, code, line_id, qty, status, received in conn.execute(query):
            # The first line of a PO carrying the SKU receives it.
            found.setdefault((po_id, code), _PoLineRef(po_id, line_id, qty, status, received))
    return found


# Confirmations --------------------------------------------------------------------------


def write_confirmations(ctx: WriteContext, frame: pd.DataFrame) -> None:
    """Order acknowledgements: each moves the promise on our PO line and joins the ledger."""
    suppliers = ids_by_value(ctx.conn, table("supplier"), "name", frame["supplier"])
    orders = _purchase_orders(ctx.conn, set(frame["po_number"]))
    lines = _po_lines(ctx.conn, sorted({po_id for po_id, _ in orders.values()}))
    line_table = table("po_line")
    promises: dict[int, date | None] = {}
    if lines:
        ids = [ref.po_line_id for ref in lines.values()]
        for batch in chunks(ids):
            query = select(line_table.c.id, line_table.c.promised_date).where(
                line_table.c.id.in_(list(batch))
            )
            promises.update({row[0]: row[1] for row in ctx.conn.execute(query)})

    updates: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for row, supplier, po_number, sku, when in zip(
        frame[ROW],
        frame["supplier"],
        frame["po_number"],
        frame["sku"],
        frame["confirmed_date"],
        strict=True,
    ):
        row = int(row)
        if supplier not in suppliers:
            ctx.reject(row, "supplier", supplier, f"supplier {supplier} is not known to procure")
            continue
        if po_number not in orders:
            ctx.reject(row, "po_number", po_number, f"PO {po_number} is not one of procure's POs")
            continue
        po_id, po_supplier = orders[po_number]
        if po_supplier != supplier:
            message = f"PO {po_number} was placed with {po_supplier}, not {supplier}"
            ctx.reject(row, "supplier", supplier, message)
            continue
        ref = lines.get((po_id, sku))
        if ref is None:
            ctx.reject(row, "sku", sku, f"SKU {sku} is not on PO {po_number}")
            continue
        promised = when.date()
        previous = promises.get(ref.po_line_id)
        if previous == promised:
            continue
        promises[ref.po_line_id] = promised
        updates.append(
            {"row_id": ref.po_line_id, "promised_date": promised, "updated_at": utcnow()}
        )
        changes.append(
            {
                "po_line_id": ref.po_line_id,
                "promised_date": promised,
                "previous_date": previous,
                "source": "confirmation",
                "file_id": ctx.file_id,
                "created_at": utcnow(),
            }
        )
    if ctx.errors:
        return
    bulk_update(ctx, "po_line", updates)
    # The first promise a supplier gives is the one lateness is measured against.
    ctx.conn.execute(
        line_table.update()
        .where(line_table.c.id.in_([change["po_line_id"] for change in changes]))
        .where(line_table.c.original_promised_date.is_(None))
        .values(original_promised_date=line_table.c.promised_date)
    )
    bulk_insert(ctx, "promise_change", changes)
    ctx.count("promise_changes", len(changes))
    ctx.count("confirmed", len(frame))


# Stock, inventory, back orders ----------------------------------------------------------


def write_stock(ctx: WriteContext, frame: pd.DataFrame) -> None:
    """A snapshot of what each supplier says it can ship, dated the day it was reported."""
    suppliers = ensure_named(ctx, "supplier", "name", frame["supplier"])
    named = frame["sku"].notna()
    skus = ensure_named(ctx, "sku", "code", frame.loc[named, "sku"])
    by_supplier_sku = _skus_by_supplier_sku(ctx.conn, frame.loc[~named], suppliers)
    sku_ids: list[int | None] = []
    for row, supplier, sku, supplier_sku in zip(
        frame[ROW], frame["supplier"], frame["sku"], frame["supplier_sku"], strict=True
    ):
        if sku is not None:
            sku_ids.append(skus[sku])
            continue
        found = by_supplier_sku.get((suppliers[supplier], supplier_sku))
        if found is None:
            message = f"supplier SKU {supplier_sku} matches no offer of {supplier}; give the SKU"
            ctx.reject(int(row), "supplier_sku", supplier_sku, message)
        sku_ids.append(found)
    supplier_ids = ids_for(frame["supplier"], suppliers)
    seen: dict[tuple[int | None, int | None], int] = {}
    for row, key in zip(frame[ROW], zip(supplier_ids, sku_ids, strict=True), strict=True):
        if key[1] is not None and key in seen:
            ctx.reject(int(row), "sku", None, f"the same SKU as row {seen[key]}")
        seen.setdefault(key, int(row))
    if ctx.errors:
        return
    rows = records(
        {
            "supplier_id": supplier_ids,
            "sku_id": sku_ids,
            "file_id": [ctx.file_id] * len(frame),
            "available_qty": column_values(frame["available_qty"]),
            "next_available_date": column_values(frame["next_available_date"]),
            "reported_on": [ctx.as_of] * len(frame),
        }
    )
    bulk_insert(ctx, "supplier_stock", rows)
    ctx.count("stock_lines", len(rows))


def _skus_by_supplier_sku(
    conn: Connection, frame: pd.DataFrame, suppliers: dict[str, int]
) -> dict[tuple[int, str], int]:
    if frame.empty:
        return {}
    offer = table("offer")
    wanted = {
        (suppliers[s], code)
        for s, code in zip(frame["supplier"], frame["supplier_sku"], strict=True)
    }
    found: dict[tuple[int, str], int] = {}
    for batch in chunks(sorted(wanted)):
        query = (
            select(offer.c.supplier_id, offer.c.supplier_sku, offer.c.sku_id)
            .where(tuple_(offer.c.supplier_id, offer.c.supplier_sku).in_(list(batch)))
            .order_by(offer.c.id)
        )
        for supplier_id, code, sku_id in conn.execute(query):
            found[(supplier_id, code)] = sku_id  # the newest offer wins
    return found


def write_inventory(ctx: WriteContext, frame: pd.DataFrame) -> None:
    """Our count of each SKU replaces what we believed; the difference is kept as an adjustment."""
    skus = ensure_named(ctx, "sku", "code", frame["sku"])
    stock = table("stock_on_hand")
    believed: dict[int, int] = {}
    for batch in chunks(sorted(set(skus.values()))):
        query = select(stock.c.sku_id, stock.c.on_hand).where(stock.c.sku_id.in_(list(batch)))
        believed.update({row[0]: row[1] for row in ctx.conn.execute(query)})
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    adjustments: list[dict[str, Any]] = []
    for code, counted in zip(frame["sku"], column_values(frame["on_hand"]), strict=True):
        sku_id = skus[code]
        before = believed.get(sku_id)
        if before is None:
            inserts.append(
                {"sku_id": sku_id, "on_hand": counted, "counted_on": ctx.as_of, "updated_at": now}
            )
        else:
            ctx.conn.execute(
                stock.update()
                .where(stock.c.sku_id == sku_id)
                .values(on_hand=counted, counted_on=ctx.as_of, updated_at=now)
            )
        if (before or 0) != counted:
            adjustments.append(
                {
                    "sku_id": sku_id,
                    "file_id": ctx.file_id,
                    "believed": before or 0,
                    "counted": counted,
                    "counted_on": ctx.as_of,
                    "created_at": now,
                }
            )
    bulk_insert(ctx, "stock_on_hand", inserts)
    bulk_insert(ctx, "inventory_adjustment", adjustments)
    ctx.count("skus_counted", len(frame))
    ctx.count("adjustments", len(adjustments))


def write_backorders(ctx: WriteContext, frame: pd.DataFrame) -> None:
    """Upsert on (order, line); a 'cancelled' status cancels, a fulfilled line stays fulfilled."""
    skus = ensure_named(ctx, "sku", "code", frame["sku"])
    line = table("backorder_line")
    existing: dict[tuple[str, str], tuple[int, str]] = {}
    for batch in chunks(sorted(set(frame["order_id"]))):
        query = select(line.c.order_id, line.c.line_id, line.c.id, line.c.status).where(
            line.c.order_id.in_(list(batch))
        )
        for order_id, line_id, row_id, status in ctx.conn.execute(query):
            existing[(order_id, line_id)] = (row_id, status)

    now = utcnow()
    columns = {
        "sku_id": ids_for(frame["sku"], skus),
        "qty": column_values(frame["qty"]),
        "ordered_at": column_values(frame["ordered_at"]),
        "promised_date": column_values(frame["promised_date"]),
        "customer_email": column_values(frame["customer_email"]),
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    cancelled = 0
    for i, (order_id, line_id, status) in enumerate(
        zip(frame["order_id"], frame["line_id"], frame["status"], strict=True)
    ):
        values = {name: column[i] for name, column in columns.items()}
        values["file_id"] = ctx.file_id
        values["updated_at"] = now
        found = existing.get((order_id, line_id))
        current = found[1] if found else None
        if current == "fulfilled":
            values["status"] = "fulfilled"
            values["cancelled_on"] = None
        elif status == "cancelled":
            values["status"] = "cancelled"
            values["cancelled_on"] = ctx.as_of
            cancelled += current != "cancelled"
        else:
            values["status"] = "open"
            values["cancelled_on"] = None
        if found is None:
            inserts.append({"order_id": order_id, "line_id": line_id, **values})
        else:
            if current == "fulfilled":
                values.pop("cancelled_on")
            elif current == "cancelled" and status == "cancelled":
                values.pop("cancelled_on")  # keeps the day it was first cancelled
            updates.append({"row_id": found[0], **values})
    bulk_insert(ctx, "backorder_line", inserts)
    _update_rows_by_shape(ctx, "backorder_line", updates)
    ctx.count("inserted", len(inserts))
    ctx.count("updated", len(updates))
    ctx.count("cancelled", cancelled)


def _update_rows_by_shape(ctx: WriteContext, target: str, rows: list[dict[str, Any]]) -> None:
    """Bulk updates grouped by the set of columns each row changes."""
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(sorted(row)), []).append(row)
    for group in shapes.values():
        bulk_update(ctx, target, group)


WRITERS: dict[str, Callable[[WriteContext, pd.DataFrame], None]] = {
    "catalog": write_catalog,
    "deliveries": write_deliveries,
    "confirmations": write_confirmations,
    "stock": write_stock,
    "inventory": write_inventory,
    "backorders": write_backorders,
}
