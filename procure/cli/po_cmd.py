"""``procure approve`` and ``procure po list|show``: the buyer's PO desk."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from procure.cli.options import AsOfOpt, JsonOpt, business_day
from procure.cli.output import console, fail, print_json


def register(app: typer.Typer) -> None:
    @app.command("approve")
    def approve_command(
        po_number: Annotated[str, typer.Argument(metavar="PO_NUMBER", help="e.g. PO-000123")],
        by: Annotated[str, typer.Option("--by", help="The person approving (not the creator).")],
        as_of: AsOfOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Approve a PO waiting over the auto-release limit; it is sent at once."""
        from procure.cli.outbox_cmd import po_sending
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import ProcureError
        from services.po_desk import approve_po

        settings = get_settings()
        try:
            result = approve_po(
                engine_for(settings),
                po_number,
                by=by,
                as_of=business_day(as_of),
                sending=po_sending(settings),
            )
        except ProcureError as error:
            fail(error, as_json=as_json)
        if as_json:
            print_json(result.as_dict())
        else:
            console.print(
                f"{result.po_number} ({result.supplier}) approved by {result.approved_by}: "
                f"{result.status}",
                highlight=False,
            )

    po = typer.Typer(help="procure's own purchase orders.", no_args_is_help=True)

    @po.command("list")
    def list_command(
        status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
        supplier: Annotated[
            str | None, typer.Option("--supplier", help="Only this supplier.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List POs (all statuses unless --status is given), with their lines."""
        from models.db import session_scope
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import ProcureError
        from services.po_desk import list_pos

        try:
            with session_scope(engine_for(get_settings())) as session:
                pos = list_pos(session, status=status, supplier=supplier)
        except ProcureError as error:
            fail(error, as_json=as_json)
        if as_json:
            print_json(pos)
            return
        _print_pos(pos)

    @po.command("show")
    def show_command(
        po_number: Annotated[str, typer.Argument(metavar="PO_NUMBER")],
        as_json: JsonOpt = False,
    ) -> None:
        """One PO: lines, why each supplier was chosen (ranked candidates), and its audit trail."""
        from models.db import session_scope
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import ProcureError
        from services.po_desk import show_po

        try:
            with session_scope(engine_for(get_settings())) as session:
                document = show_po(session, po_number)
        except ProcureError as error:
            fail(error, as_json=as_json)
        if as_json:
            print_json(document)
            return
        _print_pos([document])
        for event in document["events"]:
            console.print(
                f"  {event['at']} {event['from'] or '-'} → {event['to']} by {event['actor']}: "
                f"{event['reason']}",
                highlight=False,
            )

    app.add_typer(po, name="po")


def _print_pos(pos: list[dict[str, Any]]) -> None:
    if not pos:
        console.print("no POs")
    for document in pos:
        console.print(
            f"[bold]{document['po_number']}[/] {document['supplier']} {document['status']} "
            f"{document['value']} {document['currency']}",
            highlight=False,
        )
        for line in document["lines"]:
            console.print(
                f"  {line['line_no']}. {line['sku']} × {line['qty']} @ {line['unit_price']} "
                f"{line['status']} covers {', '.join(line['covers']) or '-'}",
                highlight=False,
            )
