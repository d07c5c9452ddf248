"""Ingested files, the outbox and run locks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, text
from sqlmodel import Field, SQLModel

from models.statuses import FILE_KINDS, FILE_STATUSES, OUTBOX_STATUSES, UPLOAD_STATUSES, one_of
from models.types import utcnow


class IngestedFile(SQLModel, table=True):
    """Every file procure was given, accepted or rejected."""

    __tablename__ = "ingested_file"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    kind: str = Field(max_length=20)
    filename: str = Field(max_length=500)
    supplier_name: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=20)
    rows: int = Field(default=0)
    error_count: int = Field(default=0)
    report_path: str | None = Field(default=None, max_length=1000)
    uploaded_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("kind", FILE_KINDS), name="ck_file_kind"),
        CheckConstraint(one_of("status", FILE_STATUSES), name="ck_file_status"),
        CheckConstraint("rows >= 0 AND error_count >= 0", name="ck_file_counts"),
        # Invariant 2: the same bytes are accepted once; rejected files may come again.
        Index(
            "uq_file_accepted_once",
            "sha256",
            unique=True,
            sqlite_where=text("status = 'accepted'"),
            postgresql_where=text("status = 'accepted'"),
        ),
    )


class Upload(SQLModel, table=True):
    """A file a buyer sent through the upload page, and what became of it."""

    __tablename__ = "upload"

    id: int | None = Field(default=None, primary_key=True)
    # Random, so result pages and error workbooks cannot be found by counting.
    public_id: str = Field(sa_column=Column(String(32), nullable=False, unique=True))
    kind: str = Field(max_length=20)
    supplier_name: str | None = Field(default=None, max_length=200)
    profile_name: str | None = Field(default=None, max_length=200)
    profile_path: str | None = Field(default=None, max_length=1000)
    # As the buyer named it: shown on pages, never used as a path.
    filename: str = Field(max_length=255)
    stored_name: str | None = Field(default=None, max_length=64)
    size_bytes: int = Field(default=0)
    sha256: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=20)
    rows: int = Field(default=0)
    error_count: int = Field(default=0)
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    message: str | None = Field(default=None, max_length=1000)
    report_path: str | None = Field(default=None, max_length=1000)
    flow_run_id: str | None = Field(default=None, max_length=36)
    uploaded_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)

    __table_args__ = (
        CheckConstraint(one_of("kind", FILE_KINDS), name="ck_upload_kind"),
        CheckConstraint(one_of("status", UPLOAD_STATUSES), name="ck_upload_status"),
        CheckConstraint(
            "rows >= 0 AND error_count >= 0 AND size_bytes >= 0", name="ck_upload_counts"
        ),
    )


class OutboxMessage(SQLModel, table=True):
    """A message for a supplier or a customer, written in the same transaction as its cause."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    message_type: str = Field(max_length=40)
    dedupe_key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    recipient: str | None = Field(default=None, max_length=1000)
    subject: str = Field(max_length=500)
    body: str
    attachments: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    status: str = Field(default="pending", max_length=20)
    attempts: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None

    __table_args__ = (CheckConstraint(one_of("status", OUTBOX_STATUSES), name="ck_outbox_status"),)


class RunLock(SQLModel, table=True):
    """A lease that lets one reorder or reroute run work at a time."""

    __tablename__ = "run_lock"

    name: str = Field(primary_key=True, max_length=60)
    holder: str = Field(max_length=200)
    expires_at: datetime
