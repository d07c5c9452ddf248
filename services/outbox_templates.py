"""Plain-text templates, one per outbox message type, and queueing a rendered message once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Template
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models import OutboxMessage

ORDER_SHIPPED = "order_shipped"
CANCELLATION_REQUEST = "po_cancellation_request"


@dataclass(frozen=True)
class MessageTemplate:
    """A subject and a body with ``$name`` placeholders; every placeholder must be given."""

    subject: str
    body: str

    def render(self, values: Mapping[str, object]) -> tuple[str, str]:
        text = {name: str(value) for name, value in values.items()}
        return Template(self.subject).substitute(text), Template(self.body).substitute(text)


TEMPLATES: dict[str, MessageTemplate] = {
    ORDER_SHIPPED: MessageTemplate(
        subject="Your order $order_id has shipped",
        body=(
            "Hello,\n\n"
            "Good news: $qty x $sku from your order $order_id (line $line_id), ordered on\n"
            "$ordered_at, shipped on $shipped_on.\n\n"
            "Thank you for waiting with us.\n"
        ),
    ),
    CANCELLATION_REQUEST: MessageTemplate(
        subject="Cancellation request for purchase order $po_number",
        body=(
            "Dear $supplier,\n\n"
            "We ask you to cancel the following lines of purchase order $po_number\n"
            "(ordered $order_date):\n\n"
            "$lines\n\n"
            "Reason: $reason\n"
            "Requested by: $requested_by\n\n"
            "Please confirm the cancellation, quoting $po_number.\n"
        ),
    ),
}


def render(message_type: str, values: Mapping[str, object]) -> tuple[str, str]:
    """Subject and body of a message type; a missing value is a programming error."""
    return TEMPLATES[message_type].render(values)


def queue_message(
    session: Session,
    *,
    message_type: str,
    dedupe_key: str,
    recipient: str | None,
    values: Mapping[str, object],
    payload: Mapping[str, Any] | None = None,
) -> bool:
    """Put a rendered message in the outbox unless one with the same key is there already."""
    exists = session.execute(
        select(col(OutboxMessage.id)).where(col(OutboxMessage.dedupe_key) == dedupe_key)
    ).first()
    if exists is not None:
        return False
    subject, body = render(message_type, values)
    session.add(
        OutboxMessage(
            message_type=message_type,
            dedupe_key=dedupe_key[:200],
            recipient=recipient,
            subject=subject[:500],
            body=body,
            payload=dict(payload or {}),
        )
    )
    session.flush()
    return True
