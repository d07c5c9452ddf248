"""Delivering the outbox: every pending message once, through the configured transport.

A message is marked sent in its own transaction right after it went, so a second run finds
nothing to do; a crash in between re-delivers only that message, under the same dedupe key.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models import OutboxMessage, Supplier
from models.db import session_scope
from models.types import utcnow
from services.outbox_transports import FileDrop, MessageTransport, OutgoingMessage, is_email
from services.po_release import PO_MESSAGE
from services.po_transport import MAX_ATTEMPTS, PoTransport, deliver_pending_pos


@dataclass(frozen=True)
class SentReport:
    """What became of one pending message."""

    dedupe_key: str
    message_type: str
    status: str  # "sent", "pending" (retried next time), "failed", "waiting-for-contact"
    where: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "dedupe_key": self.dedupe_key,
            "message_type": self.message_type,
            "status": self.status,
            "where": self.where,
        }


def send_outbox(
    engine: Engine,
    *,
    transport: MessageTransport,
    po_transport: PoTransport,
    documents_dir: Path,
    outbox_dir: Path,
) -> list[SentReport]:
    """Deliver every pending message: PO documents to suppliers, notices to their recipients."""
    reports = [
        SentReport(report.dedupe_key, PO_MESSAGE, report.status, report.where)
        for report in deliver_pending_pos(
            engine, documents_dir=documents_dir, transport=po_transport
        )
    ]
    with Session(engine) as session:
        pending = list(
            session.execute(
                select(col(OutboxMessage.id))
                .where(
                    col(OutboxMessage.status) == "pending",
                    col(OutboxMessage.message_type) != PO_MESSAGE,
                )
                .order_by(col(OutboxMessage.id))
            ).scalars()
        )
    folder_drop = FileDrop(outbox_dir)
    for message_id in pending:
        reports.append(_send_one(engine, message_id, transport, folder_drop))
    return reports


def _send_one(
    engine: Engine, message_id: int, transport: MessageTransport, folder_drop: FileDrop
) -> SentReport:
    with session_scope(engine) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        if message.status != "pending":
            return SentReport(message.dedupe_key, message.message_type, message.status, "")
        recipient, folder = _address(session, message)
        if recipient is None and folder is None:
            who = message.payload.get("supplier", "the recipient")
            hint = f"no contact for {who}: set one with `procure supplier contact`"
            return SentReport(message.dedupe_key, message.message_type, "waiting-for-contact", hint)
        outgoing = OutgoingMessage(
            dedupe_key=message.dedupe_key,
            message_type=message.message_type,
            recipient=recipient,
            folder=folder,
            subject=message.subject,
            body=message.body,
            attachments=tuple(Path(path) for path in message.attachments),
        )
        # Without an e-mail address a message can only go to a drop folder.
        chosen = transport if recipient is not None else folder_drop
        message.attempts += 1
        try:
            where = chosen.deliver(outgoing)
        except (OSError, ValueError, smtplib.SMTPException) as error:
            message.status = "failed" if message.attempts >= MAX_ATTEMPTS else "pending"
            session.add(message)
            return SentReport(message.dedupe_key, message.message_type, message.status, str(error))
        message.status = "sent"
        message.sent_at = utcnow()
        message.recipient = recipient or str(folder)
        session.add(message)
        return SentReport(message.dedupe_key, message.message_type, "sent", where)


def _address(session: Session, message: OutboxMessage) -> tuple[str | None, Path | None]:
    """Who the message goes to now: a supplier's current PO contact, else the stored recipient."""
    supplier_name = message.payload.get("supplier")
    if supplier_name:
        supplier = session.execute(
            select(Supplier).where(col(Supplier.name) == str(supplier_name))
        ).scalar_one_or_none()
        if supplier is not None and (supplier.po_email or supplier.po_drop_folder):
            email = supplier.po_email if is_email(supplier.po_email) else None
            folder = Path(supplier.po_drop_folder) if supplier.po_drop_folder else None
            return email, folder
    if is_email(message.recipient):
        return message.recipient, None
    if message.recipient:
        return None, Path(message.recipient)
    return None, None
