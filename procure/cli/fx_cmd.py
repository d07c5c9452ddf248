"""``procure fx set|list``: exchange rates to the base currency, for comparing offers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from procure.cli.groups import command_group
from procure.cli.output import console, fail, print_json

DATE_FORMATS = ["%Y-%m-%d"]


def register(app: typer.Typer) -> None:
    fx = command_group(app, "fx", "Exchange rates to the base currency.")

    # A negative rate must reach the rate check, not be taken for an unknown option.
    @fx.command("set", context_settings={"ignore_unknown_options": True})
    def set_command(
        currency: Annotated[str, typer.Argument(metavar="CURRENCY", help="e.g. EUR")],
        rate: Annotated[
            str, typer.Argument(metavar="RATE", help="Base-currency units per one CURRENCY.")
        ],
        valid_from: Annotated[
            datetime | None,
            typer.Option("--from", formats=DATE_FORMATS, help="In force from (default today)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Set the rate of a currency from a date on (the same date again corrects it)."""
        from models.db import session_scope
        from procure.clock import business_today
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import ProcureError
        from services.exchange_rates import set_rate

        settings = get_settings()
        day = valid_from.date() if valid_from is not None else business_today()
        try:
            with session_scope(engine_for(settings)) as session:
                entry = set_rate(
                    session, currency, rate, valid_from=day, base_currency=settings.base_currency
                )
        except ProcureError as error:
            fail(error, as_json=as_json)
        if as_json:
            print_json(entry.as_dict())
        else:
            console.print(
                f"1 {entry.currency} = {entry.rate_to_base} {entry.base_currency} "
                f"from {entry.valid_from.isoformat()}",
                highlight=False,
            )

    @fx.command("list")
    def list_command(
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Every exchange rate on record."""
        from models.db import session_scope
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from services.exchange_rates import list_rates

        settings = get_settings()
        with session_scope(engine_for(settings)) as session:
            entries = list_rates(session, base_currency=settings.base_currency)
        if as_json:
            print_json([entry.as_dict() for entry in entries])
            return
        if not entries:
            console.print(f"no exchange rates (base currency {settings.base_currency})")
        for entry in entries:
            console.print(
                f"{entry.currency} {entry.rate_to_base} {entry.base_currency} "
                f"from {entry.valid_from.isoformat()}",
                highlight=False,
            )
