"""How outbox messages leave procure: a file drop (one .eml per message) or SMTP.

Both build the same RFC 5322 message, so what lands in a folder is exactly what would have
been mailed. Delivering the same message twice overwrites the same file (file drop); SMTP
cannot take a mail back, so the sender marks a message sent right after it went.
"""

from __future__ import annotations

import mimetypes
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

from services.po_transport import FileDropTransport, OutgoingPo


@dataclass(frozen=True)
class OutgoingMessage:
    """One rendered outbox message on its way out."""

    dedupe_key: str
    message_type: str
    recipient: str | None  # an e-mail address, when there is one
    folder: Path | None  # a drop folder named by the recipient's record
    subject: str
    body: str
    attachments: tuple[Path, ...] = ()


class MessageTransport(Protocol):
    """Anything that can deliver a rendered message and say where it went."""

    name: str

    def deliver(self, message: OutgoingMessage) -> str: ...


def is_email(address: str | None) -> bool:
    """A plausible e-mail address (one @, a dot in the domain, no spaces)."""
    return bool(address) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address or "") is not None


def safe_file_stem(text: str) -> str:
    """A file name from a dedupe key that cannot climb out of its folder."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text.strip()).strip("._") or "message"
    return cleaned[:150]


def build_email(message: OutgoingMessage, sender: str) -> EmailMessage:
    """The message as an e-mail, attachments included."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient or "undisclosed-recipients:;"
    mail["Subject"] = message.subject
    mail["Message-ID"] = make_msgid(idstring=safe_file_stem(message.dedupe_key)[:40])
    # The dedupe key travels with the message so a receiver can discard a repeat.
    mail["X-Procure-Key"] = message.dedupe_key
    mail.set_content(message.body)
    for path in message.attachments:
        kind, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (kind or "application/octet-stream").split("/", 1)
        mail.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return mail


class FileDrop:
    """Writes each message as ``<dedupe key>.eml`` in its drop folder, or under ``root``."""

    name = "file-drop"

    def __init__(self, root: Path, sender: str = "procure@localhost") -> None:
        self.root = root
        self.sender = sender

    def deliver(self, message: OutgoingMessage) -> str:
        folder = message.folder or self.root
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{safe_file_stem(message.dedupe_key)}.eml"
        temporary = target.with_name(f".{target.name}.part")
        temporary.write_bytes(bytes(build_email(message, self.sender)))
        temporary.replace(target)  # never half a message in the folder
        return str(target)


class Smtp:
    """Sends each message to its e-mail recipient through an SMTP server."""

    name = "smtp"

    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout

    def deliver(self, message: OutgoingMessage) -> str:
        if not is_email(message.recipient):
            raise ValueError(f"no e-mail address to send {message.dedupe_key} to")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
            client.send_message(build_email(message, self.sender))
        return f"smtp://{self.host}:{self.port} to {message.recipient}"


class PoBySmtp:
    """PO documents by mail when the supplier has an address, else into its drop folder."""

    name = "smtp"

    def __init__(self, smtp: Smtp, fallback: FileDropTransport) -> None:
        self.smtp = smtp
        self.fallback = fallback

    def deliver(self, message: OutgoingPo) -> str:
        if not is_email(message.recipient):
            return self.fallback.deliver(message)
        return self.smtp.deliver(
            OutgoingMessage(
                dedupe_key=message.dedupe_key,
                message_type="purchase_order",
                recipient=message.recipient,
                folder=None,
                subject=message.subject,
                body=message.body,
                attachments=message.attachments,
            )
        )
