"""``procure outbox send``: deliver pending messages (PO documents, notices) exactly once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from procure.cli.groups import command_group
from procure.cli.output import console, print_json

if TYPE_CHECKING:
    from procure.settings import Settings
    from services.outbox_transports import MessageTransport
    from services.po_transport import PoTransport
    from services.reorder import Sending


def transports(settings: Settings) -> tuple[MessageTransport, PoTransport]:
    """The configured transports for notices and for PO documents."""
    from services.outbox_transports import FileDrop, PoBySmtp, Smtp
    from services.po_transport import FileDropTransport

    po_drop = FileDropTransport(settings.outbox_dir)
    if settings.outbox_transport == "smtp":
        smtp = Smtp(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
        return smtp, PoBySmtp(smtp, po_drop)
    return FileDrop(settings.outbox_dir, settings.smtp_sender), po_drop


def register(app: typer.Typer) -> None:
    outbox = command_group(app, "outbox", "Messages waiting to go to suppliers and customers.")

    @outbox.command("send")
    def send_command(
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Deliver every pending message once (file drop by default, SMTP when configured)."""
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from services.outbox_sending import send_outbox

        settings = get_settings()
        settings.ensure_home()
        message_transport, po_transport = transports(settings)
        reports = send_outbox(
            engine_for(settings),
            transport=message_transport,
            po_transport=po_transport,
            documents_dir=settings.documents_dir,
            outbox_dir=settings.outbox_dir,
        )
        counts = {
            status: sum(report.status == status for report in reports)
            for status in ("sent", "pending", "failed", "waiting-for-contact")
        }
        if as_json:
            print_json(
                {
                    "transport": settings.outbox_transport,
                    **counts,
                    "messages": [report.as_dict() for report in reports],
                }
            )
            return
        if not reports:
            console.print("nothing pending in the outbox")
        for report in reports:
            console.print(
                f"{report.status:<20} {report.dedupe_key} {report.where}", highlight=False
            )


def po_sending(settings: Settings) -> Sending:
    """Where released PO documents are written, and how they go out (file drop unless SMTP)."""
    from services.reorder import Sending

    return Sending(settings.documents_dir, transports(settings)[1])
