"""closed vocabularies checked by comparisons

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06

Every ``column IN ('a', 'b')`` CHECK becomes ``column = 'a' OR column = 'b'``: the same rule,
but SQLite builds a lookup table for an IN list each time it checks a row, which made a bulk
insert of 200,000 delivery lines spend ~0.7 s on one status check.

SQLite cannot alter a CHECK constraint, so its stored table definitions are edited in place
(SQLite's documented procedure for constraint changes that every existing row already
satisfies: no data moves, indexes and triggers stay). PostgreSQL drops and re-adds each one.
"""

from __future__ import annotations

from collections.abc import Callable

from alembic import op
from sqlalchemy import Connection, text

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_PO = (
    "draft",
    "pending_approval",
    "approved",
    "sent",
    "confirmed",
    "partially_received",
    "received",
    "cancelled",
    "rerouted",
)
_KINDS = ("catalog", "deliveries", "confirmations", "stock", "backorders", "inventory")
_STANDINGS = ("preferred", "approved", "watch", "blocked", "unrated")

# (table, constraint, column, allowed values) — as 0001 created them.
_CHECKS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("ingested_file", "ck_file_kind", "kind", _KINDS),
    ("ingested_file", "ck_file_status", "status", ("accepted", "rejected")),
    ("outbox_message", "ck_outbox_status", "status", ("pending", "sent", "failed")),
    ("upload", "ck_upload_kind", "kind", _KINDS),
    ("upload", "ck_upload_status", "status", ("accepted", "rejected", "duplicate")),
    ("backorder_line", "ck_backorder_status", "status", ("open", "cancelled", "fulfilled")),
    ("purchase_order", "ck_po_status", "status", _PO),
    ("score_snapshot", "ck_snapshot_standing", "standing", _STANDINGS),
    ("sku_rule", "ck_sku_rule_kind", "rule", ("pin", "block")),
    ("standing_change", "ck_change_from", "from_standing", _STANDINGS),
    ("standing_change", "ck_change_to", "to_standing", _STANDINGS),
    ("standing_override", "ck_override_standing", "standing", _STANDINGS[:-1]),
    ("po_line", "ck_po_line_status", "status", _PO),
    (
        "delivery_line",
        "ck_delivery_status",
        "status",
        ("open", "received", "cancelled_by_us", "cancelled_by_supplier"),
    ),
    ("po_event", "ck_po_event_status", "to_status", _PO),
    ("slip", "ck_slip_signal", "signal", ("overdue", "re-promised", "no-stock", "blocked")),
)


_Form = Callable[[str, tuple[str, ...]], str]


def _as_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _as_comparisons(column: str, values: tuple[str, ...]) -> str:
    return " OR ".join(f"{column} = '{value}'" for value in values)


def upgrade() -> None:
    _rewrite(_as_list, _as_comparisons)


def downgrade() -> None:
    _rewrite(_as_comparisons, _as_list)


def _rewrite(old_form: _Form, new_form: _Form) -> None:
    conn = op.get_bind()
    pairs = [
        (table, name, old_form(column, values), new_form(column, values))
        for table, name, column, values in _CHECKS
    ]
    if conn.dialect.name == "sqlite":
        _rewrite_sqlite(conn, pairs)
        return
    for table, name, _old, new in pairs:
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {name}, ADD CONSTRAINT {name} CHECK ({new})"
        )


def _rewrite_sqlite(conn: Connection, pairs: list[tuple[str, str, str, str]]) -> None:
    definitions: dict[str, str] = {}
    for table, name, old, new in pairs:
        sql = definitions.get(table)
        if sql is None:
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
                {"name": table},
            ).scalar_one()
        before = f"CONSTRAINT {name} CHECK ({old})"
        if sql.count(before) != 1:
            raise RuntimeError(f"table {table}: constraint {name} is not as expected")
        definitions[table] = sql.replace(before, f"CONSTRAINT {name} CHECK ({new})")
    version = conn.execute(text("PRAGMA schema_version")).scalar_one()
    conn.execute(text("PRAGMA writable_schema = ON"))
    try:
        for table, sql in definitions.items():
            conn.execute(
                text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"),
                {"sql": sql, "name": table},
            )
        # A new schema version makes every connection, this one included, read them again.
        conn.execute(text(f"PRAGMA schema_version = {int(version) + 1}"))
    finally:
        conn.execute(text("PRAGMA writable_schema = OFF"))
    problems = conn.execute(text("PRAGMA quick_check")).scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"the database did not pass its check: {problems[:3]}")
