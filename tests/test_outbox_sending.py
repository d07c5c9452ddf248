"""The outbox goes out once: a file drop by default, SMTP to a local server when configured."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from models import OutboxMessage
from models.db import session_scope
from services.outbox_sending import SentReport, send_outbox
from services.outbox_templates import CANCELLATION_REQUEST, ORDER_SHIPPED, queue_message
from services.outbox_transports import FileDrop, MessageTransport, Smtp
from services.po_transport import FileDropTransport
from services.supplier_contacts import set_contact
from tests import factories


def shipped_notice(session: Session, order_id: str, email: str | None) -> None:
    queue_message(
        session,
        message_type=ORDER_SHIPPED,
        dedupe_key=f"{ORDER_SHIPPED}:{order_id}:1",
        recipient=email,
        values={
            "order_id": order_id,
            "line_id": "1",
            "qty": 2,
            "sku": "SKU-1",
            "ordered_at": "2026-03-01",
            "shipped_on": "2026-03-10",
        },
    )


def cancellation_request(session: Session, supplier: str) -> None:
    queue_message(
        session,
        message_type=CANCELLATION_REQUEST,
        dedupe_key=f"{CANCELLATION_REQUEST}:PO-000001:1",
        recipient=None,
        values={
            "supplier": supplier,
            "po_number": "PO-000001",
            "order_date": "2026-03-01",
            "lines": "  line 1: 4 x SKU-1",
            "reason": "customer cancelled",
            "requested_by": "Ana",
        },
        payload={"po_number": "PO-000001", "supplier": supplier},
    )


def send(engine: Engine, tmp_path: Path, transport: MessageTransport) -> list[SentReport]:
    return send_outbox(
        engine,
        transport=transport,
        po_transport=FileDropTransport(tmp_path / "outbox"),
        documents_dir=tmp_path / "documents",
        outbox_dir=tmp_path / "outbox",
    )


def test_pending_messages_are_dropped_as_eml_files_once(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        shipped_notice(session, "SO-1", "ana@example.com")
    first = send(engine, tmp_path, FileDrop(tmp_path / "outbox"))
    assert [(r.status, r.message_type) for r in first] == [("sent", ORDER_SHIPPED)]
    [eml] = (tmp_path / "outbox").glob("*.eml")
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert mail["To"] == "ana@example.com"
    assert mail["Subject"] == "Your order SO-1 has shipped"
    assert "2 x SKU-1" in mail.get_body().get_content()  # type: ignore[union-attr]
    assert send(engine, tmp_path, FileDrop(tmp_path / "outbox")) == []


def test_a_supplier_message_waits_for_a_contact_then_goes_to_its_drop_folder(
    engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        factories.supplier(session, "Contoso")
        cancellation_request(session, "Contoso")
    [waiting] = send(engine, tmp_path, FileDrop(tmp_path / "outbox"))
    assert waiting.status == "waiting-for-contact"
    assert "procure supplier contact" in waiting.where
    with session_scope(engine) as session:
        set_contact(session, "Contoso", drop_folder=str(tmp_path / "contoso-in"))
    [sent] = send(engine, tmp_path, FileDrop(tmp_path / "outbox"))
    assert sent.status == "sent"
    [eml] = (tmp_path / "contoso-in").glob("*.eml")
    assert b"Cancellation request for purchase order PO-000001" in eml.read_bytes()


class _Inbox:
    """An aiosmtpd handler keeping what it was sent."""

    def __init__(self) -> None:
        self.mails: list[Any] = []

    # aiosmtpd calls a handler method by the SMTP verb it answers.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    """A real SMTP server on 127.0.0.1, on a free port, for the length of a test."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_smtp_delivers_to_the_recipient_and_never_twice(
    engine: Engine, tmp_path: Path, smtp_server: tuple[int, _Inbox]
) -> None:
    port, inbox = smtp_server
    with session_scope(engine) as session:
        shipped_notice(session, "SO-1", "ana@example.com")
        shipped_notice(session, "SO-2", "ben@example.com")
    transport = Smtp("127.0.0.1", port, "procure@store.example", timeout=10)
    reports = send(engine, tmp_path, transport)
    assert [r.status for r in reports] == ["sent", "sent"]
    assert sorted(mail.rcpt_tos[0] for mail in inbox.mails) == [
        "ana@example.com",
        "ben@example.com",
    ]
    assert all(mail.mail_from == "procure@store.example" for mail in inbox.mails)
    assert send(engine, tmp_path, transport) == []
    assert len(inbox.mails) == 2


def test_an_unreachable_smtp_server_leaves_the_message_pending(
    engine: Engine, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = int(probe.getsockname()[1])
    with session_scope(engine) as session:
        shipped_notice(session, "SO-1", "ana@example.com")
    [report] = send(engine, tmp_path, Smtp("127.0.0.1", closed_port, "procure@x.example"))
    assert report.status == "pending"
    with Session(engine) as session:
        [message] = session.execute(select(OutboxMessage)).scalars()
    assert (message.status, message.attempts) == ("pending", 1)


def test_a_po_goes_by_mail_with_its_documents_when_the_supplier_has_an_address(
    engine: Engine, tmp_path: Path, smtp_server: tuple[int, _Inbox]
) -> None:
    from datetime import date
    from decimal import Decimal

    from services.outbox_transports import PoBySmtp
    from services.reorder import ReorderSettings, Sending, reorder

    port, inbox = smtp_server
    with session_scope(engine) as session:
        factories.catalog(session, "Contoso", [{"sku": "SKU-1", "unit_price": "2.5"}])
        factories.backorder(session, "SO-1", "SKU-1", 4, date(2026, 11, 20))
        set_contact(session, "Contoso", email="orders@contoso.example")
    smtp = Smtp("127.0.0.1", port, "buyers@store.example", timeout=10)
    transport = PoBySmtp(smtp, FileDropTransport(tmp_path / "outbox"))
    result = reorder(
        engine,
        as_of=date(2026, 12, 1),
        settings=ReorderSettings(auto_release_limit=Decimal(100)),
        sending=Sending(tmp_path / "documents", transport),
    )
    assert [d.status for d in result.delivered] == ["sent"]
    [mail] = inbox.mails
    assert mail.rcpt_tos == ["orders@contoso.example"]
    parsed = message_from_bytes(mail.original_content, policy=policy.default)
    names = sorted(str(part.get_filename()) for part in parsed.iter_attachments())
    assert names == ["PO-000001-v1.csv", "PO-000001-v1.xlsx"]
