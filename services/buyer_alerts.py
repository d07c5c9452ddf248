"""Alerts for the buyers (a feed that failed, a run that failed), written to procure's outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import OutboxMessage

FEED_FAILED = "feed-failed"
RUN_FAILED = "run-failed"


@dataclass(frozen=True)
class BuyerAlert:
    """One alert; ``dedupe_key`` makes sending the same alert twice a no-op."""

    message_type: str
    dedupe_key: str
    subject: str
    body: str
    payload: dict[str, Any] = field(default_factory=dict)


def alert_buyers(engine: Engine, alert: BuyerAlert, *, recipient: str) -> bool:
    """Queue ``alert`` for the buyers; False when the same alert is already in the outbox."""
    try:
        with Session(engine) as session:
            found = session.exec(
                select(OutboxMessage.id).where(OutboxMessage.dedupe_key == alert.dedupe_key)
            ).first()
            if found is not None:
                return False
            session.add(
                OutboxMessage(
                    message_type=alert.message_type,
                    dedupe_key=alert.dedupe_key[:200],
                    recipient=recipient,
                    subject=alert.subject[:500],
                    body=alert.body,
                    payload=alert.payload,
                )
            )
            session.commit()
    except IntegrityError:
        # Another process queued the same alert a moment ago: the unique key said so.
        return False
    return True
