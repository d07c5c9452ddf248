"""``procure reroute``: move back orders off slipped PO lines; ``procure etas``: customer dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from procure.cli.options import AsOfOpt, JsonOpt, WaitOpt, business_day
from procure.cli.output import console, err_console, fail, print_json

if TYPE_CHECKING:
    from purchasing.etas import CustomerEta
    from services.reroute import RerouteResult


def register(app: typer.Typer) -> None:
    @app.command("reroute")
    def reroute_command(
        as_of: AsOfOpt = None, wait: WaitOpt = False, as_json: JsonOpt = False
    ) -> None:
        """Reroute back orders waiting on slipped PO lines to the best alternate, or escalate."""
        from procure.cli.outbox_cmd import po_sending
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import ProcureError
        from services.etas import refresh_etas
        from services.reroute import RerouteSettings, reroute

        settings = get_settings()
        day = business_day(as_of)
        try:
            engine = engine_for(settings)
            result = reroute(
                engine,
                as_of=day,
                settings=RerouteSettings(
                    auto_release_limit=settings.auto_release_limit,
                    base_currency=settings.base_currency,
                ),
                wait=wait,
                sending=po_sending(settings),
            )
            moved = 0
            if result.status == "completed":
                # Customers hear about their new dates once the reroute has decided.
                refresh = refresh_etas(engine, as_of=day, base_currency=settings.base_currency)
                moved = len(refresh.moved)
        except ProcureError as error:
            fail(error, as_json=as_json)
        if as_json:
            print_json({**result.as_dict(), "etas_moved": moved})
        else:
            _print_result(result, moved)

    @app.command("etas")
    def etas_command(
        as_of: AsOfOpt = None,
        export: Annotated[
            Path | None,
            typer.Option("--export", help="Also write the storefront feed (.csv or .json)."),
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The ETA of every open back-order line; dates announced are recorded."""
        from procure.runtime import engine_for
        from procure.settings import get_settings
        from purchasing.errors import InputRejected, ProcureError
        from services.etas import export_etas, refresh_etas

        settings = get_settings()
        day = business_day(as_of)
        try:
            if export is not None and export.suffix.lower() not in (".csv", ".json"):
                raise InputRejected(f"--export must end in .csv or .json, not {export.name}")
            engine = engine_for(settings)
            refresh = refresh_etas(engine, as_of=day, base_currency=settings.base_currency)
            if export is not None:
                export_etas(refresh.etas, export)
        except ProcureError as error:
            fail(error, as_json=as_json)
        if as_json:
            print_json(refresh.as_list())
            return
        _print_etas(refresh.etas, day)
        if export is not None:
            console.print(f"exported to {export}", highlight=False)


def _print_etas(etas: Sequence[CustomerEta], day: date) -> None:
    """One row per waiting customer line: the date promised, what covers it, and why."""
    from rich.table import Table

    table = Table(title=f"Customer ETAs as of {day.isoformat()}", show_lines=False)
    for header in ("order", "line", "SKU", "ETA", "covered by", "why"):
        table.add_column(header, overflow="fold")
    for eta in etas:
        table.add_row(
            eta.order_id,
            eta.line_id,
            eta.sku,
            eta.eta.isoformat() if eta.eta else "no date",
            eta.covered_by or "not covered",
            eta.reason,
        )
    console.print(table)


def _print_result(result: RerouteResult, moved: int) -> None:
    if result.status == "skipped":
        err_console.print(f"[yellow]skipped:[/] {result.message}", highlight=False)
        return
    console.print(
        f"[bold]reroute as of {result.as_of.isoformat()}[/]: {len(result.slips_handled)} "
        f"slip(s) decided, {len(result.rerouted)} rerouted, {len(result.escalated)} escalated, "
        f"{moved} customer ETA(s) moved",
        highlight=False,
    )
    for line in result.rerouted:
        console.print(
            f"  {line.from_line.po_number}/{line.from_line.line_no} ({line.from_line.supplier}) "
            f"→ {line.to_line.po_number}/{line.to_line.line_no} ({line.to_line.supplier}) "
            f"{line.sku} × {line.to_line.qty}: {line.reason}",
            highlight=False,
        )
    for held in result.escalated:
        console.print(f"  [red]escalated[/] {held.reason}", highlight=False)
    for held in result.kept:
        console.print(f"  [yellow]kept[/] {held.reason}", highlight=False)
