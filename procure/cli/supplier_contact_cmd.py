"""``procure supplier contact``: where a supplier's POs go, and the currency it quotes in."""

from __future__ import annotations

from typing import Annotated

import typer

from procure.cli.groups import command_group
from procure.cli.output import console, fail, print_json


def register(app: typer.Typer) -> None:
    supplier = command_group(app, "supplier", "Suppliers: standings and contacts.")

    @supplier.command("contact")
    def contact_command(
        name: Annotated[
            str, typer.Argument(metavar="NAME", help="The supplier, as its files name it.")
        ],
        email: Annotated[
            str | None, typer.Option("--email", help="Address POs are mailed to.")
        ] = None,
        drop_folder: Annotated[
            str | None, typer.Option("--drop-folder", help="Folder POs are dropped into.")
        ] = None,
        currency: Annotated[
            str | None, typer.Option("--currency", help="The currency it quotes in.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Set a supplier's PO contact (e-mail and/or drop folder) and currency."""
        from models.db import session_scope
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import ProcureError
        from services.supplier_contacts import set_contact

        try:
            with session_scope(engine_for(get_settings())) as session:
                contact = set_contact(
                    session, name, email=email, drop_folder=drop_folder, currency=currency
                )
        except ProcureError as error:
            fail(error, as_json=as_json)
        if as_json:
            print_json(contact.as_dict())
        else:
            console.print(
                f"{contact.supplier}: e-mail {contact.po_email or '-'}, drop folder "
                f"{contact.po_drop_folder or '-'}, currency {contact.currency}",
                highlight=False,
            )
