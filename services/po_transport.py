"""Sending released POs: outbox messages handed to a transport (a file drop by default).

A PO is marked sent in the same transaction that queues its outbox message; this module
delivers queued messages afterwards, so a crash in between only delays a delivery. The
message's dedupe key names the PO and document version, so a resend carries the same PO
reference and overwrites the same files.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models import OutboxMessage, PurchaseOrder, Supplier
from models.db import session_scope
from models.types import utcnow
from purchasing.errors import ProcureError
from services.po_documents import load_po_document, write_po_documents
from services.po_release import PO_MESSAGE

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class OutgoingPo:
    """One PO document version on its way to a supplier."""

    dedupe_key: str
    po_number: str
    supplier: str
    recipient: str | None
    drop_folder: str | None
    subject: str
    body: str
    attachments: tuple[Path, ...]


class PoTransport(Protocol):
    """How PO documents reach suppliers (file drop today; e-mail, EDI or webhooks can follow)."""

    name: str

    def deliver(self, message: OutgoingPo) -> str:
        """Deliver ``message`` idempotently and say where it went."""
        ...


def folder_name(supplier: str) -> str:
    """A folder name for a supplier that cannot climb out of its parent."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", supplier.strip()).strip("._") or "supplier"
    return cleaned[:100]


class FileDropTransport:
    """Copies the documents and an envelope into the supplier's drop folder."""

    name = "file-drop"

    def __init__(self, root: Path) -> None:
        self.root = root

    def deliver(self, message: OutgoingPo) -> str:
        folder = (
            Path(message.drop_folder)
            if message.drop_folder
            else self.root / folder_name(message.supplier)
        )
        folder.mkdir(parents=True, exist_ok=True)
        for attachment in message.attachments:
            shutil.copyfile(attachment, folder / attachment.name)
        envelope = {
            "dedupe_key": message.dedupe_key,
            "po_number": message.po_number,
            "supplier": message.supplier,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
            "attachments": [attachment.name for attachment in message.attachments],
        }
        stem = folder_name(message.dedupe_key.replace(":", "-"))
        (folder / f"{stem}.json").write_text(
            json.dumps(envelope, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        return str(folder)


@dataclass(frozen=True)
class DeliveryReport:
    """What happened to one queued PO message."""

    po_number: str
    dedupe_key: str
    status: str  # "sent", "pending" (will retry) or "failed"
    where: str


def deliver_pending_pos(
    engine: Engine, *, documents_dir: Path, transport: PoTransport
) -> list[DeliveryReport]:
    """Render and deliver every queued PO message; failures are kept for a retry, never raised."""
    with Session(engine) as session:
        pending = (
            session.execute(
                select(col(OutboxMessage.id))
                .where(
                    col(OutboxMessage.message_type) == PO_MESSAGE,
                    col(OutboxMessage.status) == "pending",
                )
                .order_by(col(OutboxMessage.id))
            )
            .scalars()
            .all()
        )
        session.rollback()
    return [_deliver_one(engine, message_id, documents_dir, transport) for message_id in pending]


def _deliver_one(
    engine: Engine, message_id: int, documents_dir: Path, transport: PoTransport
) -> DeliveryReport:
    with session_scope(engine) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        po_number = str(message.payload.get("po_number", ""))
        if message.status != "pending":
            return DeliveryReport(po_number, message.dedupe_key, message.status, "")
        try:
            version = int(message.payload.get("version", 1))
            document = load_po_document(session, po_number, version)
            paths = write_po_documents(document, documents_dir / folder_name(po_number))
            po = session.execute(
                select(PurchaseOrder).where(col(PurchaseOrder.po_number) == po_number)
            ).scalar_one()
            supplier = session.get(Supplier, po.supplier_id)
            assert supplier is not None
            where = transport.deliver(
                OutgoingPo(
                    dedupe_key=message.dedupe_key,
                    po_number=po_number,
                    supplier=supplier.name,
                    recipient=message.recipient,
                    drop_folder=supplier.po_drop_folder,
                    subject=message.subject,
                    body=message.body,
                    attachments=tuple(paths),
                )
            )
        except (OSError, ValueError, LookupError, ProcureError) as error:
            message.attempts += 1
            message.status = "failed" if message.attempts >= MAX_ATTEMPTS else "pending"
            session.add(message)
            return DeliveryReport(po_number, message.dedupe_key, message.status, str(error))
        message.attempts += 1
        message.status = "sent"
        message.sent_at = utcnow()
        message.attachments = [str(path) for path in paths]
        session.add(message)
        return DeliveryReport(po_number, message.dedupe_key, "sent", where)
