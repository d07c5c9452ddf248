"""system of record

Revision ID: 0001
Revises:
Create Date: 2026-12-06

Every table of the system of record, its constraints, and the append-only audit trail.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False
        ),
        sa.Column(
            "rate_to_base", models.types.Money(precision=18, scale=6), nullable=False
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.CheckConstraint("CAST(rate_to_base AS REAL) > 0", name="ck_rate_positive"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("currency", "valid_from", name="uq_rate_day"),
    )
    op.create_table(
        "ingested_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column(
            "filename", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False
        ),
        sa.Column(
            "supplier_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column(
            "status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column(
            "report_path", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True
        ),
        sa.Column(
            "uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('catalog', 'deliveries', 'confirmations', 'stock', 'backorders', 'inventory')",
            name="ck_file_kind",
        ),
        sa.CheckConstraint("status IN ('accepted', 'rejected')", name="ck_file_status"),
        sa.CheckConstraint("rows >= 0 AND error_count >= 0", name="ck_file_counts"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ingested_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ingested_file_sha256"), ["sha256"], unique=False
        )
        batch_op.create_index(
            "uq_file_accepted_once",
            ["sha256"],
            unique=True,
            sqlite_where=sa.text("status = 'accepted'"),
            postgresql_where=sa.text("status = 'accepted'"),
        )

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "message_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column(
            "recipient", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True
        ),
        sa.Column(
            "subject", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False
        ),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column(
            "status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name="ck_outbox_status"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_table(
        "run_lock",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column(
            "holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column(
            "supplier_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column(
            "profile_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column(
            "profile_path", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True
        ),
        sa.Column(
            "filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False
        ),
        sa.Column(
            "stored_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.Column(
            "message", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True
        ),
        sa.Column(
            "report_path", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True
        ),
        sa.Column(
            "flow_run_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True
        ),
        sa.Column(
            "uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('catalog', 'deliveries', 'confirmations', 'stock', 'backorders', 'inventory')",
            name="ck_upload_kind",
        ),
        sa.CheckConstraint(
            "status IN ('accepted', 'rejected', 'duplicate')", name="ck_upload_status"
        ),
        sa.CheckConstraint(
            "rows >= 0 AND error_count >= 0 AND size_bytes >= 0", name="ck_upload_counts"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
    )
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_upload_created_at"), ["created_at"], unique=False
        )
    op.create_table(
        "sku",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column(
            "description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
        ),
        sa.Column("safety_stock", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("safety_stock >= 0", name="ck_sku_safety_stock"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "supplier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False
        ),
        sa.Column(
            "po_email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True
        ),
        sa.Column(
            "po_drop_folder",
            sqlmodel.sql.sqltypes.AutoString(length=1000),
            nullable=True,
        ),
        sa.Column("late_tolerance_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("late_tolerance_days >= 0", name="ck_supplier_tolerance"),
        sa.CheckConstraint("length(trim(name)) > 0", name="ck_supplier_name"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "backorder_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("line_id", sa.String(length=100), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("ordered_at", sa.Date(), nullable=False),
        sa.Column("promised_date", sa.Date(), nullable=True),
        sa.Column(
            "customer_email",
            sqlmodel.sql.sqltypes.AutoString(length=320),
            nullable=True,
        ),
        sa.Column(
            "status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("fulfilled_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status <> 'fulfilled' OR fulfilled_on IS NOT NULL",
            name="ck_backorder_fulfilled_on",
        ),
        sa.CheckConstraint(
            "status IN ('open', 'cancelled', 'fulfilled')", name="ck_backorder_status"
        ),
        sa.CheckConstraint("qty > 0", name="ck_backorder_qty"),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["ingested_file.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["sku.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "line_id", name="uq_backorder_line"),
    )
    with op.batch_alter_table("backorder_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_backorder_line_sku_id"), ["sku_id"], unique=False
        )
        batch_op.create_index(
            "ix_backorder_open", ["sku_id", "status", "ordered_at"], unique=False
        )

    op.create_table(
        "inventory_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("believed", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("counted_on", sa.Date(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("counted >= 0", name="ck_adjustment_counted"),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["ingested_file.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["sku.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inventory_adjustment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inventory_adjustment_sku_id"), ["sku_id"], unique=False
        )

    op.create_table(
        "price_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["ingested_file.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("price_list", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_price_list_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "purchase_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_number", sa.String(length=40), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column(
            "status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column(
            "currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False
        ),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column(
            "created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column(
            "approved_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column("approved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'pending_approval', 'approved', 'sent', 'confirmed', 'partially_received', 'received', 'cancelled', 'rerouted')",
            name="ck_po_status",
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'pending_approval', 'cancelled') OR approved_by IS NOT NULL",
            name="ck_po_released_needs_approval",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("po_number"),
    )
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_order_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "score_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column(
            "formula_version",
            sqlmodel.sql.sqltypes.AutoString(length=20),
            nullable=False,
        ),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("on_time_rate", sa.Float(), nullable=True),
        sa.Column("in_full_rate", sa.Float(), nullable=True),
        sa.Column("otif_rate", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("score_low", sa.Float(), nullable=True),
        sa.Column("score_high", sa.Float(), nullable=True),
        sa.Column(
            "standing", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "standing IN ('preferred', 'approved', 'watch', 'blocked', 'unrated')",
            name="ck_snapshot_standing",
        ),
        sa.CheckConstraint("lines >= 0", name="ck_snapshot_lines"),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= 1)", name="ck_snapshot_score"
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "supplier_id", "as_of", "formula_version", name="uq_snapshot_day"
        ),
    )
    op.create_table(
        "sku_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column(
            "reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False
        ),
        sa.Column(
            "set_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("set_on", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("rule IN ('pin', 'block')", name="ck_sku_rule_kind"),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["sku.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sku_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sku_rule_sku_id"), ["sku_id"], unique=False
        )
        batch_op.create_index(
            "ix_sku_rule_supplier", ["supplier_id", "sku_id"], unique=False
        )

    op.create_table(
        "standing_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "from_standing", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column(
            "to_standing", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column(
            "source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column(
            "reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "from_standing IN ('preferred', 'approved', 'watch', 'blocked', 'unrated')",
            name="ck_change_from",
        ),
        sa.CheckConstraint(
            "to_standing IN ('preferred', 'approved', 'watch', 'blocked', 'unrated')",
            name="ck_change_to",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "supplier_id", "as_of", "source", name="uq_standing_change_day"
        ),
    )
    with op.batch_alter_table("standing_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_standing_change_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "standing_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column(
            "standing", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column(
            "reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False
        ),
        sa.Column(
            "set_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("set_on", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "standing IN ('preferred', 'approved', 'watch', 'blocked')",
            name="ck_override_standing",
        ),
        sa.CheckConstraint("length(trim(reason)) > 0", name="ck_override_reason"),
        sa.CheckConstraint(
            "until IS NULL OR until >= set_on", name="ck_override_until"
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("standing_override", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_standing_override_supplier_id"),
            ["supplier_id"],
            unique=False,
        )

    op.create_table(
        "stock_on_hand",
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("counted_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name="ck_stock_on_hand"),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["sku.id"],
        ),
        sa.PrimaryKeyConstraint("sku_id"),
    )
    op.create_table(
        "supplier_stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("available_qty", sa.Integer(), nullable=False),
        sa.Column("next_available_date", sa.Date(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.CheckConstraint("available_qty >= 0", name="ck_supplier_stock_qty"),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["ingested_file.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["sku.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "file_id", "supplier_id", "sku_id", name="uq_supplier_stock_file"
        ),
    )
    with op.batch_alter_table("supplier_stock", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supplier_stock_latest",
            ["supplier_id", "sku_id", "reported_on"],
            unique=False,
        )

    op.create_table(
        "offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column(
            "supplier_sku", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
        ),
        sa.Column(
            "unit_price", models.types.Money(precision=18, scale=6), nullable=False
        ),
        sa.Column(
            "currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False
        ),
        sa.Column("moq", sa.Integer(), nullable=False),
        sa.Column("order_multiple", sa.Integer(), nullable=False),
        sa.Column("min_qty", sa.Integer(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column(
            "freight_per_unit", models.types.Money(precision=18, scale=6), nullable=True
        ),
        sa.Column(
            "duty_per_unit", models.types.Money(precision=18, scale=6), nullable=True
        ),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint("CAST(unit_price AS REAL) >= 0", name="ck_offer_price"),
        sa.CheckConstraint("lead_time_days >= 0", name="ck_offer_lead_time"),
        sa.CheckConstraint("min_qty > 0", name="ck_offer_min_qty"),
        sa.CheckConstraint("moq > 0", name="ck_offer_moq"),
        sa.CheckConstraint("order_multiple > 0", name="ck_offer_multiple"),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
            name="ck_offer_validity",
        ),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["price_list.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["sku.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_offer_price_list_id"), ["price_list_id"], unique=False
        )
        batch_op.create_index("ix_offer_sku", ["sku_id"], unique=False)
        batch_op.create_index(
            "ix_offer_supplier_sku", ["supplier_id", "sku_id"], unique=False
        )

    op.create_table(
        "po_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column(
            "unit_price", models.types.Money(precision=18, scale=6), nullable=False
        ),
        sa.Column(
            "currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False
        ),
        sa.Column(
            "status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("original_promised_date", sa.Date(), nullable=True),
        sa.Column("promised_date", sa.Date(), nullable=True),
        sa.Column("expected_date", sa.Date(), nullable=True),
        sa.Column("received_qty", sa.Integer(), nullable=False),
        sa.Column("received_date", sa.Date(), nullable=True),
        sa.Column(
            "reason_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False
        ),
        sa.Column(
            "reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False
        ),
        sa.Column("candidates", sa.JSON(), nullable=True),
        sa.Column("rerouted_from_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'pending_approval', 'approved', 'sent', 'confirmed', 'partially_received', 'received', 'cancelled', 'rerouted')",
            name="ck_po_line_status",
        ),
        sa.CheckConstraint("CAST(unit_price AS REAL) >= 0", name="ck_po_line_price"),
        sa.CheckConstraint("qty > 0", name="ck_po_line_qty"),
        sa.CheckConstraint("received_qty >= 0", name="ck_po_line_received"),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["po_id"],
            ["purchase_order.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rerouted_from_id"],
            ["po_line.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["sku.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("po_id", "line_no", name="uq_po_line_no"),
    )
    with op.batch_alter_table("po_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_po_line_po_id"), ["po_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_po_line_sku_id"), ["sku_id"], unique=False)

    op.create_table(
        "delivery_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("po_number", sa.String(length=100), nullable=False),
        sa.Column("line_key", sa.String(length=100), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("po_line_id", sa.Integer(), nullable=True),
        sa.Column("ordered_qty", sa.Integer(), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=True),
        sa.Column("original_promised_date", sa.Date(), nullable=False),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("received_date", sa.Date(), nullable=True),
        sa.Column("received_qty", sa.Integer(), nullable=True),
        sa.Column(
            "status", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False
        ),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'received', 'cancelled_by_us', 'cancelled_by_supplier')",
            name="ck_delivery_status",
        ),
        sa.CheckConstraint("ordered_qty > 0", name="ck_delivery_ordered"),
        sa.CheckConstraint(
            "received_qty IS NULL OR received_qty >= 0", name="ck_delivery_received"
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["ingested_file.id"],
        ),
        sa.ForeignKeyConstraint(
            ["po_line_id"],
            ["po_line.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["sku.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "supplier_id", "po_number", "line_key", name="uq_delivery_natural_key"
        ),
    )
    with op.batch_alter_table("delivery_line", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_line_po_line_id",
            ["po_line_id"],
            unique=False,
            sqlite_where=sa.text("po_line_id IS NOT NULL"),
            postgresql_where=sa.text("po_line_id IS NOT NULL"),
        )

    op.create_table(
        "po_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_id", sa.Integer(), nullable=False),
        sa.Column("po_line_id", sa.Integer(), nullable=True),
        sa.Column(
            "from_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True
        ),
        sa.Column(
            "to_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column(
            "actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column(
            "reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False
        ),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "to_status IN ('draft', 'pending_approval', 'approved', 'sent', 'confirmed', 'partially_received', 'received', 'cancelled', 'rerouted')",
            name="ck_po_event_status",
        ),
        sa.CheckConstraint("length(trim(actor)) > 0", name="ck_po_event_actor"),
        sa.CheckConstraint("length(trim(reason)) > 0", name="ck_po_event_reason"),
        sa.ForeignKeyConstraint(
            ["po_id"],
            ["purchase_order.id"],
        ),
        sa.ForeignKeyConstraint(
            ["po_line_id"],
            ["po_line.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("po_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_po_event_po_id"), ["po_id"], unique=False)

    op.create_table(
        "po_line_coverage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_line_id", sa.Integer(), nullable=False),
        sa.Column("backorder_line_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("released_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "release_reason",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["backorder_line_id"],
            ["backorder_line.id"],
        ),
        sa.ForeignKeyConstraint(
            ["po_line_id"],
            ["po_line.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("po_line_coverage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_po_line_coverage_po_line_id"), ["po_line_id"], unique=False
        )
        batch_op.create_index(
            "uq_coverage_one_open_per_backorder",
            ["backorder_line_id"],
            unique=True,
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )

    op.create_table(
        "backorder_eta",
        sa.Column("backorder_line_id", sa.Integer(), nullable=False),
        sa.Column("first_eta", sa.Date(), nullable=True),
        sa.Column("first_announced_on", sa.Date(), nullable=True),
        sa.Column("current_eta", sa.Date(), nullable=True),
        sa.Column("announced_eta", sa.Date(), nullable=True),
        sa.Column(
            "covered_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True
        ),
        sa.Column(
            "reason_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.Column(
            "reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("revision >= 0", name="ck_backorder_eta_revision"),
        sa.ForeignKeyConstraint(
            ["backorder_line_id"],
            ["backorder_line.id"],
        ),
        sa.PrimaryKeyConstraint("backorder_line_id"),
    )
    op.create_table(
        "slip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_line_id", sa.Integer(), nullable=False),
        sa.Column(
            "signal", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("detected_on", sa.Date(), nullable=False),
        sa.Column("new_date", sa.Date(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("handled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "outcome", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True
        ),
        sa.Column("announced_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "signal IN ('overdue', 're-promised', 'no-stock', 'blocked')",
            name="ck_slip_signal",
        ),
        sa.ForeignKeyConstraint(
            ["po_line_id"],
            ["po_line.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("po_line_id", "signal", "detected_on", name="uq_slip_day"),
    )
    with op.batch_alter_table("slip", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slip_po_line_id"), ["po_line_id"], unique=False
        )

    op.create_table(
        "promise_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_line_id", sa.Integer(), nullable=True),
        sa.Column("po_line_id", sa.Integer(), nullable=True),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("previous_date", sa.Date(), nullable=True),
        sa.Column(
            "source", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False
        ),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "delivery_line_id IS NOT NULL OR po_line_id IS NOT NULL",
            name="ck_promise_target",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_line_id"],
            ["delivery_line.id"],
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["ingested_file.id"],
        ),
        sa.ForeignKeyConstraint(
            ["po_line_id"],
            ["po_line.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("promise_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_promise_change_delivery_line_id"),
            ["delivery_line_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_promise_change_po_line_id"), ["po_line_id"], unique=False
        )

    _make_audit_append_only()


def downgrade() -> None:
    _drop_audit_guards()
    with op.batch_alter_table("promise_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promise_change_po_line_id"))
        batch_op.drop_index(batch_op.f("ix_promise_change_delivery_line_id"))

    op.drop_table("promise_change")
    with op.batch_alter_table("slip", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slip_po_line_id"))

    op.drop_table("slip")
    op.drop_table("backorder_eta")
    with op.batch_alter_table("po_line_coverage", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_coverage_one_open_per_backorder",
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_po_line_coverage_po_line_id"))

    op.drop_table("po_line_coverage")
    with op.batch_alter_table("po_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_po_event_po_id"))

    op.drop_table("po_event")
    with op.batch_alter_table("delivery_line", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_delivery_line_po_line_id",
            sqlite_where=sa.text("po_line_id IS NOT NULL"),
            postgresql_where=sa.text("po_line_id IS NOT NULL"),
        )

    op.drop_table("delivery_line")
    with op.batch_alter_table("po_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_po_line_sku_id"))
        batch_op.drop_index(batch_op.f("ix_po_line_po_id"))

    op.drop_table("po_line")
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_index("ix_offer_supplier_sku")
        batch_op.drop_index("ix_offer_sku")
        batch_op.drop_index(batch_op.f("ix_offer_price_list_id"))

    op.drop_table("offer")
    with op.batch_alter_table("supplier_stock", schema=None) as batch_op:
        batch_op.drop_index("ix_supplier_stock_latest")

    op.drop_table("supplier_stock")
    op.drop_table("stock_on_hand")
    with op.batch_alter_table("standing_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standing_override_supplier_id"))

    op.drop_table("standing_override")
    with op.batch_alter_table("standing_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standing_change_supplier_id"))

    op.drop_table("standing_change")
    with op.batch_alter_table("sku_rule", schema=None) as batch_op:
        batch_op.drop_index("ix_sku_rule_supplier")
        batch_op.drop_index(batch_op.f("ix_sku_rule_sku_id"))

    op.drop_table("sku_rule")
    op.drop_table("score_snapshot")
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_order_supplier_id"))

    op.drop_table("purchase_order")
    with op.batch_alter_table("price_list", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_list_supplier_id"))

    op.drop_table("price_list")
    with op.batch_alter_table("inventory_adjustment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_adjustment_sku_id"))

    op.drop_table("inventory_adjustment")
    with op.batch_alter_table("backorder_line", schema=None) as batch_op:
        batch_op.drop_index("ix_backorder_open")
        batch_op.drop_index(batch_op.f("ix_backorder_line_sku_id"))

    op.drop_table("backorder_line")
    op.drop_table("supplier")
    op.drop_table("sku")
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_created_at"))

    op.drop_table("upload")
    op.drop_table("run_lock")
    op.drop_table("outbox_message")
    with op.batch_alter_table("ingested_file", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_file_accepted_once",
            sqlite_where=sa.text("status = 'accepted'"),
            postgresql_where=sa.text("status = 'accepted'"),
        )
        batch_op.drop_index(batch_op.f("ix_ingested_file_sha256"))

    op.drop_table("ingested_file")
    op.drop_table("exchange_rate")


def _make_audit_append_only() -> None:
    """Invariant 5: audit events are never edited or removed, whatever the code does."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION procure_audit_is_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'po_event is append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER po_event_append_only BEFORE UPDATE OR DELETE ON po_event "
            "FOR EACH ROW EXECUTE FUNCTION procure_audit_is_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER po_event_no_{action.lower()} BEFORE {action} ON po_event "
                "BEGIN SELECT RAISE(ABORT, 'po_event is append-only'); END"
            )


def _drop_audit_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS po_event_append_only ON po_event")
        op.execute("DROP FUNCTION IF EXISTS procure_audit_is_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS po_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS po_event_no_delete")
