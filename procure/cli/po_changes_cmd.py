"""``procure po cancel|resend``: a buyer's changes to a PO, each with one audit event."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from procure.cli.groups import command_group
from procure.cli.output import console, fail, print_json


def register(app: typer.Typer) -> None:
    po = command_group(app, "po", "procure's own purchase orders.")

    @po.command("cancel")
    def cancel_command(
        po_number: Annotated[str, typer.Argument(metavar="PO_NUMBER", help="e.g. PO-000123")],
        reason: Annotated[str, typer.Option("--reason", help="Why it is cancelled.")],
        by: Annotated[str, typer.Option("--by", help="Who cancels it.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Cancel the lines not yet sent; ask the supplier to cancel the lines it has."""
        from models.db import session_scope
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import ProcureError
        from services.po_changes import cancel_po

        try:
            with session_scope(engine_for(get_settings())) as session:
                change = cancel_po(session, po_number, reason=reason, by=by)
        except ProcureError as error:
            fail(error, as_json=as_json)
        if as_json:
            print_json(change.as_dict())
        else:
            console.print(change.message, highlight=False)

    @po.command("resend")
    def resend_command(
        po_number: Annotated[str, typer.Argument(metavar="PO_NUMBER", help="e.g. PO-000123")],
        by: Annotated[
            str | None, typer.Option("--by", help="Who resends it (default: the OS user).")
        ] = None,
        reason: Annotated[str, typer.Option("--reason", help="Why it goes again.")] = "",
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Send a PO the supplier has again (a new document version, same PO number)."""
        from models.db import session_scope
        from procure.cli.outbox_cmd import transports
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import ProcureError
        from services.po_changes import resend_po
        from services.po_transport import deliver_pending_pos

        settings = get_settings()
        engine = engine_for(settings)
        try:
            with session_scope(engine) as session:
                change = resend_po(session, po_number, by=by or getpass.getuser(), reason=reason)
        except ProcureError as error:
            fail(error, as_json=as_json)
        _, po_transport = transports(settings)
        reports = deliver_pending_pos(
            engine, documents_dir=settings.documents_dir, transport=po_transport
        )
        document = change.as_dict()
        document["delivered"] = [
            {"po_number": r.po_number, "status": r.status, "where": r.where} for r in reports
        ]
        if as_json:
            print_json(document)
        else:
            console.print(change.message, highlight=False)
